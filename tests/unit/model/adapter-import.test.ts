// Adapters trained elsewhere (PEFT files): each way an adapter can disagree with its base model is a named
// AdapterMismatchError, and an adapter that fits loads onto the model and changes its output exactly as exported.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/util/rng.ts';
import { mapProvider } from '../../../src/model/byte-source.ts';
import {
  AdapterMismatchError, baseModelKey, checkAdapterFits, loadAdapterFor, peftConfigJson, peftKey, saveAdapter, targetDims, SCORE_HEAD_KEY,
  type Adapter, type AdapterMismatch, type LoraConfig,
} from '../../../src/model/peft.ts';
import type { QwenConfig } from '../../../src/model/config.ts';
import { tinyConfig } from './fixtures.ts';

function adapterFor(cfg: QwenConfig, lora: LoraConfig, opts: { head?: boolean; base?: string; task?: string } = {}): Adapter {
  const rng = new Rng(5);
  const tensors: Adapter['tensors'] = new Map();
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const t of lora.targets) {
      const { inDim, outDim } = targetDims(cfg, t);
      tensors.set(peftKey(l, t, 'A'), { shape: [lora.r, inDim], values: rng.floats(lora.r * inDim), dtype: 'F32' });
      tensors.set(peftKey(l, t, 'B'), { shape: [outDim, lora.r], values: rng.floats(outDim * lora.r), dtype: 'F32' });
    }
  }
  if (opts.head) tensors.set(SCORE_HEAD_KEY, { shape: [1, cfg.hiddenSize], values: rng.floats(cfg.hiddenSize), dtype: 'F32' });
  const configJson = { ...peftConfigJson(lora, opts.base ?? 'Qwen/Qwen3-0.6B', !!opts.head), ...(opts.task ? { task_type: opts.task } : {}) };
  return { lora, configJson, tensors };
}

const files = (a: Adapter) => {
  const f = saveAdapter(a);
  return mapProvider(new Map<string, Uint8Array>([
    ['adapter_config.json', new TextEncoder().encode(f['adapter_config.json'])],
    ['adapter_model.safetensors', f['adapter_model.safetensors']],
  ]));
};

