// Generation with the static KV cache against full recomputation, batched prompts, stops, sampling, and no
// per-token allocation; LoRA training state, merge, f16-packed base and the PEFT export round trip.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/util/rng.ts';
import { Engine, IGNORE_TARGET, crossEntropy, startTape } from '../../../src/engine/index.ts';
import { expectedParams, type QwenConfig } from '../../../src/model/config.ts';
import { mapProvider } from '../../../src/model/byte-source.ts';
import { DecodeSession } from '../../../src/model/decode.ts';
import { generate, GREEDY } from '../../../src/model/generate.ts';
import { LORA_TARGETS, loadAdapter, saveAdapter } from '../../../src/model/peft.ts';
import { QwenModel, type BaseWeightOptions } from '../../../src/model/qwen.ts';
import { toFloat32 } from '../../../src/model/safetensors.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { randomWeights, tinyConfig } from './fixtures.ts';

function build(e: Engine, cfg: QwenConfig, base: BaseWeightOptions, seed = 31): QwenModel {
  const shapes = new Map(expectedParams(cfg).map((p) => [p.name, p.shape]));
  const weights = new Map(randomWeights(cfg, seed).map((t) => [t.name, toFloat32(t)]));
  return QwenModel.fromArrays(e, cfg, weights, base, shapes);
}

