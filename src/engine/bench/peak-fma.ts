// The device's measured peak f32 throughput (shaders/peak_fma.wgsl): the yardstick for "matmul at X% of peak"
// in npm run bench:kernels. Measured rather than taken from a spec sheet, because the same code runs on CPU
// adapters, browsers' GPUs and data-centre GPUs whose clocks and Vulkan drivers differ.
import source from '../../../shaders/peak_fma.wgsl?raw';
import { words, type Engine } from '../engine.ts';
import type { Tensor } from '../tensor.ts';

/** 8 vec4 chains, one multiply and one add per lane per round. */
export const PEAK_FMA_FLOPS_PER_ROUND = 8 * 4 * 2;

/** Records one peak-FMA dispatch of `invocations` threads x `iters` rounds; returns the per-thread sums. */
export function peakFma(e: Engine, invocations: number, iters: number, a: number, b: number): Tensor {
  const out = e.empty([invocations], 'f32', 'peak-fma');
  e.run(source, words({ u: iters }, { f: a }, { f: b }), [out], e.grid(Math.ceil(invocations / 64)), 'peak_fma');
  return out;
}

/** What thread `i` of the kernel returns, replayed in float64 on f32-rounded inputs (the test's reference). */
export function peakFmaReference(i: number, iters: number, a: number, b: number): number {
  const [af, bf] = [Math.fround(a), Math.fround(b)];
  const s = Math.fround((i % 1024) * 0.0009765625);
  let total = 0;
  for (let chain = 0; chain < 8; chain++) {
    for (let lane = 0; lane < 4; lane++) {
      let x = Math.fround(Math.fround(s + Math.fround(lane * 0.01)) + Math.fround(chain * 0.1));
      for (let k = 0; k < iters; k++) x = x * af + bf;
      total += x;
    }
  }
  return total;
}

export interface PeakFmaResult {
  gflops: number;
  /** Best time of one dispatch at the chosen size. */
  ms: number;
  invocations: number;
  iters: number;
}

/**
 * Peak f32 GFLOP/s: doubles the rounds until one dispatch takes at least `minMs` (so launch and readback
 * costs vanish), then keeps the best of `repeats` timed dispatches.
 */
export async function measurePeakFma(e: Engine, { invocations = 1 << 18, minMs = 40, repeats = 5 } = {}): Promise<PeakFmaResult> {
  // a < 1 keeps the chains bounded (they converge to b / (1 - a)); the values never matter to the timing.
  const run = async (iters: number): Promise<number> => {
    const t = performance.now();
    const out = peakFma(e, invocations, iters, 0.999, 0.001);
    await out.read();
    out.release();
    return performance.now() - t;
  };
  let iters = 16;
  await run(iters); // compiles the pipeline
  while ((await run(iters)) < minMs && iters < 1 << 24) iters *= 2;
  let best = Infinity;
  for (let r = 0; r < repeats; r++) best = Math.min(best, await run(iters));
  return { gflops: (invocations * iters * PEAK_FMA_FLOPS_PER_ROUND) / best / 1e6, ms: best, invocations, iters };
}
