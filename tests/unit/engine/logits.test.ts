// Cross-entropy with an ignore mask, per-token log-probs, entropy and the masked mean: GPU vs float64, backward vs finite differences.
import { describe, expect, it } from 'vitest';
import { crossEntropy, entropy, linearCrossEntropy, linearTokenLogprobs, linearTokenLogprobsWithEntropy, maskedMean, tokenLogprobs } from '../../../src/engine/autograd/functions.ts';
import { matmulBackwardRef, matmulRef } from '../../../src/engine/cpu-reference/matmul.ts';
import * as ref from '../../../src/engine/cpu-reference/index.ts';
import { IGNORE_TARGET } from '../../../src/engine/ops/logits.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { dot, finiteDiffErr, forwardBackward, randomData, relErr, testEngine } from './check.ts';

const ref_ce = ref.crossEntropyRef;
const ref_ceBack = (z: Float64Array, t: Uint32Array, V: number) => ref.crossEntropyBackwardRef(z, t, V);

function targetsFor(rng: Rng, rows: number, V: number): Uint32Array {
  return Uint32Array.from({ length: rows }, (_, r) => (r % 3 === 1 ? IGNORE_TARGET : rng.int(V)));
}

describe('logits float64 references vs finite differences', () => {
  const rng = new Rng(3);
  const [rows, V] = [4, 6];
  const z = randomData(rng, rows * V, 2).f64;
  const t = targetsFor(rng, rows, V);
  const g = randomData(rng, rows).f64;
  it('cross-entropy', () => {
    expect(finiteDiffErr((x) => ref.crossEntropyRef(x, t, V), z, ref.crossEntropyBackwardRef(z, t, V), rng)).toBeLessThan(1e-6);
  });
  it('token log-probs', () => {
    expect(finiteDiffErr((x) => dot(ref.tokenLogprobsRef(x, t, V), g), z, ref.tokenLogprobsBackwardRef(z, t, V, g), rng)).toBeLessThan(1e-6);
  });
  it('entropy', () => {
    expect(finiteDiffErr((x) => dot(ref.entropyRef(x, V), g), z, ref.entropyBackwardRef(z, V, g), rng)).toBeLessThan(1e-6);
  });
  it('masked mean', () => {
    const w = Float64Array.from([1, 0, 1, 1]);
    expect(finiteDiffErr((x) => ref.maskedMeanRef(x, w), g, ref.maskedMeanBackwardRef(w), rng)).toBeLessThan(1e-6);
  });
});

