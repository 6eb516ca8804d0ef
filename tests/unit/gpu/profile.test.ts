// The kernel-by-kernel GPU profile (CommandBatch.gpuTimeByLabel): every dispatch's GPU time filed under its label, the
// labels summing to the flush's GPU time, also past one timestamp query set (WebGPU's 4096 queries: 2048 passes).
import { describe, expect, it } from 'vitest';
import { exp, scale } from '../../../src/engine/autograd/functions.ts';
import { matmulForward } from '../../../src/engine/ops/matmul.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { randomData, testEngine } from '../engine/check.ts';

describe.each(testAdapters())('GPU profile on %s', (adapter) => {
  it('files each dispatch under its label, and the labels sum to the GPU time of a 2,201-dispatch flush', async (ctx) => {
    const e = await testEngine(adapter, { poison: false });
    if (!e.device.features.has('timestamp-query')) return ctx.skip();
    const rng = new Rng(3);
    const a = e.tensor(randomData(rng, 37 * 29).f32, [37, 29]);
    const b = e.tensor(randomData(rng, 29 * 19).f32, [29, 19]);
    // Dawn rounds timestamps to 65,536 ns, so a pass as short as one exp over `a` reads 0 about half the time and is
    // filed nowhere (CI failed on that). The last pass runs over 256x256 values: ~1.5 ms on both CPU adapters.
    const big = e.tensor(randomData(rng, 256 * 256).f32, [256, 256]);
    await e.batch.done();
    const byLabel = new Map<string, number>();
    const counts = new Map<string, number>();
    e.batch.timing = true;
    e.batch.gpuTimeByLabel = byLabel;
    e.batch.byLabel = counts;
    e.batch.resetCounters();
    for (let i = 0; i < 1100; i++) {
      const c = matmulForward(e, a, b);
      scale(c, 0.5).release();
      c.release();
    }
    exp(big).release(); // the 2,201st pass: timed by the second query set
    expect(e.batch.stats.dispatches).toBe(2201); // in one flush: two query sets
    expect(e.batch.stats.submits).toBe(0);
    e.flush();
    const total = await e.batch.gpuTime();
    expect(Object.fromEntries(counts)).toEqual({ matmul: 1100, scale: 1100, exp: 1 });
    expect([...byLabel.keys()].sort()).toEqual(['exp', 'matmul', 'scale']);
    for (const ns of byLabel.values()) expect(ns).toBeGreaterThan(0);
    expect([...byLabel.values()].reduce((s, x) => s + x, 0)).toBe(total);
    // Without the map, timing alone times each flush's passes and files nothing.
    e.batch.gpuTimeByLabel = null;
    e.batch.resetCounters();
    const before = new Map(byLabel);
    matmulForward(e, big, big).release(); // long enough to read more than 0 (see above)
    e.flush();
    expect(await e.batch.gpuTime()).toBeGreaterThan(0);
    expect(byLabel).toEqual(before);
    e.batch.timing = false;
    e.batch.byLabel = null;
  });
});
