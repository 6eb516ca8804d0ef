// The ONNX export against an engine we did not write: onnxruntime-web (wasm, in Node) runs onnx/model.onnx, and its
// logits equal our engine's on a left-padded batch (< 1e-4 relative), and greedy generation through its KV cache
// (past_key_values -> present) gives our tokens one for one, for Qwen2 and Qwen3 tiny models with a LoRA adapter merged.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/index.ts';
import { expectedParams } from '../../../src/model/config.ts';
import { generate, GREEDY } from '../../../src/model/generate.ts';
import { peftKey, targetDims, type Adapter, type LoraConfig } from '../../../src/model/peft.ts';
import { positionIds, QwenModel } from '../../../src/model/qwen.ts';
import { toFloat32 } from '../../../src/model/safetensors.ts';
import { buildQwenOnnx } from '../../../src/export/onnx/qwen-onnx.ts';
import { mergeAdapterCpu } from '../../../src/export/onnx/merge.ts';
import { Rng } from '../../../src/util/rng.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { randomWeights, tinyConfig } from '../model/fixtures.ts';

ort.env.wasm.numThreads = 1;

function adapterFor(cfg: ReturnType<typeof tinyConfig>, lora: LoraConfig): Adapter {
  const rng = new Rng(77);
  const tensors: Adapter['tensors'] = new Map();
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const t of lora.targets) {
      const { inDim, outDim } = targetDims(cfg, t);
      tensors.set(peftKey(l, t, 'A'), { shape: [lora.r, inDim], values: rng.floats(lora.r * inDim, -0.3, 0.3), dtype: 'F32' });
      tensors.set(peftKey(l, t, 'B'), { shape: [outDim, lora.r], values: rng.floats(outDim * lora.r, -0.3, 0.3), dtype: 'F32' });
    }
  }
  return { lora, configJson: {}, tensors };
}

const i64 = (v: ArrayLike<number>, dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(Array.from(v, (x) => BigInt(x))), dims);

describe.each(testAdapters())('ONNX export on %s vs onnxruntime-web', (gpu) => {
  it.each(['qwen2', 'qwen3'] as const)('%s: logits on a padded batch and greedy generation with the KV cache equal ours', async (arch) => {
    const e = new Engine(await gpuFor(gpu));
    const cfg = tinyConfig(arch, { vocabSize: 53, maxPositionEmbeddings: 64 });
    const raw = new Map(randomWeights(cfg, 5).map((t) => [t.name, { shape: t.shape, values: toFloat32(t) }]));
    const lora: LoraConfig = { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj', 'o_proj', 'down_proj'] };
    const adapter = adapterFor(cfg, lora);
    const ours = QwenModel.fromArrays(e, cfg, new Map([...raw].map(([n, w]) => [n, w.values])), { storage: 'f32', trainable: false }, new Map(expectedParams(cfg).map((p) => [p.name, p.shape])));
    ours.addLora(lora, new Rng(0), adapter);
    const session = await ort.InferenceSession.create(buildQwenOnnx(cfg, mergeAdapterCpu(cfg, raw, adapter)));
    const { numKvHeads: Hkv, headDim: D, numLayers: L, vocabSize: V } = cfg;
    const emptyPast = () => Object.fromEntries(Array.from({ length: L }, (_, l) => ['key', 'value'].map((k) => [`past_key_values.${l}.${k}`, new ort.Tensor('float32', new Float32Array(0), [B, Hkv, 0, D])])).flat());

    // A left-padded batch of three prompts of different lengths.
    const prompts = [[3, 17, 5, 9, 30, 44, 2], [11, 4], [7, 7, 2, 50]];
    const B = prompts.length;
    const T = Math.max(...prompts.map((p) => p.length));
    const ids = new Int32Array(B * T);
    const mask = new Uint8Array(B * T);
    prompts.forEach((p, b) => p.forEach((t, k) => {
      ids[b * T + T - p.length + k] = t;
      mask[b * T + T - p.length + k] = 1;
    }));
    const pos = positionIds(mask, B, T);
    const ref = await (e.scope(() => ours.forward({ ids, mask, B, T }).logits)).read();
    const out = await session.run({ input_ids: i64(ids, [B, T]), attention_mask: i64(mask, [B, T]), position_ids: i64(pos, [B, T]), ...emptyPast() });
    const got = out.logits.data as Float32Array;
    expect(out.logits.dims).toEqual([B, T, V]);
    let maxDiff = 0;
    let maxRef = 0;
    for (let i = 0; i < B * T; i++) {
      if (!mask[i]) continue; // padding rows carry no prediction
      for (let v = 0; v < V; v++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i * V + v] - ref[i * V + v]));
        maxRef = Math.max(maxRef, Math.abs(ref[i * V + v]));
      }
    }
    expect(maxRef).toBeGreaterThan(0.1);
    expect(maxDiff / maxRef).toBeLessThan(1e-4);
    expect(out['present.0.key'].dims).toEqual([B, Hkv, T, D]);

    // Greedy generation: ours (static KV cache) against onnxruntime-web fed its own present as the next past.
    const steps = 10;
    const mine = await generate(ours, prompts, { ...GREEDY, maxNewTokens: steps });
    let feeds: Record<string, ort.Tensor> = { input_ids: i64(ids, [B, T]), attention_mask: i64(mask, [B, T]), position_ids: i64(pos, [B, T]), ...emptyPast() };
    const fullMask = Array.from(mask);
    const next = prompts.map((p) => p.length);
    const theirs: number[][] = prompts.map(() => []);
    for (let s = 0; s < steps; s++) {
      const r = await session.run(feeds);
      const seqLen = r.logits.dims[1];
      const logits = r.logits.data as Float32Array;
      const tokens = prompts.map((_, b) => {
        const row = logits.subarray((b * seqLen + seqLen - 1) * V, (b * seqLen + seqLen) * V);
        let best = 0;
        for (let v = 1; v < V; v++) if (row[v] > row[best]) best = v;
        return best;
      });
      tokens.forEach((t, b) => theirs[b].push(t));
      const total = fullMask.length / B + 1;
      const grown: number[] = [];
      for (let b = 0; b < B; b++) grown.push(...fullMask.slice(b * (total - 1), (b + 1) * (total - 1)), 1);
      fullMask.splice(0, fullMask.length, ...grown);
      feeds = {
        input_ids: i64(tokens, [B, 1]),
        attention_mask: i64(fullMask, [B, total]),
        position_ids: i64(next.map((n, b) => n + s + 0 * b), [B, 1]),
        ...Object.fromEntries(Array.from({ length: L }, (_, l) => ['key', 'value'].map((k) => [`past_key_values.${l}.${k}`, r[`present.${l}.${k}`]])).flat()),
      };
    }
    expect(theirs).toEqual(mine.tokens);
    // The run is not degenerate: rows differ and tokens change over the steps.
    expect(new Set(theirs.flat()).size).toBeGreaterThan(3);
  }, 120_000);
});