describe.each(testAdapters())('logits losses on %s', (adapter) => {
  // V = 1 and odd vocabularies; 3001 exercises the strided 64-lane pass with many chunks.
  const shapes: Array<[number, number]> = [[1, 1], [5, 7], [9, 3001]];
  for (const [rows, V] of shapes) {
    it(`rows=${rows} V=${V}`, async () => {
      const e = await testEngine(adapter);
      const rng = new Rng(rows * 7 + V);
      const z = randomData(rng, rows * V, 3);
      const t = targetsFor(rng, rows, V);
      const g = randomData(rng, rows);
      {
        const r = await forwardBackward((x, y) => crossEntropy(x, y), [e.tensor(z.f32, [rows, V]), e.tensor(t, [rows])], null);
        expect(Math.abs(r.out[0] - ref.crossEntropyRef(z.f64, t, V)) / Math.max(1e-3, Math.abs(ref.crossEntropyRef(z.f64, t, V)))).toBeLessThan(1e-5);
        expect(relErr(r.grads[0]!, ref.crossEntropyBackwardRef(z.f64, t, V))).toBeLessThan(1e-5);
      }
      {
        const r = await forwardBackward((x, y) => tokenLogprobs(x, y), [e.tensor(z.f32, [rows, V]), e.tensor(t, [rows])], g.f32);
        expect(relErr(r.out, ref.tokenLogprobsRef(z.f64, t, V))).toBeLessThan(1e-5);
        expect(relErr(r.grads[0]!, ref.tokenLogprobsBackwardRef(z.f64, t, V, g.f64))).toBeLessThan(1e-5);
      }
      if (V > 1) {
        const r = await forwardBackward((x) => entropy(x), [e.tensor(z.f32, [rows, V])], g.f32);
        expect(relErr(r.out, ref.entropyRef(z.f64, V))).toBeLessThan(1e-5);
        expect(relErr(r.grads[0]!, ref.entropyBackwardRef(z.f64, V, g.f64))).toBeLessThan(1e-4);
      }
    });
  }

  it('LM head fused with the loss, in chunks of rows (3 rows per chunk, 8 rows): both modes and log-probs with entropies, gradients of h and W', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(31);
    const [N, C, V] = [8, 6, 37];
    const h = randomData(rng, N * C);
    const w = randomData(rng, V * C);
    const t = targetsFor(rng, N, V);
    const g = randomData(rng, N);
    const logits = matmulRef(h.f64, w.f64, { batch: 1, M: N, N: V, K: C, transA: false, transB: true });
    const back = (dz: Float64Array) => matmulBackwardRef(h.f64, w.f64, dz, { batch: 1, M: N, N: V, K: C, transA: false, transB: true });
    {
      const r = await forwardBackward((a, b, c) => linearCrossEntropy(a, b, c, 3), [e.tensor(h.f32, [N, C]), e.tensor(w.f32, [V, C]), e.tensor(t, [N])], null);
      const ref = ref_ce(logits, t, V);
      expect(Math.abs(r.out[0] - ref) / ref).toBeLessThan(1e-5);
      const { da, db } = back(ref_ceBack(logits, t, V));
      expect(relErr(r.grads[0]!, da)).toBeLessThan(1e-5);
      expect(relErr(r.grads[1]!, db)).toBeLessThan(1e-5);
    }
    {
      const r = await forwardBackward((a, b, c) => linearTokenLogprobs(a, b, c, 3), [e.tensor(h.f32, [N, C]), e.tensor(w.f32, [V, C]), e.tensor(t, [N])], g.f32);
      expect(relErr(r.out, ref.tokenLogprobsRef(logits, t, V))).toBeLessThan(1e-5);
      const { da, db } = back(ref.tokenLogprobsBackwardRef(logits, t, V, g.f64));
      expect(relErr(r.grads[0]!, da)).toBeLessThan(1e-5);
      expect(relErr(r.grads[1]!, db)).toBeLessThan(1e-5);
    }
    {
      // The same log-probs with each row's entropy from the same pass (not recorded: the gradients are the log-probs').
      let entropies: Promise<Float32Array> | null = null;
      const r = await forwardBackward((a, b, c) => {
        const { logp, entropy } = linearTokenLogprobsWithEntropy(a, b, c, 3);
        entropies = entropy.readLater(); // resolves with forwardBackward's flush
        return logp;
      }, [e.tensor(h.f32, [N, C]), e.tensor(w.f32, [V, C]), e.tensor(t, [N])], g.f32);
      expect(relErr(r.out, ref.tokenLogprobsRef(logits, t, V))).toBeLessThan(1e-5);
      expect(relErr(await entropies!, ref.entropyRef(logits, V))).toBeLessThan(1e-5);
      const { da, db } = back(ref.tokenLogprobsBackwardRef(logits, t, V, g.f64));
      expect(relErr(r.grads[0]!, da)).toBeLessThan(1e-5);
      expect(relErr(r.grads[1]!, db)).toBeLessThan(1e-5);
    }
  });

  it('masked mean over selected tokens', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(77);
    const n = 131;
    const x = randomData(rng, n);
    const w = Float32Array.from({ length: n }, () => (rng.next() < 0.6 ? 1 : 0));
    const r = await forwardBackward((a, b) => maskedMean(a, b), [e.tensor(x.f32, [n]), e.tensor(w, [n])], null);
    expect(Math.abs(r.out[0] - ref.maskedMeanRef(x.f64, Float64Array.from(w)))).toBeLessThan(1e-6);
    expect(relErr(r.grads[0]!, ref.maskedMeanBackwardRef(Float64Array.from(w)))).toBeLessThan(1e-6);
  });
});