async function mismatchOf(p: Promise<unknown>): Promise<AdapterMismatch | string> {
  try {
    await p;
    return 'no error';
  } catch (e) {
    return e instanceof AdapterMismatchError ? e.mismatch : `${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('adapter import: named mismatches', () => {
  const cfg = tinyConfig('qwen3');
  const lora: LoraConfig = { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj', 'gate_proj'] };

  it('accepts a CAUSAL_LM adapter and a SEQ_CLS adapter with its score head on the right base', async () => {
    const a = await loadAdapterFor(files(adapterFor(cfg, lora)), cfg, { baseModel: 'qwen/qwen3-0.6b' });
    expect(a.lora).toEqual(lora);
    const rm = await loadAdapterFor(files(adapterFor(cfg, lora, { head: true })), cfg, { baseModel: '/models/Qwen3-0.6B/' });
    expect(rm.configJson.task_type).toBe('SEQ_CLS');
    expect(rm.tensors.get(SCORE_HEAD_KEY)!.shape).toEqual([1, cfg.hiddenSize]);
  });

  it('names a different base model (by name), and skips the name check when asked', async () => {
    const p = files(adapterFor(cfg, lora, { base: 'Qwen/Qwen2.5-0.5B-Instruct' }));
    expect(await mismatchOf(loadAdapterFor(p, cfg, { baseModel: 'Qwen/Qwen3-0.6B' }))).toBe('base_model');
    await expect(loadAdapterFor(p, cfg, { baseModel: 'Qwen/Qwen3-0.6B' })).rejects.toThrow(/"Qwen\/Qwen2.5-0.5B-Instruct", but the loaded base model is "Qwen\/Qwen3-0.6B"/);
    expect(await mismatchOf(loadAdapterFor(p, cfg, { baseModel: null }))).toBe('no error');
    expect(baseModelKey('C:\\models\\Qwen3-0.6B')).toBe('qwen3-0.6b');
  });

  it('names shapes of another model, with the tensor and the expected shape', async () => {
    const other = tinyConfig('qwen3', { hiddenSize: 32 });
    const p = files(adapterFor(other, lora));
    expect(await mismatchOf(loadAdapterFor(p, cfg, { baseModel: null }))).toBe('shape');
    await expect(loadAdapterFor(p, cfg, { baseModel: null })).rejects.toThrow(/layers\.0\.self_attn\.q_proj\.lora_A\.weight" has shape \[4,32\], expected \[4,24\]/);
    // A score head of another width is a shape mismatch too.
    const head = adapterFor(cfg, lora, { head: true });
    head.tensors.set(SCORE_HEAD_KEY, { shape: [1, 32], values: new Float32Array(32), dtype: 'F32' });
    expect(await mismatchOf(loadAdapterFor(files(head), cfg, { baseModel: null }))).toBe('shape');
  });

  it('names a model with fewer layers', async () => {
    const deeper = tinyConfig('qwen3', { numLayers: 3 });
    expect(await mismatchOf(loadAdapterFor(files(adapterFor(deeper, lora)), cfg, { baseModel: null }))).toBe('layers');
  });

  it('names a rank that disagrees with adapter_config.json', async () => {
    const a = adapterFor(cfg, lora);
    a.configJson = { ...a.configJson, r: 8 };
    a.lora = { ...a.lora, r: 8 };
    expect(await mismatchOf(loadAdapterFor(files(a), cfg, { baseModel: null }))).toBe('rank');
    await expect(loadAdapterFor(files(a), cfg, { baseModel: null })).rejects.toThrow(/has rank 4 .* but adapter_config.json says r=8/);
  });

  it('names target modules: a module the config does not list, one a Qwen layer lacks, a missing factor, an unknown name', async () => {
    const extra = adapterFor(cfg, lora);
    extra.tensors.set(peftKey(0, 'o_proj', 'A'), { shape: [4, 32], values: new Float32Array(128), dtype: 'F32' });
    expect(await mismatchOf(loadAdapterFor(files(extra), cfg, { baseModel: null }))).toBe('target_modules');
    const foreign = adapterFor(cfg, lora);
    foreign.tensors.set('base_model.model.model.layers.0.self_attn.qkv_proj.lora_A.weight', { shape: [4, 24], values: new Float32Array(96), dtype: 'F32' });
    expect(await mismatchOf(loadAdapterFor(files(foreign), cfg, { baseModel: null }))).toBe('target_modules');
    const missing = adapterFor(cfg, lora);
    missing.tensors.delete(peftKey(1, 'gate_proj', 'B'));
    await expect(loadAdapterFor(files(missing), cfg, { baseModel: null })).rejects.toThrow(/layers\.1\.mlp\.gate_proj\.lora_B\.weight" is missing/);
    const unknown = adapterFor(cfg, lora);
    unknown.configJson = { ...unknown.configJson, target_modules: ['q_proj', 'c_attn'] };
    expect(await mismatchOf(loadAdapterFor(files(unknown), cfg, { baseModel: null }))).toBe('target_modules');
  });

  it('names the task type: token classification, and SEQ_CLS without its head', async () => {
    expect(await mismatchOf(loadAdapterFor(files(adapterFor(cfg, lora, { task: 'TOKEN_CLS' })), cfg, { baseModel: null }))).toBe('task_type');
    expect(await mismatchOf(loadAdapterFor(files(adapterFor(cfg, lora, { task: 'SEQ_CLS' })), cfg, { baseModel: null }))).toBe('task_type');
  });

  it('refuses per-module ranks and layer subsets with the field named', async () => {
    const a = adapterFor(cfg, lora);
    a.configJson = { ...a.configJson, rank_pattern: { q_proj: 2 } };
    await expect(loadAdapterFor(files(a), cfg, { baseModel: null })).rejects.toThrow(/"rank_pattern"/);
    const b = adapterFor(cfg, lora);
    b.configJson = { ...b.configJson, layers_to_transform: [0] };
    await expect(loadAdapterFor(files(b), cfg, { baseModel: null })).rejects.toThrow(/"layers_to_transform"/);
    // checkAdapterFits alone (an adapter already in memory) gives the same verdicts.
    expect(() => checkAdapterFits(adapterFor(tinyConfig('qwen3', { numLayers: 3 }), lora), cfg, { baseModel: null })).toThrow(AdapterMismatchError);
  });
});
