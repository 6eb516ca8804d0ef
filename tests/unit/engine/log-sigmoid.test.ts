// Log-sigmoid (the reward model's pairwise loss) and the preference-pair statistics kernel: forward and backward
// vs float64 on both CPU adapters, at values where a naive log(1 / (1 + exp(-x))) overflows or loses precision,
// and the float64 backward vs finite differences.
import { describe, expect, it } from 'vitest';
import { logSigmoid } from '../../../src/engine/autograd/functions.ts';
import { preferenceStats, PREFERENCE_STATS } from '../../../src/engine/index.ts';
import * as ref from '../../../src/engine/cpu-reference/index.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { dot, finiteDiffErr, forwardBackward, randomData, relErr, testEngine } from './check.ts';

describe('float64 log-sigmoid', () => {
  const rng = new Rng(51);
  it('backward matches finite differences, and the stable form is exact where the naive one fails', () => {
    const x = randomData(rng, 37, 4).f64;
    const dy = randomData(rng, 37).f64;
    expect(finiteDiffErr((v) => dot(ref.logSigmoidRef(v), dy), x, ref.logSigmoidBackwardRef(x, dy), rng, 37)).toBeLessThan(1e-7);
    const [big, small, zero] = ref.logSigmoidRef(Float64Array.from([-800, 40, 0]));
    expect(big).toBe(-800); // log(1/(1+e^800)) = -800 - log1p(e^-800); the naive form gives -Infinity
    expect(small).toBeCloseTo(-Math.exp(-40), 30); // the naive form rounds to 0
    expect(zero).toBeCloseTo(-Math.LN2, 15);
  });
});

describe.each(testAdapters())('log-sigmoid and preference statistics on %s', (adapter) => {
  it('log-sigmoid forward and backward match float64 on odd sizes, large |x| included', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(52);
    for (const n of [1, 67, 130]) {
      const x = randomData(rng, n, 5);
      if (n > 4) [x.f32[0], x.f32[1], x.f32[2], x.f32[3]] = [-120, 80, 1e-6, -3e-7];
      const xf = Float64Array.from(x.f32);
      const dy = randomData(rng, n);
      const r = await forwardBackward((t) => logSigmoid(t), [e.tensor(x.f32, [n])], dy.f32);
      expect(r.out.every(Number.isFinite)).toBe(true);
      expect(relErr(r.out, ref.logSigmoidRef(xf)), `forward n=${n}`).toBeLessThan(1e-6);
      expect(relErr(r.grads[0]!, ref.logSigmoidBackwardRef(xf, dy.f64)), `backward n=${n}`).toBeLessThan(1e-6);
      if (n > 4) {
        expect(r.out[0]).toBe(-120); // min(x, 0) - log1p(e^-120)
        expect(r.out[1]).toBeLessThan(0); // -e^-80 = -1.8e-35 is still a normal f32: not rounded to 0
        expect(r.grads[0]![1]).toBeCloseTo(0, 30);
        expect(r.grads[0]![0]).toBeCloseTo(dy.f32[0], 6); // σ(120) = 1
      }
    }
    // Elementwise relative error where the answer is tiny (x >> 0: log σ(x) ≈ −e^−x), which log(1 + z) on a CPU
    // adapter's log gets wrong by percents: the kernel's log1p must not call log near 1.
    const pos = Float32Array.from([0.5, 3, 8, 12, 16, 20]);
    const y = await logSigmoid(e.tensor(pos, [pos.length])).read();
    const want = ref.logSigmoidRef(Float64Array.from(pos));
    pos.forEach((_, i) => expect(Math.abs(y[i] - want[i]) / Math.abs(want[i]), `x=${pos[i]}`).toBeLessThan(2e-6));
  });

  it('preference statistics: accuracy (ties count as wrong), margin, min / mean / max reward match float64', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(53);
    for (const n of [1, 5, 100]) {
      const c = randomData(rng, n);
      const r = randomData(rng, n);
      if (n > 2) r.f32[1] = c.f32[1]; // a tie
      const stats = preferenceStats(e, e.tensor(c.f32, [n, 1]), e.tensor(r.f32, [n, 1]));
      const got = await Promise.all(PREFERENCE_STATS.map((k) => stats[k].read()));
      const want = ref.preferenceStatsRef(Float64Array.from(c.f32), Float64Array.from(r.f32));
      PREFERENCE_STATS.forEach((k, i) => {
        expect(got[i].length).toBe(1);
        expect(Math.abs(got[i][0] - want[k]), `${k} n=${n}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[k])));
      });
      for (const t of Object.values(stats)) t.release();
    }
    expect(() => preferenceStats(e, e.tensor(new Float32Array(3), [3]), e.tensor(new Float32Array(2), [2]))).toThrow(/same number/);
  });
});
