// Tape and memory behaviour: gradients through frozen f16 weights (the LoRA set-up), gradient accumulation,
// scopes returning buffers to the pool, and clear errors for misuse.
import { describe, expect, it } from 'vitest';
import { add, linear, matmul, mul, scale, sub } from '../../../src/engine/autograd/functions.ts';
import { startTape } from '../../../src/engine/autograd/tape.ts';
import { f16BitsToF32, f32ToF16Bits } from '../../../src/engine/engine.ts';
import { matmulBackwardRef, matmulRef } from '../../../src/engine/cpu-reference/matmul.ts';
import { sizeClass } from '../../../src/gpu/buffer-pool.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { randomData, relErr, testEngine } from './check.ts';

it('pool size classes: at least the request, at most 1.5x of it above 256 bytes', () => {
  for (const n of [1, 255, 256, 257, 1000, 4096, 5000, 123457]) {
    expect(sizeClass(n)).toBeGreaterThanOrEqual(n);
    if (n > 256) expect(sizeClass(n)).toBeLessThanOrEqual(1.5 * Math.ceil(n / 4) * 4);
  }
});

describe.each(testAdapters())('autograd on %s', (adapter) => {
  it('LoRA on a frozen f16 base weight: y = x·Wᵀ + s·(x·Aᵀ)·Bᵀ, gradients of x, A and B vs float64', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(12);
    const [n, inDim, out, r, s] = [5, 12, 10, 3, 0.5];
    const x = randomData(rng, n * inDim);
    const W = randomData(rng, out * inDim, 0.3);
    const A = randomData(rng, r * inDim);
    const B = randomData(rng, out * r);
    const dy = randomData(rng, n * out);
    const tx = e.param(x.f32, [n, inDim], 'x');
    const tA = e.param(A.f32, [r, inDim], 'A');
    const tB = e.param(B.f32, [out, r], 'B');
    const tW = e.f16Weights(W.f32, [out, inDim], 'W');
    const tape = startTape(e);
    const y = add(linear(tx, tW), scale(linear(linear(tx, tA), tB), s));
    const yP = y.readLater();
    tape.backward(y, { gradOutput: e.tensor(dy.f32, [n, out]) });
    const [gx, gA, gB] = [tx, tA, tB].map((t) => t.grad!.readLater());
    e.flush();
    // float64 reference with the f16-rounded base weight
    const Wr = Float64Array.from(W.f32, (v) => f16BitsToF32(f32ToF16Bits(v)));
    const lin = (a: Float64Array, w: Float64Array, M: number, N: number, K: number) => matmulRef(a, w, { batch: 1, M, N, K, transA: false, transB: true });
    const h = lin(x.f64, A.f64, n, r, inDim); // (n, r)
    const yRef = lin(x.f64, Wr, n, out, inDim).map((v, i) => v + s * lin(h, B.f64, n, out, r)[i]);
    expect(relErr(await yP, yRef)).toBeLessThan(1e-5);
    const dyS = dy.f64.map((v) => v * Math.fround(s));
    const bB = matmulBackwardRef(h, B.f64, dyS, { batch: 1, M: n, N: out, K: r, transA: false, transB: true });
    const bA = matmulBackwardRef(x.f64, A.f64, bB.da, { batch: 1, M: n, N: r, K: inDim, transA: false, transB: true });
    const bW = matmulBackwardRef(x.f64, Wr, dy.f64, { batch: 1, M: n, N: out, K: inDim, transA: false, transB: true });
    expect(relErr(await gB, bB.db)).toBeLessThan(1e-5);
    expect(relErr(await gA, bA.db)).toBeLessThan(1e-5);
    expect(relErr(await gx, bA.da.map((v, i) => v + bW.da[i]))).toBeLessThan(1e-5);
    tape.dispose();
    // The frozen weight cannot take a gradient.
    tW.needsGrad = true;
    expect(() => matmul(tx, tW, { transB: true })).toThrow(/frozen/);
  });

  it('two tensors that meet in an add and again elsewhere keep separate gradients (add hands both the same dy)', async () => {
    // y = (a − b)·w2 + (a + b)·w1: da = w1 + w2, db = w1 − w2. Backward meets the add first and gives a and b views
    // of one buffer; before copy-on-write accumulation the sub's contribution to a was added into that buffer,
    // changing b's gradient too.
    const e = await testEngine(adapter);
    const rng = new Rng(14);
    const n = 9;
    const [a, b, w1, w2] = [0, 1, 2, 3].map(() => randomData(rng, n));
    for (const leaves of [true, false]) {
      const ta = e.param(a.f32, [n], 'a');
      const tb = e.param(b.f32, [n], 'b');
      const tape = startTape(e);
      // Non-leaf variant: the add's inputs are outputs of other ops, whose gradients travel through the tape's map.
      const [xa, xb] = leaves ? [ta, tb] : [scale(ta, 1), scale(tb, 1)];
      const y = add(mul(sub(xa, xb), e.tensor(w2.f32, [n])), mul(add(xa, xb), e.tensor(w1.f32, [n])));
      tape.backward(y, { gradOutput: e.tensor(new Float32Array(n).fill(1), [n]) });
      const [ga, gb] = await Promise.all([ta.grad!.read(), tb.grad!.read()]);
      tape.dispose();
      expect(relErr(ga, w1.f64.map((v, i) => v + w2.f64[i])), `da, leaves ${leaves}`).toBeLessThan(1e-6);
      expect(relErr(gb, w1.f64.map((v, i) => v - w2.f64[i])), `db, leaves ${leaves}`).toBeLessThan(1e-6);
    }
  });

  it('gradients accumulate over two backward passes (micro-batches)', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(2);
    const w = e.param(randomData(rng, 6).f32, [2, 3], 'w');
    const xs = [randomData(rng, 12), randomData(rng, 12)];
    for (const x of xs) {
      const tape = startTape(e);
      const y = matmul(e.tensor(x.f32, [4, 3]), w, { transB: true }); // (4, 2)
      tape.backward(y); // d/dw of sum(y) = column sums of x, per output row
      tape.dispose();
    }
    const g = await w.grad!.read();
    const ref = new Float64Array(6);
    for (const x of xs) for (let r = 0; r < 4; r++) for (let o = 0; o < 2; o++) for (let c = 0; c < 3; c++) ref[o * 3 + c] += x.f64[r * 3 + c];
    expect(relErr(g, ref)).toBeLessThan(1e-6);
  });

  it('a scope returns its intermediates to the pool; use after release and bad shapes give clear errors', async () => {
    const e = await testEngine(adapter);
    const a = e.tensor(new Float32Array(64).fill(1), [8, 8]);
    await e.sync();
    const before = e.pool.stats.bytesInUse;
    const kept = e.scope(() => sub(scale(add(a, a), 3), a));
    expect(e.pool.stats.bytesInUse).toBe(before + 256); // only the returned (8, 8) tensor stays in use
    expect(Array.from(await kept.read()).every((v) => v === 5)).toBe(true);
    kept.release();
    expect(e.pool.stats.bytesInUse).toBe(before);
    expect(() => kept.buffer).toThrow(/used after release/);
    expect(() => e.tensor(new Float32Array(5), [2, 3], 'f32', 'bad')).toThrow(/5 values for shape \[2, 3\]/);
    expect(() => matmul(a, e.tensor(new Float32Array(6), [3, 2]))).toThrow(/inner dims differ/);
  });
});
