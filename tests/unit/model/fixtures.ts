// Test fixtures: tiny Qwen2/Qwen3 configs and random weights written as real safetensors files.
import { Rng } from '../../../src/util/rng.ts';
import { expectedParams, parseQwenConfig, qwenConfigToJson, type QwenConfig } from '../../../src/model/config.ts';
import { fromFloat32, writeSafetensors, type RawTensor } from '../../../src/model/safetensors.ts';

export function tinyConfig(arch: 'qwen2' | 'qwen3', over: Partial<QwenConfig> = {}): QwenConfig {
  const json = qwenConfigToJson({
    arch,
    hiddenSize: 24,
    intermediateSize: 40,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    headDim: arch === 'qwen3' ? 8 : 6,
    vocabSize: 37,
    ropeTheta: 10000,
    rmsNormEps: 1e-6,
    tieWordEmbeddings: arch === 'qwen2',
    attentionBias: arch === 'qwen2',
    qkNorm: arch === 'qwen3',
    maxPositionEmbeddings: 128,
    ...over,
  });
  return parseQwenConfig(json);
}

export function randomWeights(cfg: QwenConfig, seed: number, dtype: 'F32' | 'F16' | 'BF16' = 'F32'): RawTensor[] {
  const rng = new Rng(seed);
  return expectedParams(cfg).map((p) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const isNorm = p.name.endsWith('norm.weight');
    const v = isNorm ? Float32Array.from({ length: n }, () => 1 + 0.1 * rng.normal()) : rng.floats(n, -0.3, 0.3);
    return { name: p.name, dtype, shape: p.shape, data: fromFloat32(v, dtype) };
  });
}

export function modelFiles(cfg: QwenConfig, seed: number, dtype: 'F32' | 'F16' | 'BF16' = 'F32'): Map<string, Uint8Array> {
  return new Map([
    ['config.json', new TextEncoder().encode(JSON.stringify(qwenConfigToJson(cfg)))],
    ['model.safetensors', writeSafetensors(randomWeights(cfg, seed, dtype))],
  ]);
}
