// Paired significance tests against SciPy (fixtures/significance_reference.py): McNemar's exact p-values, and
// paired-bootstrap percentile intervals of a difference of pass rates and of a difference of ratios of sums.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mcnemarExact, pairedBootstrap, percentile } from '../../../src/eval/significance.ts';

const ref = JSON.parse(readFileSync('tests/unit/eval/fixtures/significance-reference.json', 'utf8'));

describe('McNemar exact test', () => {
  it("equals scipy.stats.binomtest's two-sided p-value, up to 1,300 discordant pairs", () => {
    for (const { b, c, p } of ref.mcnemar) {
      expect(Math.abs(mcnemarExact(b, c) - p) / p).toBeLessThan(1e-10);
      expect(mcnemarExact(c, b)).toBe(mcnemarExact(b, c));
    }
  });
  it('refuses counts that are not counts', () => {
    expect(() => mcnemarExact(-1, 2)).toThrow(/non-negative integers/);
    expect(() => mcnemarExact(1.5, 2)).toThrow(/non-negative integers/);
  });
});

describe('paired bootstrap', () => {
  const d = ref.data as Record<'passA' | 'passB' | 'expected' | 'matchedA' | 'matchedB', number[]>;
  const n = d.passA.length;
  const sum = (xs: number[], w: Uint32Array) => xs.reduce((s, x, i) => s + w[i] * x, 0);
  const [mean, ratio] = pairedBootstrap(n, (w) => {
    const m = sum(d.passA.map(() => 1), w);
    const e = sum(d.expected, w);
    return [(sum(d.passB, w) - sum(d.passA, w)) / m, (sum(d.matchedB, w) - sum(d.matchedA, w)) / e];
  }, { resamples: 50000, seed: 3 });

  it('the estimates are the statistics of the data as it is', () => {
    expect(mean.estimate).toBeCloseTo(ref.mean.estimate, 12);
    expect(ratio.estimate).toBeCloseTo(ref.ratio.estimate, 12);
    expect(mean.resamples).toBe(50000);
  });
  it("the 95% percentile intervals match scipy.stats.bootstrap(paired=True, method='percentile') within Monte Carlo error", () => {
    // Pass-rate differences lie on a grid of 1/80: an interval end may sit one grid step away.
    for (const [ours, theirs, tol] of [[mean, ref.mean, 1 / n + 1e-9], [ratio, ref.ratio, 0.003]] as const) {
      expect(Math.abs(ours.low - theirs.low)).toBeLessThanOrEqual(tol);
      expect(Math.abs(ours.high - theirs.high)).toBeLessThanOrEqual(tol);
    }
  });
  it('a statistic undefined on a resample is left out of that statistic only', () => {
    const [always, sometimes] = pairedBootstrap(3, (w) => [w[0], w[0] > 0 ? 1 : NaN], { resamples: 2000 });
    expect(always.resamples).toBe(2000);
    // P(example 0 never drawn in 3 draws) = (2/3)^3 = 0.296.
    expect(sometimes.resamples / 2000).toBeGreaterThan(0.65);
    expect(sometimes.resamples / 2000).toBeLessThan(0.76);
  });
  it("percentile interpolates as numpy's default", () => {
    expect(percentile([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 12);
    expect(percentile([5], 0.975)).toBe(5);
  });
});
