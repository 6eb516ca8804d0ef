// The fused projection (bias, residual, LoRA and counter-based dropout inside its matmuls), the matmul epilogues it is
// built from, and the dropout hash: GPU vs float64 on odd shapes for both kernel families, the float64 backward vs
// finite differences, and the mask's statistics.
import { describe, expect, it } from 'vitest';
import { projection } from '../../../src/engine/autograd/functions.ts';
import { startTape } from '../../../src/engine/autograd/tape.ts';
import { f16BitsToF32, f32ToF16Bits } from '../../../src/engine/engine.ts';
import { matmulRef } from '../../../src/engine/cpu-reference/matmul.ts';
import { projectionBackwardRef, projectionRef, type ProjectionRefInputs } from '../../../src/engine/cpu-reference/projection.ts';
import { dropoutHash, dropoutMaskRef, dropoutSeeds, dropoutThreshold } from '../../../src/engine/ops/dropout.ts';
import { matmulForward } from '../../../src/engine/ops/matmul.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { dot, finiteDiffErr, randomData, relErr, testEngine } from './check.ts';

describe('counter-based dropout mask', () => {
  it('drops a fraction p, is a pure function of (seeds, index), and masks of different seeds are independent', () => {
    const n = 200_000;
    const p = 0.1;
    const [a1, a2] = dropoutSeeds(7, 3, 1);
    const [b1, b2] = dropoutSeeds(7, 3, 2);
    const m1 = dropoutMaskRef(a1, a2, n, p);
    const m2 = dropoutMaskRef(b1, b2, n, p);
    const drop1 = m1.filter((v) => v === 0).length / n;
    const both = m1.filter((v, i) => v === 0 && m2[i] === 0).length / n;
    expect(Math.abs(drop1 - p)).toBeLessThan(0.004); // 6 standard deviations
    expect(Math.abs(both - p * p)).toBeLessThan(0.0015);
    expect(m1.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-12)).toBe(true);
    expect(Array.from(dropoutMaskRef(a1, a2, 50, p))).toEqual(Array.from(m1.subarray(0, 50)));
    expect(dropoutSeeds(7, 3, 1)).toEqual([a1, a2]);
    expect(dropoutSeeds(8, 3, 1)).not.toEqual([a1, a2]);
    expect(dropoutHash(a1, a2, 5)).toBe(dropoutHash(a1, a2, 5));
    expect(dropoutThreshold(0)).toBe(0);
    expect(() => dropoutThreshold(1)).toThrow(/\[0, 1\)/);
  });
});

