// Paired significance tests for comparing two models on the same examples.
//   - McNemar's exact test on per-example pass/fail (chain-level success): only the discordant pairs count, b (passed
//     before, fails now) and c (failed before, passes now); under "no difference" c ~ Binomial(b + c, 1/2), and the
//     two-sided p-value is min(1, 2 P(X <= min(b, c))) (statsmodels' mcnemar(exact=True); scipy's binomtest gives the
//     same for p = 1/2, whose distribution is symmetric).
//   - The paired bootstrap for every other metric (ratios of sums over examples, e.g. tool-level accuracy = matched
//     calls / expected calls): examples are resampled with replacement, the same draw for both models, and the
//     metric's difference is recomputed; the interval is the percentile interval of those differences (numpy's
//     linear interpolation between order statistics, as scipy.stats.bootstrap(method='percentile') computes it).
import { Rng } from '../util/rng.ts';

/** Two-sided exact McNemar p-value from the discordant counts. */
export function mcnemarExact(b: number, c: number): number {
  if (!(Number.isInteger(b) && Number.isInteger(c) && b >= 0 && c >= 0)) throw new Error(`mcnemarExact: counts must be non-negative integers, got ${b}, ${c}`);
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  // log P(X = i) = log C(n, i) - n log 2, summed in log space (0.5^n underflows past n = 1074).
  const logs: number[] = [];
  let logC = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(n - i + 1) - Math.log(i);
    logs.push(logC - n * Math.LN2);
  }
  const top = Math.max(...logs);
  const cdf = Math.exp(top) * logs.reduce((s, l) => s + Math.exp(l - top), 0);
  return Math.min(1, 2 * cdf);
}

/** The q-quantile (0..1) of sorted values, interpolating linearly between order statistics (numpy's default). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export interface BootstrapInterval {
  /** The statistic on the examples as they are. */
  estimate: number;
  low: number;
  high: number;
  level: number;
  /** Resamples where the statistic was defined (a resample can lack, e.g., any expected call). */
  resamples: number;
}

export interface BootstrapOptions {
  resamples?: number;
  /** Confidence level of the interval (default 0.95). */
  level?: number;
  seed?: number;
}

/**
 * Percentile intervals of several statistics of n paired examples, all from the same resamples. `statistics` gets the
 * multiplicity of every example in one resample (all ones = the data itself) and returns one value per statistic
 * (NaN where undefined on that resample).
 */
export function pairedBootstrap(n: number, statistics: (weights: Uint32Array) => number[], o: BootstrapOptions = {}): BootstrapInterval[] {
  const resamples = o.resamples ?? 2000;
  const level = o.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new Error(`pairedBootstrap: level must be in (0, 1), got ${level}`);
  const estimate = statistics(new Uint32Array(n).fill(1));
  const draws = estimate.map(() => [] as number[]);
  const rng = new Rng(o.seed ?? 0);
  const w = new Uint32Array(n);
  for (let r = 0; r < resamples && n > 0; r++) {
    w.fill(0);
    for (let i = 0; i < n; i++) w[rng.int(n)]++;
    statistics(w).forEach((v, k) => {
      if (Number.isFinite(v)) draws[k].push(v);
    });
  }
  return estimate.map((est, k) => {
    const d = Float64Array.from(draws[k]).sort();
    return { estimate: est, low: percentile(d, (1 - level) / 2), high: percentile(d, 1 - (1 - level) / 2), level, resamples: d.length };
  });
}