async function argmaxLast(model: QwenModel, seq: number[]): Promise<number> {
  const e = model.e;
  const t = e.scope(() => model.forward({ ids: Int32Array.from(seq), mask: new Uint8Array(seq.length).fill(1), B: 1, T: seq.length }).logits);
  const logits = await t.read();
  t.release();
  const row = logits.subarray((seq.length - 1) * model.cfg.vocabSize, seq.length * model.cfg.vocabSize);
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

describe.each(testAdapters())('generation on %s', (adapter) => {
  it.each(['qwen2', 'qwen3'] as const)('%s: batched greedy with the KV cache equals full recomputation at every step', async (arch) => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig(arch);
    const model = build(e, cfg, { storage: 'f32', trainable: false });
    const prompts = [[3, 17, 5, 9, 30], [11], [7, 7, 2]];
    const allocs: number[] = [];
    const res = await generate(model, prompts, { ...GREEDY, maxNewTokens: 8 }, { onToken: (row) => row === 0 && allocs.push(e.stats.allocations) });
    expect(res.finish).toEqual(['length', 'length', 'length']);
    for (let b = 0; b < prompts.length; b++) {
      const seq = [...prompts[b]];
      for (let s = 0; s < 8; s++) {
        const next = await argmaxLast(model, seq);
        expect(res.tokens[b][s], `row ${b} step ${s}`).toBe(next);
        seq.push(next);
      }
    }
    // The tokens are not all the same (the check above is not trivially satisfied).
    expect(new Set(res.tokens.flat()).size).toBeGreaterThan(3);
    // No buffer is allocated per token once the first decode step has warmed the pool.
    expect(allocs.at(-1)).toBe(allocs[2]);
    expect(res.tokensPerSecond).toBeGreaterThan(0);
  });

  it('stop tokens, stop strings, seeded sampling, top-k 1 = greedy', async () => {
    const e = new Engine(await gpuFor(adapter));
    const model = build(e, tinyConfig('qwen3'), { storage: 'f32', trainable: false });
    const greedy = await generate(model, [[1, 2, 3]], { ...GREEDY, maxNewTokens: 6 });
    const stopTok = greedy.tokens[0][2];
    const stopped = await generate(model, [[1, 2, 3]], { ...GREEDY, maxNewTokens: 6, stopTokens: [stopTok] });
    expect(stopped.tokens[0]).toEqual(greedy.tokens[0].slice(0, greedy.tokens[0].indexOf(stopTok) + 1));
    expect(stopped.finish[0]).toBe('stop');
    const decode = (ids: number[]) => ids.map((i) => `<${i}>`).join('');
    const byString = await generate(model, [[1, 2, 3]], { ...GREEDY, maxNewTokens: 6, stopStrings: [`<${greedy.tokens[0][1]}>`] }, { decode });
    expect(byString.tokens[0].length).toBeLessThanOrEqual(2);
    expect(byString.finish[0]).toBe('stop');
    const sampled = { ...GREEDY, maxNewTokens: 6, temperature: 1.5, topK: 10, topP: 0.95, seed: 4 };
    const s1 = await generate(model, [[1, 2, 3], [4]], sampled);
    const s2 = await generate(model, [[1, 2, 3], [4]], sampled);
    expect(s1.tokens).toEqual(s2.tokens);
    const k1 = await generate(model, [[1, 2, 3]], { ...sampled, topK: 1 });
    expect(k1.tokens[0]).toEqual(greedy.tokens[0]);
  });

  it('a decode session over attached adapters runs merged copies: the same tokens and log-probs, 1 dispatch per projection, adapters untouched', async () => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig('qwen3');
    for (const storage of ['f32', 'f16'] as const) {
      const model = build(e, cfg, { storage, trainable: false });
      model.addLora({ r: 4, alpha: 8, dropout: 0, targets: [...LORA_TARGETS] }, new Rng(5));
      for (const b of model.lora!.B.values()) e.batch.upload(new Rng(b.id).floats(b.size, -0.3, 0.3), b.buffer);
      const adapters = async () => Promise.all([...model.lora!.A.values(), ...model.lora!.B.values()].map((t) => t.read()));
      const before = await adapters();
      /** Prompts of different lengths, then 6 sampled steps; the ids, log-probs and dispatches of each step. */
      const run = async (mergeMaxBytes: number) => {
        const s = new DecodeSession(model, 2, 16, { temperature: 0.9, topK: 0, topP: 1, seed: 3 }, { mergeMaxBytes });
        const ids: number[] = [];
        const logprobs: number[] = [];
        let dispatches = 0;
        let next = await s.feed([[3, 17, 5, 9], [11, 2]]);
        for (let t = 0; t < 6; t++) {
          ids.push(...(next.ids as number[]));
          logprobs.push(...(next.logprobs as number[]));
          e.resetCounters();
          next = await s.feed(next.ids.map((i) => [i!]));
          dispatches = e.stats.dispatches;
        }
        s.release();
        return { merged: s.merged, ids, logprobs, dispatches };
      };
      const plain = await run(0);
      const inUse = e.stats.bytesInUse;
      const merged = await run(Number.MAX_SAFE_INTEGER);
      expect([plain.merged, merged.merged], storage).toEqual([false, true]);
      expect(merged.ids, storage).toEqual(plain.ids);
      expect(new Set(plain.ids).size, storage).toBeGreaterThan(2);
      for (let i = 0; i < plain.logprobs.length; i++) expect(Math.abs(merged.logprobs[i] - plain.logprobs[i]), `${storage} ${i}`).toBeLessThan(1e-5);
      // Each adapted projection was 3 matmuls (base, x·Aᵀ, u·Bᵀ into the output) and is 1.
      expect(plain.dispatches - merged.dispatches, storage).toBe(2 * LORA_TARGETS.length * cfg.numLayers);
      // The adapters are bit-identical after, and the copies are gone.
      expect((await adapters()).map((a) => Array.from(a)), storage).toEqual(before.map((a) => Array.from(a)));
      expect(e.stats.bytesInUse, storage).toBe(inUse);
      // Under a tape (a training forward inside a session) the adapters run unmerged, so their gradients still flow.
      const s = new DecodeSession(model, 1, 8, GREEDY, { mergeMaxBytes: Number.MAX_SAFE_INTEGER });
      const tape = startTape(e);
      const out = model.forward({ ids: Int32Array.from([4, 9, 1]), mask: Uint8Array.from([1, 1, 1]), B: 1, T: 3 });
      tape.backward(crossEntropy(out.logits, e.tensor(Uint32Array.from([9, 1, 22]), [3], 'u32')));
      expect((await model.lora!.B.get('1.down_proj')!.grad!.read()).some((g) => g !== 0), storage).toBe(true);
      tape.dispose();
      s.release();
    }
  });

  it('LoRA: only adapters and score head train; merge keeps the logits; PEFT export reloads exactly; f16 base', async () => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig('qwen3');
    const batch = { ids: Int32Array.from([4, 9, 1, 22, 5, 6, 7, 8]), mask: Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 0]), B: 2, T: 4 };
    for (const storage of ['f32', 'f16'] as const) {
      const model = build(e, cfg, { storage, trainable: false });
      model.addLora({ r: 4, alpha: 8, dropout: 0.1, targets: ['q_proj', 'v_proj', 'gate_proj', 'down_proj'] }, new Rng(5));
      model.addScoreHead(new Rng(6));
      expect(model.trainableParams().length).toBe(cfg.numLayers * 4 * 2 + 1);
      // One SGD-free training step: gradients reach A, B and the score head; frozen base gets none.
      model.training = true;
      const tape = startTape(e);
      const out = model.forward(batch);
      const tgt = e.tensor(Uint32Array.from([9, 1, 22, IGNORE_TARGET, 6, IGNORE_TARGET, IGNORE_TARGET, IGNORE_TARGET]), [8], 'u32');
      tape.backward(crossEntropy(out.logits, tgt));
      model.training = false;
      const gB = await model.lora!.B.get('0.q_proj')!.grad!.read();
      expect(gB.some((g) => g !== 0)).toBe(true);
      expect(model.baseTensors().every(([, t]) => t.grad === null)).toBe(true);
      tape.dispose();
      // Give B non-zero values so the adapter changes the output, then compare adapter vs merged.
      for (const b of model.lora!.B.values()) e.batch.upload(new Rng(b.id).floats(b.size, -0.2, 0.2), b.buffer);
      const logitsOf = async (m: QwenModel) => {
        const t = e.scope(() => m.forward(batch).logits);
        const v = await t.read();
        t.release();
        return v;
      };
      const withAdapter = await logitsOf(model);
      const exported = await model.exportAdapter('tiny');
      const files = saveAdapter(exported);
      model.mergeLora();
      const merged = await logitsOf(model);
      let maxDiff = 0;
      let maxRef = 0;
      for (let i = 0; i < merged.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(merged[i] - withAdapter[i]));
        maxRef = Math.max(maxRef, Math.abs(withAdapter[i]));
      }
      expect(maxDiff / maxRef).toBeLessThan(1e-5);
      // Reload the saved adapter into a fresh model: same logits as before the merge.
      const fresh = build(e, cfg, { storage, trainable: false });
      const loaded = await loadAdapter(mapProvider(new Map<string, Uint8Array>([
        ['adapter_config.json', new TextEncoder().encode(files['adapter_config.json'])],
        ['adapter_model.safetensors', files['adapter_model.safetensors']],
      ])), cfg);
      fresh.addLora(loaded.lora, new Rng(0), loaded);
      expect(Array.from(await logitsOf(fresh))).toEqual(Array.from(withAdapter));
      expect(fresh.scoreHead).not.toBeNull();
    }
    // The f16-packed base stays close to f32 (weights rounded to half precision).
    const f32 = build(e, cfg, { storage: 'f32', trainable: false });
    const f16 = build(e, cfg, { storage: 'f16', trainable: false });
    const a = await (e.scope(() => f32.forward(batch).logits)).read();
    const b = await (e.scope(() => f16.forward(batch).logits)).read();
    let d = 0;
    let r = 0;
    for (let i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
      r = Math.max(r, Math.abs(a[i]));
    }
    expect(d / r).toBeLessThan(5e-3);
    expect(d).toBeGreaterThan(0);
  });
});