describe('projection float64 reference', () => {
  it('backward matches finite differences (bias, residual, LoRA with a dropout mask)', () => {
    const rng = new Rng(3);
    const [n, inDim, outDim, r] = [4, 5, 3, 2];
    const mask = dropoutMaskRef(11, 12, n * inDim, 0.4);
    const p: ProjectionRefInputs = {
      x: randomData(rng, n * inDim).f64, w: randomData(rng, outDim * inDim).f64, bias: randomData(rng, outDim).f64, residual: randomData(rng, n * outDim).f64,
      lora: { A: randomData(rng, r * inDim).f64, B: randomData(rng, outDim * r).f64, scale: 0.7, mask }, n, inDim, outDim, r,
    };
    const dy = randomData(rng, n * outDim).f64;
    const g = projectionBackwardRef(p, dy);
    const f = (patch: (q: ProjectionRefInputs, x: Float64Array) => void) => (x: Float64Array) => {
      const q = { ...p, lora: { ...p.lora! } };
      patch(q, x);
      return dot(projectionRef(q), dy);
    };
    expect(finiteDiffErr(f((q, x) => (q.x = x)), p.x.slice(), g.dx, rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr(f((q, x) => (q.w = x)), p.w.slice(), g.dw, rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr(f((q, x) => (q.bias = x)), p.bias!.slice(), g.dbias, rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr(f((q, x) => (q.residual = x)), p.residual!.slice(), g.dresidual, rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr(f((q, x) => (q.lora!.A = x)), p.lora!.A.slice(), g.dA!, rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr(f((q, x) => (q.lora!.B = x)), p.lora!.B.slice(), g.dB!, rng)).toBeLessThan(1e-6);
  });
});

describe.each(testAdapters())('projection on %s', (adapter) => {
  for (const kernel of ['register', 'tiled'] as const) {
    it(`${kernel}: matmul epilogue (alpha, bias, residual) and dropout on A, B or the product vs float64`, async () => {
      const e = await testEngine(adapter, { matmulKernel: kernel });
      const rng = new Rng(21);
      const [M, N, K] = [13, 9, 11];
      const a = randomData(rng, M * K);
      const b = randomData(rng, N * K);
      const bias = randomData(rng, N);
      const res = randomData(rng, M * N);
      const [s1, s2] = dropoutSeeds(5, 1);
      const ta = e.tensor(a.f32, [M, K]);
      const tb = e.tensor(b.f32, [N, K]);
      const ref = (x: Float64Array, w: Float64Array) => matmulRef(x, w, { batch: 1, M, N, K, transA: false, transB: true });
      const y = await matmulForward(e, ta, tb, { transB: true, alpha: 0.3, bias: e.tensor(bias.f32, [N]), residual: e.tensor(res.f32, [M, N]) }).read();
      expect(relErr(y, ref(a.f64, b.f64).map((v, i) => 0.3 * v + bias.f64[i % N] + res.f64[i]))).toBeLessThan(1e-5);
      const drop = { p: 0.35, seed: s1, seed2: s2 };
      const onA = await matmulForward(e, ta, tb, { transB: true, dropout: { on: 'A', ...drop } }).read();
      const maskA = dropoutMaskRef(s1, s2, M * K, 0.35);
      expect(relErr(onA, ref(a.f64.map((v, i) => v * maskA[i]), b.f64))).toBeLessThan(1e-5);
      const onB = await matmulForward(e, ta, tb, { transB: true, dropout: { on: 'B', ...drop } }).read();
      const maskB = dropoutMaskRef(s1, s2, N * K, 0.35);
      expect(relErr(onB, ref(a.f64, b.f64.map((v, i) => v * maskB[i])))).toBeLessThan(1e-5);
      const acc = e.tensor(res.f32, [M, N]);
      const onC = await matmulForward(e, ta, tb, { transB: true, accumulateInto: acc, alpha: 2, dropout: { on: 'C', ...drop } }).read();
      const maskC = dropoutMaskRef(s1, s2, M * N, 0.35);
      expect(relErr(onC, ref(a.f64, b.f64).map((v, i) => res.f64[i] + 2 * v * maskC[i]))).toBeLessThan(1e-5);
    });

    const variants = [
      { name: 'frozen f16 base, LoRA with dropout, bias and residual', f16: true, lora: true, p: 0.3, bias: true, residual: true },
      { name: 'trainable f32 base, LoRA without dropout', f16: false, lora: true, p: 0, bias: false, residual: false },
      { name: 'trainable f32 base with bias and residual, no LoRA', f16: false, lora: false, p: 0, bias: true, residual: true },
    ];
    for (const v of variants) {
      it(`${kernel}: ${v.name}: output and every gradient vs float64`, async () => {
        const e = await testEngine(adapter, { matmulKernel: kernel });
        const rng = new Rng(31);
        const [n, inDim, outDim, r, scale] = [70, 13, 9, 3, 0.5]; // several tiles of rows, nothing tile-aligned
        const x = randomData(rng, n * inDim);
        const W = randomData(rng, outDim * inDim, 0.3);
        const A = randomData(rng, r * inDim);
        const B = randomData(rng, outDim * r);
        const bias = randomData(rng, outDim);
        const res = randomData(rng, n * outDim);
        const dy = randomData(rng, n * outDim);
        const [s1, s2] = dropoutSeeds(9, 2, 4);
        const tx = e.param(x.f32, [n, inDim], 'x');
        const tW = v.f16 ? e.f16Weights(W.f32, [outDim, inDim], 'W') : e.param(W.f32, [outDim, inDim], 'W');
        const tA = e.param(A.f32, [r, inDim], 'A');
        const tB = e.param(B.f32, [outDim, r], 'B');
        const tBias = e.param(bias.f32, [outDim], 'bias');
        const tRes = e.param(res.f32, [n, outDim], 'res');
        const tape = startTape(e);
        const y = projection(tx, tW, {
          bias: v.bias ? tBias : undefined, residual: v.residual ? tRes : undefined,
          lora: v.lora ? { A: tA, B: tB, scale, dropout: v.p ? { p: v.p, seed: s1, seed2: s2 } : undefined } : undefined,
        });
        const yP = y.readLater();
        tape.backward(y, { gradOutput: e.tensor(dy.f32, [n, outDim]) });
        const want = [tx, ...(v.f16 ? [] : [tW]), ...(v.lora ? [tA, tB] : []), ...(v.bias ? [tBias] : []), ...(v.residual ? [tRes] : [])];
        const got = new Map(want.map((t) => [t, t.grad!.readLater()]));
        e.flush();
        const w64 = v.f16 ? Float64Array.from(W.f32, (q) => f16BitsToF32(f32ToF16Bits(q))) : W.f64;
        const p: ProjectionRefInputs = {
          x: x.f64, w: w64, bias: v.bias ? bias.f64 : null, residual: v.residual ? res.f64 : null,
          lora: v.lora ? { A: A.f64, B: B.f64, scale, mask: v.p ? dropoutMaskRef(s1, s2, n * inDim, v.p) : null } : null, n, inDim, outDim, r,
        };
        expect(relErr(await yP, projectionRef(p)), 'y').toBeLessThan(1e-5);
        const g = projectionBackwardRef(p, dy.f64);
        expect(relErr(await got.get(tx)!, g.dx), 'dx').toBeLessThan(1e-5);
        if (!v.f16) expect(relErr(await got.get(tW)!, g.dw), 'dW').toBeLessThan(1e-5);
        if (v.lora) {
          expect(relErr(await got.get(tA)!, g.dA!), 'dA').toBeLessThan(1e-5);
          expect(relErr(await got.get(tB)!, g.dB!), 'dB').toBeLessThan(1e-5);
        }
        if (v.bias) expect(relErr(await got.get(tBias)!, g.dbias), 'dbias').toBeLessThan(1e-5);
        if (v.residual) expect(relErr(await got.get(tRes)!, g.dresidual), 'dresidual').toBeLessThan(1e-5);
        tape.dispose();
      });
    }
  }
});
