// The reward model's loss (TRL RewardTrainer: −log σ(r_c − r_r − margin) + coef · mean (r_c + r_r)²): the float64
// reference against finite differences, and the GPU graph (log-sigmoid, sub, mul, masked means) against it, with
// and without margins and centring, on both CPU adapters; the logged statistics travel with it.
import { describe, expect, it } from 'vitest';
import * as ref from '../../../src/engine/cpu-reference/index.ts';
import { preferenceLoss } from '../../../src/train/rm.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { finiteDiffErr, forwardBackward, randomData, relErr, testEngine } from '../engine/check.ts';

describe('float64 reward loss', () => {
  const rng = new Rng(71);
  it.each([[false, 0], [true, 0], [false, 0.01], [true, 0.5]] as const)('gradients match finite differences (margin %s, centring %s)', (withMargin, coef) => {
    const P = 13;
    const c = randomData(rng, P, 2).f64;
    const r = randomData(rng, P, 2).f64;
    const m = withMargin ? randomData(rng, P).f64.map(Math.abs) : null;
    const { loss, dChosen, dRejected } = ref.preferenceLossRef(c, r, m, coef);
    expect(loss).toBeGreaterThan(0);
    expect(finiteDiffErr((v) => ref.preferenceLossRef(v, r, m, coef).loss, c, dChosen, rng, P)).toBeLessThan(1e-6);
    expect(finiteDiffErr((v) => ref.preferenceLossRef(c, v, m, coef).loss, r, dRejected, rng, P)).toBeLessThan(1e-6);
  });
  it('is log 2 for equal rewards, near 0 for a wide correct margin, and a margin raises it', () => {
    const z = new Float64Array(4);
    expect(ref.preferenceLossRef(z, z, null, 0).loss).toBeCloseTo(Math.LN2, 12);
    expect(ref.preferenceLossRef(z.map(() => 30), z, null, 0).loss).toBeLessThan(1e-12);
    const c = Float64Array.from([1, 2, 0.5, -1]);
    const r = Float64Array.from([0, 0, 0, -2]);
    expect(ref.preferenceLossRef(c, r, z.map(() => 1), 0).loss).toBeGreaterThan(ref.preferenceLossRef(c, r, null, 0).loss);
  });
});

describe.each(testAdapters())('reward loss on %s', (adapter) => {
  it.each([[false, 0], [true, 0.01], [true, 0.3]] as const)('GPU loss and gradients match float64 (margin %s, centring %s)', async (withMargin, coef) => {
    const e = await testEngine(adapter);
    const rng = new Rng(72);
    for (const P of [1, 7, 66]) {
      const c = randomData(rng, P, 2);
      const r = randomData(rng, P, 2);
      const m = withMargin ? Float32Array.from(randomData(rng, P).f32, Math.abs) : null;
      const out = await forwardBackward((x, y) => preferenceLoss(x, y, m, coef).loss, [e.tensor(c.f32, [P, 1]), e.tensor(r.f32, [P, 1])], null);
      const want = ref.preferenceLossRef(Float64Array.from(c.f32), Float64Array.from(r.f32), m ? Float64Array.from(m) : null, coef);
      expect(Math.abs(out.out[0] - want.loss) / want.loss, `loss P=${P}`).toBeLessThan(1e-5);
      expect(relErr(out.grads[0]!, want.dChosen), `d chosen P=${P}`).toBeLessThan(1e-5);
      expect(relErr(out.grads[1]!, want.dRejected), `d rejected P=${P}`).toBeLessThan(1e-5);
    }
  });

  it('returns the accuracy, margin and reward range with the loss', async () => {
    const e = await testEngine(adapter);
    const c = Float32Array.from([2, 0.5, -1, 3]);
    const r = Float32Array.from([1, 0.5, 0, -3]);
    const { stats } = preferenceLoss(e.tensor(c, [4, 1]), e.tensor(r, [4, 1]), null, 0.01);
    const read = async (k: keyof typeof stats) => (await stats[k].read())[0];
    expect(await read('accuracy')).toBe(0.5); // 2 > 1 and 3 > -3; the tie does not count
    expect(await read('margin')).toBeCloseTo((1 + 0 - 1 + 6) / 4, 6);
    expect(await read('min_reward')).toBe(-3);
    expect(await read('max_reward')).toBe(3);
    expect(await read('mean_reward')).toBeCloseTo(3 / 8, 6);
  });
});
