// Matmul kernels (register-blocked and tiled, f32 / packed f16 / shader-f16 B, all transposes, batched) vs float64.
import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits } from '../../../src/engine/engine.ts';
import { matmulRef, matmulBackwardRef } from '../../../src/engine/cpu-reference/matmul.ts';
import { matmulForward } from '../../../src/engine/ops/matmul.ts';
import { TILED_LARGE } from '../../../src/engine/kernels/matmul-kernel.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { dot, finiteDiffErr, randomData, relErr, testEngine } from './check.ts';

const SHAPES: Array<[number, number, number, number]> = [
  // batch, M, N, K: 1s, odd sizes, not multiples of any tile
  [1, 1, 1, 1],
  [1, 7, 5, 3],
  [2, 33, 17, 29],
  [1, 70, 65, 67],
  [1, 9, 11, 34], // even K: the paired-k f16 path
  [2, 12, 20, 7], // M and N multiples of 4 (vec4 reads), several 8x8 blocks, clamped edge blocks
  [1, 10, 9, 12], // K multiple of 4 (dot products along K)
  // N <= 16 (a LoRA rank): the register kernel's 1 x 64 workgroups of 8 x 8 blocks, 512 rows each: two workgroups
  // along M with a clamped last one, two blocks along N (13: a clamped edge; 16: vec4 B reads, dot-K reads).
  [1, 530, 13, 21],
  [2, 520, 16, 12],
];

describe('matmul float64 reference', () => {
  it('backward matches finite differences for every transpose', () => {
    const rng = new Rng(5);
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const s = { batch: 2, M: 3, N: 4, K: 5, transA, transB };
        const a = randomData(rng, 2 * 3 * 5).f64;
        const b = randomData(rng, 2 * 5 * 4).f64;
        const dc = randomData(rng, 2 * 3 * 4).f64;
        const { da, db } = matmulBackwardRef(a, b, dc, s);
        expect(finiteDiffErr((x) => dot(matmulRef(x, b, s), dc), a, da, rng)).toBeLessThan(1e-6);
        expect(finiteDiffErr((x) => dot(matmulRef(a, x, s), dc), b, db, rng)).toBeLessThan(1e-6);
      }
    }
  });
});

describe.each(testAdapters())('matmul on %s', (adapter) => {
  for (const kernel of ['register', 'register-scalar', 'register-dotK', 'tiled'] as const) {
    it(`${kernel}: all transposes, odd shapes, f32`, async () => {
      const e = await testEngine(adapter);
      const rng = new Rng(11);
      // Each generated variant costs a cold LLVM compile on lavapipe: the scalar and dot-K variants are swept
      // only where they differ from the default kernel (the 4-multiple shapes; A·Bᵀ).
      const shapes = kernel === 'register' || kernel === 'tiled' ? SHAPES : SHAPES.filter(([, M, N, K]) => (M % 4 === 0 && N % 4 === 0) || K % 4 === 0);
      for (const [batch, M, N, K] of shapes) {
        for (const transA of kernel === 'register-dotK' ? [false] : [false, true]) {
          for (const transB of kernel === 'register-dotK' ? [true] : [false, true]) {
            const a = randomData(rng, batch * M * K);
            const b = randomData(rng, batch * K * N);
            const ta = e.tensor(a.f32, batch > 1 ? [batch, transA ? K : M, transA ? M : K] : [transA ? K : M, transA ? M : K]);
            const tb = e.tensor(b.f32, batch > 1 ? [batch, transB ? N : K, transB ? K : N] : [transB ? N : K, transB ? K : N]);
            const c = matmulForward(e, ta, tb, { transA, transB, kernel: kernel === 'tiled' ? 'tiled' : 'register', vec4: kernel !== 'register-scalar', dotK: kernel === 'register-dotK' });
            const out = await c.read();
            const ref = matmulRef(a.f64, b.f64, { batch, M, N, K, transA, transB });
            const err = relErr(out, ref);
            expect(err, `${kernel} b${batch} ${M}x${N}x${K} tA=${transA} tB=${transB}`).toBeLessThan(1e-5);
            for (const t of [ta, tb, c]) t.release();
          }
        }
      }
    });
  }

  it('tiled with the large-problem tiles (128x128, 8x8 per invocation): edges of a multi-tile odd shape', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(13);
    const [M, N, K] = [131, 133, 19];
    for (const transB of [false, true]) {
      const a = randomData(rng, M * K);
      const b = randomData(rng, K * N);
      const out = await matmulForward(e, e.tensor(a.f32, [M, K]), e.tensor(b.f32, transB ? [N, K] : [K, N]), { transB, kernel: 'tiled', tiles: TILED_LARGE }).read();
      expect(relErr(out, matmulRef(a.f64, b.f64, { batch: 1, M, N, K, transA: false, transB }))).toBeLessThan(1e-5);
    }
  });

  it('accumulate adds into an existing output; a 2-D B is shared across a batched A', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(3);
    const [B, T, K, N] = [3, 5, 7, 9];
    const a = randomData(rng, B * T * K);
    const w = randomData(rng, N * K);
    const c0 = randomData(rng, B * T * N);
    const ta = e.tensor(a.f32, [B, T, K]);
    const tw = e.tensor(w.f32, [N, K]);
    const tc = e.tensor(c0.f32, [B, T, N]);
    matmulForward(e, ta, tw, { transB: true, accumulateInto: tc });
    const ref = matmulRef(a.f64, w.f64, { batch: 1, M: B * T, N, K, transA: false, transB: true });
    expect(relErr(await tc.read(), ref.map((v, i) => v + c0.f64[i]))).toBeLessThan(1e-5);
  });

  const f16Paths = ['unpack', 'shader-f16'] as const;
  for (const f16Path of f16Paths) {
    for (const kernel of ['register', 'tiled'] as const) {
      it(`${kernel}: packed f16 weights through ${f16Path}`, async (ctx) => {
        const e = await testEngine(adapter);
        if (f16Path === 'shader-f16' && !e.device.features.has('shader-f16')) {
          ctx.skip(); // SwiftShader has no shader-f16: only the core unpack path exists there
          return;
        }
        const rng = new Rng(8);
        // The tiled kernel's edges are covered by the f32 test; here one multi-tile shape is enough for it.
        for (const [, M, N, K] of kernel === 'tiled' ? SHAPES.filter(([, M]) => M !== 70) : SHAPES) {
          for (const transB of [false, true]) {
            const a = randomData(rng, M * K);
            const w = randomData(rng, N * K, 0.5);
            const tw = e.f16Weights(w.f32, transB ? [N, K] : [K, N]);
            const ta = e.tensor(a.f32, [M, K]);
            const out = await matmulForward(e, ta, tw, { transB, kernel, f16Path }).read();
            // The reference uses the f16-rounded weights (storage rounding is expected); the error budget is 5e-3.
            const wRounded = Float64Array.from(w.f32, (v) => f16BitsToF32(f32ToF16Bits(v)));
            expect(relErr(out, matmulRef(a.f64, wRounded, { batch: 1, M, N, K, transA: false, transB }))).toBeLessThan(1e-5);
            expect(relErr(out, matmulRef(a.f64, w.f64, { batch: 1, M, N, K, transA: false, transB }))).toBeLessThan(5e-3);
          }
        }
      });
    }
  }
});
