// The peak-FMA benchmark kernel computes what it claims (so its GFLOP/s count real work), on every test adapter.
import { describe, expect, it } from 'vitest';
import { measurePeakFma, peakFma, peakFmaReference } from '../../../src/engine/bench/peak-fma.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { relErr, testEngine } from './check.ts';

describe.each(testAdapters())('peak FMA kernel on %s', (adapter) => {
  it('every thread returns its chains replayed in float64, for 0, 1 and 7 rounds and a size that is not a multiple of 64', async () => {
    const e = await testEngine(adapter);
    const n = 1093; // poisoned output: a thread that never writes fails
    for (const [iters, a, b] of [
      [0, 0.5, 0.25],
      [1, -0.83, 0.41],
      [7, 0.91, -0.37],
    ]) {
      const out = peakFma(e, n, iters, a, b);
      const got = await out.read();
      out.release();
      const ref = Array.from({ length: n }, (_, i) => peakFmaReference(i, iters, a, b));
      expect(relErr(got, ref), `iters ${iters}`).toBeLessThan(1e-5);
    }
  });

  it('measures a positive rate from a dispatch long enough to time', async () => {
    const e = await testEngine(adapter);
    const r = await measurePeakFma(e, { invocations: 4096, minMs: 5, repeats: 2 });
    expect(r.ms).toBeGreaterThan(0);
    expect(r.gflops).toBeGreaterThan(0);
    expect(r.gflops).toBe((4096 * r.iters * 64) / r.ms / 1e6);
  });
});
