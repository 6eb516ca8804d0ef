// Causal GQA flash attention with a padding mask: forward and backward vs float64, and the float64 backward vs finite differences.
import { describe, expect, it } from 'vitest';
import { attention } from '../../../src/engine/autograd/functions.ts';
import { attentionBackwardRef, attentionRef, type AttentionRefShape } from '../../../src/engine/cpu-reference/attention.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { dot, finiteDiffErr, forwardBackward, randomData, relErr, testEngine } from './check.ts';

/** Left padding in batch 0, right padding in batch 1, none after. */
function paddingMask(B: number, T: number): Uint32Array {
  const m = new Uint32Array(B * T).fill(1);
  if (T > 2) {
    m[0] = 0;
    m[1] = 0;
    if (B > 1) m[2 * T - 1] = 0;
  }
  return m;
}

describe('attention float64 reference', () => {
  it('backward matches finite differences (GQA, padding)', () => {
    const rng = new Rng(7);
    const s: AttentionRefShape = { B: 2, T: 5, Hq: 4, Hkv: 2, D: 3 };
    const mask = paddingMask(2, 5);
    const q = randomData(rng, 2 * 5 * 4 * 3).f64;
    const k = randomData(rng, 2 * 5 * 2 * 3).f64;
    const v = randomData(rng, 2 * 5 * 2 * 3).f64;
    const dout = randomData(rng, q.length).f64;
    const g = attentionBackwardRef(q, k, v, mask, dout, s);
    expect(finiteDiffErr((x) => dot(attentionRef(x, k, v, mask, s), dout), q, g.dq, rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr((x) => dot(attentionRef(q, x, v, mask, s), dout), k, g.dk, rng)).toBeLessThan(1e-6);
    expect(finiteDiffErr((x) => dot(attentionRef(q, k, x, mask, s), dout), v, g.dv, rng)).toBeLessThan(1e-6);
  });
});

type Variant = 'rows' | 'subgroups' | 'subgroups32' | 'tiled' | 'tiledBroadcast' | 'tiledSplit';

function engineOptions(kernel: Variant): Parameters<typeof testEngine>[1] {
  if (kernel === 'subgroups32') return { attentionKernel: 'subgroups', emulateAttentionSubgroups: 32 };
  if (kernel === 'tiledSplit') return { attentionKernel: 'tiled', attentionTiledMinRows: 1, attentionBackward: 'split', attentionTiledBroadcast: false };
  if (kernel === 'tiledBroadcast') return { attentionKernel: 'tiled', attentionTiledMinRows: 1, attentionBackward: 'fused', attentionTiledBroadcast: true };
  if (kernel === 'tiled') return { attentionKernel: 'tiled', attentionTiledMinRows: 1, attentionBackward: 'fused', attentionTiledBroadcast: false };
  return { attentionKernel: kernel, attentionTiledMinRows: 1, attentionBackward: 'fused' };
}

describe.each(testAdapters())('attention on %s', (adapter) => {
  // rightPad: the last batch entry's final positions are padding (a shorter episode in an RL micro-batch).
  const cases: Array<AttentionRefShape & { only?: string[]; rightPad?: number }> = [
    { B: 1, T: 1, Hq: 1, Hkv: 1, D: 1 },
    { B: 1, T: 3, Hq: 2, Hkv: 1, D: 128 }, // Qwen3's head_dim: the largest unrolled kernels

    { B: 2, T: 7, Hq: 4, Hkv: 2, D: 8 },
    { B: 2, T: 13, Hq: 6, Hkv: 2, D: 5 },
    { B: 1, T: 33, Hq: 2, Hkv: 1, D: 16 },
    { B: 2, T: 70, Hq: 3, Hkv: 1, D: 8 }, // two 64-row blocks and several key tiles (tiled); left and right padding
    // Three key blocks, a partial last one, GQA groups of 3 and a head_dim that is no multiple of 4 (scalar lanes, and
    // a dQ slice that does not divide evenly among the invocations sharing a row in the fused backward).
    { B: 1, T: 150, Hq: 6, Hkv: 2, D: 6, only: ['tiled', 'tiledBroadcast', 'tiledSplit'] },
    // One and two elements per lane with 32-lane subgroups (64: Qwen2.5's head_dim); also the tiled family at 64.
    { B: 2, T: 9, Hq: 4, Hkv: 2, D: 32, only: ['subgroups32'] },
    { B: 1, T: 21, Hq: 3, Hkv: 1, D: 64, only: ['subgroups32', 'tiled', 'tiledBroadcast'] },
    { B: 1, T: 100, Hq: 4, Hkv: 2, D: 64, only: ['tiledBroadcast'] }, // Qwen2.5's head_dim over several key tiles
    // The second entry 60 tokens long in 150 slots: its key blocks 1 and 2 are all padding (the fused backward skips them).
    { B: 2, T: 150, Hq: 4, Hkv: 2, D: 8, rightPad: 90, only: ['tiled', 'tiledSplit'] },
  ];
  // D=8 and D=16 are multiples of both adapters' subgroup sizes (8, 4): the subgroup kernels run on them.
  // 'subgroups32': the kernels a GPU with 32-lane subgroups (NVIDIA) runs for decode, with the reductions emulated.
  // 'tiled' runs the fused backward (one pass over the scores + a dQ sum), 'tiledSplit' the two-pass one.
  // 'tiledBroadcast': the tiled forward that hands K/V elements around a subgroup (lavapipe's default).
  for (const kernel of ['rows', 'subgroups', 'subgroups32', 'tiled', 'tiledBroadcast', 'tiledSplit'] as const)
  for (const s of cases) {
    it(`${kernel}: B=${s.B} T=${s.T} Hq=${s.Hq} Hkv=${s.Hkv} D=${s.D}`, async (ctx) => {
      const probe = await testEngine(adapter);
      if (kernel === 'subgroups' && (!probe.fixedSubgroupSize || s.D % probe.fixedSubgroupSize !== 0)) return ctx.skip();
      // lavapipe's LLVM needs minutes (cold shader cache) to compile the row kernels at head_dim 128; lavapipe uses
      // the subgroup kernels for it, so the row family is checked at 128 on the other adapters only.
      if (kernel === 'rows' && s.D > 64 && probe.report.name === 'llvmpipe') return ctx.skip();
      if (kernel === 'subgroups32' && s.D % 32 !== 0) return ctx.skip();
      if (s.only && !s.only.includes(kernel)) return ctx.skip(); // each generated variant is a cold LLVM compile on lavapipe
      if (kernel.startsWith('tiled') && s.D > 64 && probe.report.name === 'llvmpipe') return ctx.skip(); // minutes of LLVM, as rows
      const e = await testEngine(adapter, engineOptions(kernel));
      const rng = new Rng(s.T * 31 + s.D);
      const { B, T, Hq, Hkv, D } = s;
      const q = randomData(rng, B * T * Hq * D);
      const k = randomData(rng, B * T * Hkv * D);
      const v = randomData(rng, B * T * Hkv * D);
      const dout = randomData(rng, q.f32.length);
      const mask = paddingMask(B, T);
      if (s.rightPad) mask.fill(0, B * T - s.rightPad);
      const r = await forwardBackward(
        (a, b, c, m) => attention(a, b, c, m),
        [e.tensor(q.f32, [B, T, Hq, D]), e.tensor(k.f32, [B, T, Hkv, D]), e.tensor(v.f32, [B, T, Hkv, D]), e.tensor(mask, [B, T])],
        dout.f32,
      );
      const g = attentionBackwardRef(q.f64, k.f64, v.f64, mask, dout.f64, s);
      expect(relErr(r.out, attentionRef(q.f64, k.f64, v.f64, mask, s)), 'out').toBeLessThan(1e-5);
      expect(relErr(r.grads[0]!, g.dq), 'dq').toBeLessThan(1e-5);
      expect(relErr(r.grads[1]!, g.dk), 'dk').toBeLessThan(1e-5);
      expect(relErr(r.grads[2]!, g.dv), 'dv').toBeLessThan(1e-5);
    });
  }

  for (const kernel of ['rows', 'tiled'] as const)
  it(`${kernel}: a query against a longer KV cache matches the last rows of full attention`, async () => {
    const e = await testEngine(adapter, { attentionKernel: kernel, attentionTiledMinRows: 1 });
    const rng = new Rng(9);
    const s: AttentionRefShape = { B: 1, T: 6, Hq: 2, Hkv: 1, D: 4 };
    const q = randomData(rng, 6 * 2 * 4);
    const k = randomData(rng, 6 * 4);
    const v = randomData(rng, 6 * 4);
    const mask = new Uint32Array(8).fill(1); // cache of 8 slots, 6 valid
    const full = attentionRef(q.f64, k.f64, v.f64, mask.subarray(0, 6), s);
    const kc = new Float32Array(8 * 4).fill(123); // slots past the valid keys hold junk that must be ignored
    kc.set(k.f32);
    const vc = new Float32Array(8 * 4).fill(-55);
    vc.set(v.f32);
    const out = await attention(e.tensor(q.f32.slice(5 * 8), [1, 1, 2, 4]), e.tensor(kc, [1, 8, 1, 4]), e.tensor(vc, [1, 8, 1, 4]), e.tensor(mask, [1, 8]), { validKeys: 6 }).read();
    expect(relErr(out, full.subarray(5 * 8))).toBeLessThan(1e-5);
  });

  // The tiled forwards with queries at an offset (40 query rows against 75 keys: keys past the first query's position,
  // a last key tile of 11 keys, a block whose rows see different numbers of tiles) against the last rows of full attention.
  for (const kernel of ['tiled', 'tiledBroadcast'] as const)
  it(`${kernel}: 40 query rows against 75 keys match the last rows of full attention`, async () => {
    const e = await testEngine(adapter, engineOptions(kernel));
    const rng = new Rng(13);
    const s: AttentionRefShape = { B: 1, T: 75, Hq: 4, Hkv: 1, D: 8 };
    const q = randomData(rng, 75 * 4 * 8);
    const k = randomData(rng, 75 * 8);
    const v = randomData(rng, 75 * 8);
    const mask = new Uint32Array(75).fill(1);
    mask[3] = 0;
    const full = attentionRef(q.f64, k.f64, v.f64, mask, s);
    const out = await attention(e.tensor(q.f32.slice(35 * 32), [1, 40, 4, 8]), e.tensor(k.f32, [1, 75, 1, 8]), e.tensor(v.f32, [1, 75, 1, 8]), e.tensor(mask, [1, 75])).read();
    expect(relErr(out, full.subarray(35 * 32))).toBeLessThan(1e-5);
  });

  // Determinism: every output is written by one invocation summing in a fixed order (the fused backward's partial dQ
  // too), so two runs give the same bits.
  for (const kernel of ['rows', 'tiled', 'tiledBroadcast', 'tiledSplit'] as const)
  it(`${kernel}: forward and backward give the same bits on two runs`, async () => {
    const e = await testEngine(adapter, engineOptions(kernel));
    // The forward this variant names ran (the broadcasting one needs a fixed subgroup size: both CPU adapters have one).
    if (kernel !== 'rows') expect(e.attentionBroadcastSize > 0).toBe(kernel === 'tiledBroadcast');
    const rng = new Rng(21);
    const [B, T, Hq, Hkv, D] = [2, 70, 3, 1, 8];
    const inputs = () => [
      e.tensor(q, [B, T, Hq, D]), e.tensor(k, [B, T, Hkv, D]), e.tensor(v, [B, T, Hkv, D]), e.tensor(paddingMask(B, T), [B, T]),
    ];
    const q = randomData(rng, B * T * Hq * D).f32;
    const k = randomData(rng, B * T * Hkv * D).f32;
    const v = randomData(rng, B * T * Hkv * D).f32;
    const dout = randomData(rng, q.length).f32;
    const ops = new Map<string, number>();
    e.batch.byLabel = ops;
    const a = await forwardBackward((x, y, z, m) => attention(x, y, z, m), inputs(), dout);
    e.batch.byLabel = null;
    const b = await forwardBackward((x, y, z, m) => attention(x, y, z, m), inputs(), dout);
    // The backward this variant names ran (no silent fallback to another).
    const expected = { rows: 'attention.backwardDq', tiled: 'attention.backwardFused', tiledBroadcast: 'attention.backwardFused', tiledSplit: 'attention.backwardDkv' }[kernel];
    expect([...ops.keys()]).toContain(expected);
    if (kernel === 'tiledSplit') expect([...ops.keys()]).not.toContain('attention.backwardFused');
    expect(Array.from(new Uint32Array(b.out.buffer))).toEqual(Array.from(new Uint32Array(a.out.buffer)));
    for (let i = 0; i < 3; i++) {
      expect(Array.from(new Uint32Array(b.grads[i]!.buffer)), `grad ${i}`).toEqual(Array.from(new Uint32Array(a.grads[i]!.buffer)));
      expect(a.grads[i]!.some((x) => x !== 0), `grad ${i} is not all zeros`).toBe(true);
    }
  });
});
