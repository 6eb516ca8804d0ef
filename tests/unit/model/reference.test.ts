// The float64 reference model's backward against central finite differences, for Qwen2 and Qwen3 with LoRA.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/util/rng.ts';
import { refBackward, refCrossEntropy, refForward, positionIds, SCORE_HEAD } from '../../../src/model/reference/qwen-ref.ts';
import { tinyConfig } from './fixtures.ts';
import { paddedBatch, refLora, refParams } from './ref-fixtures.ts';

describe.each(['qwen2', 'qwen3'] as const)('float64 reference %s', (arch) => {
  it('backward matches finite differences for base weights, LoRA factors and the score head (padded batch)', () => {
    const cfg = tinyConfig(arch, { hiddenSize: 16, intermediateSize: 24, numHeads: 4, numKvHeads: 2, headDim: 4, vocabSize: 23 });
    const params = refParams(cfg, 3);
    const lora = refLora(cfg, { r: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] }, 4);
    const input = paddedBatch(cfg.vocabSize, 6, 5);
    const targets = new Int32Array(input.B * input.T).map((_, i) => (input.mask[i] ? (input.ids[i] * 7 + 3) % cfg.vocabSize : -100));
    const dValRng = new Rng(9);
    const dValues = Float64Array.from({ length: input.B * input.T }, () => (dValRng.next() - 0.5) * 0.2);
    const lossOf = () => {
      const f = refForward(cfg, params, input, lora);
      let l = refCrossEntropy(f.logits, targets, cfg.vocabSize).loss;
      for (let i = 0; i < dValues.length; i++) l += dValues[i] * f.values![i];
      return l;
    };
    const fwd = refForward(cfg, params, input, lora);
    const { dLogits } = refCrossEntropy(fwd.logits, targets, cfg.vocabSize);
    const { grads, loraGrads } = refBackward(cfg, params, fwd, dLogits, dValues, lora);

    const rng = new Rng(17);
    const check = (name: string, w: Float64Array, g: Float64Array) => {
      for (let trial = 0; trial < 3; trial++) {
        // Embedding rows of tokens absent from the batch have zero grad: pick a used row for half the trials.
        const i = name.includes('embed') && trial < 2 ? input.ids[rng.int(input.ids.length)] * cfg.hiddenSize + rng.int(cfg.hiddenSize) : rng.int(w.length);
        const h = 1e-5;
        const keep = w[i];
        w[i] = keep + h;
        const up = lossOf();
        w[i] = keep - h;
        const down = lossOf();
        w[i] = keep;
        const fd = (up - down) / (2 * h);
        expect(Math.abs(fd - g[i]), `${name}[${i}]: fd ${fd} vs ${g[i]}`).toBeLessThan(1e-7 + 1e-5 * Math.abs(fd));
      }
    };
    for (const [name, w] of params) check(name, w, grads.get(name)!);
    for (const [name, w] of lora.params) check(name, w, loraGrads.get(name)!);
    expect(grads.get(SCORE_HEAD)!.some((g) => g !== 0)).toBe(true);
  });

  it('padding does not change the real tokens: a left-padded row equals the same row unpadded', () => {
    const cfg = tinyConfig(arch);
    const params = refParams(cfg, 8, false);
    const batch = paddedBatch(cfg.vocabSize, 7, 2);
    const T = batch.T;
    const f = refForward(cfg, params, batch);
    // Row 2 is left-padded by 3: run its real tokens alone.
    const ids = batch.ids.slice(2 * T + 3, 3 * T);
    const alone = refForward(cfg, params, { ids, mask: new Uint8Array(ids.length).fill(1), B: 1, T: ids.length });
    const V = cfg.vocabSize;
    for (let t = 0; t < ids.length; t++) {
      for (let v = 0; v < V; v++) expect(f.logits[(2 * T + 3 + t) * V + v]).toBeCloseTo(alone.logits[t * V + v], 12);
    }
    expect(Array.from(positionIds(batch.mask, batch.B, T).subarray(2 * T, 3 * T))).toEqual([0, 0, 0, 0, 1, 2, 3]);
  });
});
