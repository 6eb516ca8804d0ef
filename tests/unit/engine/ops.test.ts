// Elementwise ops, embedding, RMSNorm (full and per-head), RoPE and SwiGLU: forward and backward vs float64,
// and each float64 backward vs finite differences.
import { describe, expect, it } from 'vitest';
import { add, embedding, exp, mul, reshape, rmsnorm, rope, scale, sub, swiglu } from '../../../src/engine/autograd/functions.ts';
import * as ref from '../../../src/engine/cpu-reference/index.ts';
import { rmsnormBackwardInput, rmsnormForward } from '../../../src/engine/ops/rmsnorm.ts';
import { ropeTables } from '../../../src/engine/ops/rope.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { dot, finiteDiffErr, forwardBackward, randomData, relErr, testEngine } from './check.ts';

describe('float64 references: backward vs finite differences', () => {
  const rng = new Rng(21);
  it('rmsnorm', () => {
    const C = 7;
    const x = randomData(rng, 3 * C).f64;
    const w = randomData(rng, C).f64;
    const dy = randomData(rng, 3 * C).f64;
    const { dx, dw } = ref.rmsnormBackwardRef(x, w, dy, C, 1e-5);
    expect(finiteDiffErr((v) => dot(ref.rmsnormRef(v, w, C, 1e-5).y, dy), x, dx, rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr((v) => dot(ref.rmsnormRef(x, v, C, 1e-5).y, dy), w, dw, rng)).toBeLessThan(1e-6);
  });
  it('rope', () => {
    const pos = Uint32Array.from([0, 3, 7]);
    const x = randomData(rng, 3 * 2 * 6).f64;
    const dy = randomData(rng, x.length).f64;
    const dx = ref.ropeBackwardRef(dy, pos, 2, 6, 10000);
    expect(finiteDiffErr((v) => dot(ref.ropeRef(v, pos, 2, 6, 10000), dy), x, dx, rng)).toBeLessThan(1e-6);
  });
  it('swiglu', () => {
    const g = randomData(rng, 11).f64;
    const u = randomData(rng, 11).f64;
    const dy = randomData(rng, 11).f64;
    const { dgate, dup } = ref.swigluBackwardRef(g, u, dy);
    expect(finiteDiffErr((v) => dot(ref.swigluRef(v, u), dy), g, dgate, rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr((v) => dot(ref.swigluRef(g, v), dy), u, dup, rng)).toBeLessThan(1e-6);
  });
  it('embedding', () => {
    const ids = Uint32Array.from([2, 0, 2, 4]);
    const table = randomData(rng, 5 * 3).f64;
    const dy = randomData(rng, 4 * 3).f64;
    const d = ref.embeddingBackwardRef(ids, dy, 5, 3);
    expect(finiteDiffErr((v) => dot(ref.embeddingRef(v, ids, 3), dy), table, d, rng)).toBeLessThan(1e-6);
  });
  it('broadcast add, mul, exp', () => {
    const a = randomData(rng, 12).f64;
    const b = randomData(rng, 4).f64;
    const dy = randomData(rng, 12).f64;
    expect(finiteDiffErr((v) => dot(ref.binaryRef('add', a, v), dy), b, ref.sumRowsRef(dy, 4), rng)).toBeLessThan(1e-6);
    const c = randomData(rng, 12).f64;
    expect(finiteDiffErr((v) => dot(ref.binaryRef('mul', v, c), dy), a, ref.binaryRef('mul', dy, c), rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr((v) => dot(ref.expRef(v), dy), a, ref.binaryRef('mul', dy, ref.expRef(a)), rng)).toBeLessThan(1e-6);
  });
});

describe.each(testAdapters())('elementwise and normalisation ops on %s', (adapter) => {
  it('add / sub (same shape and row broadcast), mul, scale, exp, reshape', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(1);
    const [R, C] = [5, 13];
    const a = randomData(rng, R * C);
    const b = randomData(rng, R * C);
    const bias = randomData(rng, C);
    const dy = randomData(rng, R * C);
    const A = () => e.tensor(a.f32, [R, C]);
    {
      const r = await forwardBackward((x, y) => add(x, y), [A(), e.tensor(bias.f32, [C])], dy.f32);
      expect(relErr(r.out, ref.binaryRef('add', a.f64, bias.f64))).toBeLessThan(1e-6);
      expect(relErr(r.grads[0]!, dy.f64)).toBeLessThan(1e-6);
      expect(relErr(r.grads[1]!, ref.sumRowsRef(dy.f64, C))).toBeLessThan(1e-6);
    }
    {
      const r = await forwardBackward((x, y) => sub(x, y), [A(), e.tensor(b.f32, [R, C])], dy.f32);
      expect(relErr(r.out, ref.binaryRef('sub', a.f64, b.f64))).toBeLessThan(1e-6);
      expect(relErr(r.grads[1]!, ref.scaleRef(dy.f64, -1))).toBeLessThan(1e-6);
    }
    {
      const r = await forwardBackward((x, y) => mul(x, y), [A(), e.tensor(b.f32, [R, C])], dy.f32);
      expect(relErr(r.out, ref.binaryRef('mul', a.f64, b.f64))).toBeLessThan(1e-6);
      expect(relErr(r.grads[0]!, ref.binaryRef('mul', dy.f64, b.f64))).toBeLessThan(1e-6);
      expect(relErr(r.grads[1]!, ref.binaryRef('mul', dy.f64, a.f64))).toBeLessThan(1e-6);
    }
    {
      const r = await forwardBackward((x) => reshape(scale(x, -0.37), [R * C]), [A()], dy.f32);
      expect(relErr(r.out, ref.scaleRef(a.f64, Math.fround(-0.37)))).toBeLessThan(1e-6);
      expect(relErr(r.grads[0]!, ref.scaleRef(dy.f64, Math.fround(-0.37)))).toBeLessThan(1e-6);
    }
    {
      const r = await forwardBackward((x) => exp(x), [A()], dy.f32);
      expect(relErr(r.out, ref.expRef(a.f64))).toBeLessThan(1e-5);
      expect(relErr(r.grads[0]!, ref.binaryRef('mul', dy.f64, ref.expRef(a.f64)))).toBeLessThan(1e-5);
    }
  });

  it('embedding gather and deterministic scatter-add (repeated ids), out-of-range id rejected', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(2);
    const [V, C, n] = [37, 9, 23];
    const table = randomData(rng, V * C);
    const ids = Uint32Array.from({ length: n }, () => rng.int(7) * 5); // many repeats, unused rows stay zero
    const dy = randomData(rng, n * C);
    const r = await forwardBackward((t, i) => embedding(t, i), [e.tensor(table.f32, [V, C]), e.tensor(ids, [n])], dy.f32);
    expect(relErr(r.out, ref.embeddingRef(table.f64, ids, C))).toBeLessThan(1e-7);
    expect(relErr(r.grads[0]!, ref.embeddingBackwardRef(ids, dy.f64, V, C))).toBeLessThan(1e-6);
    expect(() => embedding(e.tensor(table.f32, [V, C]), e.tensor(Uint32Array.from([1, V]), [2]))).toThrow(/token id 37 at position 1/);
  });

  it('RMSNorm over the hidden dim and per head (Qwen3 q_norm), odd sizes', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(3);
    // Rows up to 64 values run one invocation each (150 rows: three workgroups, the last partial), longer ones a workgroup.
    for (const [rows, C] of [[1, 3], [3, 5], [150, 9], [67, 64], [7, 70], [2, 131]]) {
      const x = randomData(rng, rows * C, 2);
      const w = randomData(rng, C);
      const dy = randomData(rng, rows * C);
      const r = await forwardBackward((a, b) => rmsnorm(a, b, 1e-6), [e.tensor(x.f32, [rows, C]), e.tensor(w.f32, [C])], dy.f32);
      const { dx, dw } = ref.rmsnormBackwardRef(x.f64, w.f64, dy.f64, C, 1e-6);
      expect(relErr(r.out, ref.rmsnormRef(x.f64, w.f64, C, 1e-6).y), `fwd ${rows}x${C}`).toBeLessThan(1e-5);
      expect(relErr(r.grads[0]!, dx), `dx ${rows}x${C}`).toBeLessThan(1e-5);
      expect(relErr(r.grads[1]!, dw), `dw ${rows}x${C}`).toBeLessThan(1e-5);
    }
    // (C = 1 is left out of the backward: dx is then ~eps/x^2, pure cancellation, in f32 and float64 alike.)
    // dx added into a gradient the input already has (the residual stream's), in both layouts.
    for (const [rows, C] of [[150, 9], [7, 70]]) {
      const [x, w, dy, prior] = [randomData(rng, rows * C, 2), randomData(rng, C), randomData(rng, rows * C), randomData(rng, rows * C)];
      const tx = e.tensor(x.f32, [rows, C]);
      const tw = e.tensor(w.f32, [C]);
      const { rstd } = rmsnormForward(e, tx, tw, 1e-6);
      const into = e.tensor(prior.f32, [rows, C]);
      rmsnormBackwardInput(e, tx, tw, e.tensor(dy.f32, [rows, C]), rstd, into);
      const { dx } = ref.rmsnormBackwardRef(x.f64, w.f64, dy.f64, C, 1e-6);
      expect(relErr(await into.read(), dx.map((v, i) => v + prior.f64[i])), `dx into ${rows}x${C}`).toBeLessThan(1e-5);
    }
    // per-head: (tokens, heads, head_dim) normalised over head_dim with one (head_dim) weight
    const [T, H, D] = [5, 3, 6];
    const x = randomData(rng, T * H * D);
    const w = randomData(rng, D);
    const r = await forwardBackward((a, b) => rmsnorm(a, b, 1e-6), [e.tensor(x.f32, [T, H, D]), e.tensor(w.f32, [D])], null);
    expect(relErr(r.out, ref.rmsnormRef(x.f64, w.f64, D, 1e-6).y)).toBeLessThan(1e-5);
  });

  it('RoPE rotate-half with rope_theta, arbitrary positions', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(4);
    const [T, H, D, theta] = [7, 3, 10, 1_000_000];
    const tables = ropeTables(e, 64, D, theta);
    const pos = Uint32Array.from({ length: T }, () => rng.int(64));
    const x = randomData(rng, T * H * D);
    const dy = randomData(rng, T * H * D);
    const r = await forwardBackward((a, p) => rope(a, p, tables), [e.tensor(x.f32, [T, H, D]), e.tensor(pos, [T])], dy.f32);
    expect(relErr(r.out, ref.ropeRef(x.f64, pos, H, D, theta))).toBeLessThan(1e-5);
    expect(relErr(r.grads[0]!, ref.ropeBackwardRef(dy.f64, pos, H, D, theta))).toBeLessThan(1e-5);
  });

  it('SwiGLU', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(5);
    const n = 131;
    const g = randomData(rng, n, 3);
    const u = randomData(rng, n);
    const dy = randomData(rng, n);
    const r = await forwardBackward((a, b) => swiglu(a, b), [e.tensor(g.f32, [n]), e.tensor(u.f32, [n])], dy.f32);
    const { dgate, dup } = ref.swigluBackwardRef(g.f64, u.f64, dy.f64);
    expect(relErr(r.out, ref.swigluRef(g.f64, u.f64))).toBeLessThan(1e-5);
    expect(relErr(r.grads[0]!, dgate)).toBeLessThan(1e-5);
    expect(relErr(r.grads[1]!, dup)).toBeLessThan(1e-5);
  });
});
