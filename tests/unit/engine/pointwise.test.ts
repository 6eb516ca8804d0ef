// The clipping ops (clamp / affine, minimum / maximum) that PPO's and GRPO's objectives are written with:
// forward and backward vs float64 on both CPU adapters (ties and boundaries included), and the float64
// backward vs finite differences away from the kinks.
import { describe, expect, it } from 'vitest';
import { affine, clamp, maximum, minimum } from '../../../src/engine/autograd/functions.ts';
import * as ref from '../../../src/engine/cpu-reference/index.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { dot, finiteDiffErr, forwardBackward, randomData, relErr, testEngine } from './check.ts';

describe('float64 references of the clipping ops: backward vs finite differences', () => {
  const rng = new Rng(31);
  it('clamp(a·x + b) away from the bounds (the kink is not differentiable)', () => {
    const x = randomData(rng, 40, 2).f64.map((v) => (Math.abs(0.5 * v + 0.1 - 0.6) < 0.01 || Math.abs(0.5 * v + 0.1 + 0.4) < 0.01 ? v + 0.1 : v));
    const dy = randomData(rng, 40).f64;
    const dx = ref.affineClampBackwardRef(x, dy, 0.5, 0.1, -0.4, 0.6);
    expect(dx.some((v) => v === 0)).toBe(true); // some values are clipped ...
    expect(dx.some((v) => v !== 0)).toBe(true); // ... and some are not
    expect(finiteDiffErr((v) => dot(ref.affineClampRef(v, 0.5, 0.1, -0.4, 0.6), dy), x, dx, rng, 40)).toBeLessThan(1e-6);
  });
  it('minimum and maximum away from ties', () => {
    const a = randomData(rng, 30).f64;
    const b = randomData(rng, 30).f64;
    const dy = randomData(rng, 30).f64;
    for (const op of ['minimum', 'maximum'] as const) {
      const { da, db } = ref.minmaxBackwardRef(op, a, b, dy);
      expect(finiteDiffErr((v) => dot(ref.minmaxRef(op, v, b), dy), a, da, rng, 30)).toBeLessThan(1e-6);
      expect(finiteDiffErr((v) => dot(ref.minmaxRef(op, a, v), dy), b, db, rng, 30)).toBeLessThan(1e-6);
    }
  });
});

describe.each(testAdapters())('clipping ops on %s', (adapter) => {
  it('clamp and affine: values, gradients, bounds that bind on both sides and on the boundary itself', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(32);
    const n = 131;
    const x = randomData(rng, n, 0.5);
    // Exact boundary values (0.8 and 1.2 are exact in f32 after fround) must pass the gradient, as torch.clamp does.
    x.f32[3] = Math.fround(0.8);
    x.f32[4] = Math.fround(1.2);
    for (let i = 5; i < n; i += 2) x.f32[i] += 1; // around 1, like probability ratios
    const xf = Float64Array.from(x.f32);
    const dy = randomData(rng, n);
    const [lo, hi] = [Math.fround(0.8), Math.fround(1.2)];
    const r = await forwardBackward((t) => clamp(t, lo, hi), [e.tensor(x.f32, [n])], dy.f32);
    expect(relErr(r.out, ref.affineClampRef(xf, 1, 0, lo, hi))).toBeLessThan(1e-7);
    const dx = ref.affineClampBackwardRef(xf, dy.f64, 1, 0, lo, hi);
    expect(relErr(r.grads[0]!, dx)).toBeLessThan(1e-7);
    expect(r.grads[0]![3]).toBe(dy.f32[3]);
    expect(r.grads[0]![4]).toBe(dy.f32[4]);
    expect(dx.filter((v) => v === 0).length).toBeGreaterThan(10);

    const [a, b] = [Math.fround(-1.7), Math.fround(0.3)];
    const r2 = await forwardBackward((t) => affine(t, a, b), [e.tensor(x.f32, [n])], dy.f32);
    expect(relErr(r2.out, ref.affineClampRef(xf, a, b, -Infinity, Infinity))).toBeLessThan(1e-6);
    expect(relErr(r2.grads[0]!, ref.scaleRef(dy.f64, a))).toBeLessThan(1e-7);
    expect(() => clamp(e.tensor(x.f32, [n]), 1, 0)).toThrow(/lower bound 1 is above upper bound 0/);
  });

  it('minimum / maximum: values and gradients, ties split evenly between the operands', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(33);
    const [R, C] = [3, 17];
    const a = randomData(rng, R * C);
    const b = randomData(rng, R * C);
    for (let i = 0; i < R * C; i += 5) b.f32[i] = a.f32[i]; // ties
    const af = Float64Array.from(a.f32);
    const bf = Float64Array.from(b.f32);
    const dy = randomData(rng, R * C);
    for (const [op, fn] of [['minimum', minimum], ['maximum', maximum]] as const) {
      const r = await forwardBackward((x, y) => fn(x, y), [e.tensor(a.f32, [R, C]), e.tensor(b.f32, [R, C])], dy.f32);
      const { da, db } = ref.minmaxBackwardRef(op, af, bf, dy.f64);
      expect(relErr(r.out, ref.minmaxRef(op, af, bf)), op).toBeLessThan(1e-7);
      expect(relErr(r.grads[0]!, da), `${op} da`).toBeLessThan(1e-7);
      expect(relErr(r.grads[1]!, db), `${op} db`).toBeLessThan(1e-7);
      expect(r.grads[0]![0]).toBeCloseTo(dy.f32[0] / 2, 6);
    }
    expect(() => minimum(e.tensor(a.f32, [R, C]), e.tensor(b.f32.subarray(0, C), [C]))).toThrow(/must be equal/);
  });
});
