// Compares evaluations of several models on the same examples: every metric side by side with its difference from
// the first model (the baseline) and a paired test of it, per-tool accuracy deltas, failure causes per model, and
// the examples that changed (fixed: failed on the baseline, passes now; broken: the reverse) with both outputs.
// Chain-level success is tested with McNemar's exact test on per-example pass/fail; every other metric with a paired
// bootstrap percentile interval of the difference (src/eval/significance.ts).
import { failureCauses, type FailureCauses } from './failure-causes.ts';
import { metricsFromCounts, sumCounts, type Metrics, type RecordCounts, type RecordResult } from './metrics.ts';
import type { ExampleOutput, ModelEvaluation } from './model-evaluation.ts';
import { mcnemarExact, pairedBootstrap, type BootstrapInterval } from './significance.ts';

export const METRIC_KEYS: readonly (keyof Metrics)[] = [
  'toolAccuracy', 'chainSuccess', 'stepAccuracy', 'toolNameAccuracy', 'exactArgumentMatch', 'argumentPrecision', 'argumentRecall', 'argumentF1',
  'formatValidity', 'schemaValidity', 'executionSuccess', 'noToolAccuracy', 'intentAccuracy',
];

export type PairedTest =
  | { kind: 'mcnemar'; /** passed on the baseline, fails on this model */ broken: number; /** the reverse */ fixed: number; p: number }
  | ({ kind: 'bootstrap' } & BootstrapInterval);

export interface MetricDelta {
  /** This model minus the baseline (null when either is undefined). */
  delta: number | null;
  test: PairedTest | null;
  /** p < 1 - level (McNemar) or the interval excludes 0 (bootstrap). */
  significant: boolean;
}

export interface MetricRow {
  metric: keyof Metrics;
  /** One value per model, on the paired examples. */
  values: (number | null)[];
  /** One per model after the baseline. */
  deltas: MetricDelta[];
}

export interface ToolRow {
  name: string;
  expected: number;
  /** Accuracy per model (correct / expected calls of this tool). */
  accuracy: (number | null)[];
  deltas: (number | null)[];
}

export interface ChangedExample {
  id: string;
  /** The baseline's and this model's outputs and errors. */
  before: { output: ExampleOutput | null; errors: string[] };
  after: { output: ExampleOutput | null; errors: string[] };
}

export interface Comparison {
  models: string[];
  /** Examples scored for every model (paired by id); the figures below are over these. */
  paired: number;
  /** Examples some model lacks (left out of the comparison). */
  unpaired: number;
  level: number;
  resamples: number;
  metrics: MetricRow[];
  perTool: ToolRow[];
  failures: FailureCauses[];
  /** One entry per model after the baseline. */
  changed: { fixed: ChangedExample[]; broken: ChangedExample[] }[];
}

export interface CompareOptions {
  resamples?: number;
  level?: number;
  seed?: number;
}

const keyOf = (r: { id: string; sample?: number }) => (r.sample === undefined ? r.id : `${r.id}#${r.sample}`);

function recordErrors(r: RecordResult): string[] {
  const out: string[] = [];
  r.steps.forEach((s, i) => s.errors.forEach((e) => out.push(`step ${i + 1}: ${e}`)));
  if (r.stateMatch === false) out.push('final state differs from the reference chain');
  return out;
}

function toolRows(perModel: RecordResult[][]): ToolRow[] {
  const rows = new Map<string, { expected: number; correct: number[] }>();
  const row = (name: string) => {
    let r = rows.get(name);
    if (!r) rows.set(name, (r = { expected: 0, correct: perModel.map(() => 0) }));
    return r;
  };
  perModel.forEach((records, m) => {
    for (const r of records) {
      for (const s of r.steps) {
        if (m === 0) for (const g of s.expected) row(g.name).expected++;
        for (const g of s.matchedGold) row(s.expected[g].name).correct[m]++;
      }
    }
  });
  return [...rows].map(([name, r]) => {
    const accuracy = r.correct.map((c) => (r.expected > 0 ? c / r.expected : null));
    return { name, expected: r.expected, accuracy, deltas: accuracy.slice(1).map((a) => (a !== null && accuracy[0] !== null ? a - accuracy[0] : null)) };
  }).filter((r) => r.expected > 0).sort((a, b) => b.expected - a.expected || a.name.localeCompare(b.name));
}

export function compareEvaluations(evals: readonly ModelEvaluation[], o: CompareOptions = {}): Comparison {
  if (evals.length < 2) throw new Error('a comparison needs at least two evaluations');
  const level = o.level ?? 0.95;
  const resamples = o.resamples ?? 2000;
  const maps = evals.map((ev) => new Map(ev.report.records.map((r) => [keyOf(r), r])));
  const allKeys = new Set(maps.flatMap((m) => [...m.keys()]));
  const keys = [...maps[0].keys()].filter((k) => maps.every((m) => m.has(k)));
  const perModel = maps.map((m) => keys.map((k) => m.get(k)!));
  const outputs = evals.map((ev) => new Map(ev.outputs.map((x) => [x.id, x])));

  const values = perModel.map((records) => metricsFromCounts(sumCounts(records), records.length));
  // One bootstrap per model pair, every metric from the same resamples.
  const intervals = perModel.slice(1).map((records) => {
    const a = perModel[0].map((r) => r.counts);
    const b = records.map((r) => r.counts);
    return pairedBootstrap(keys.length, (w) => {
      const [ma, mb] = [weightedMetrics(a, w), weightedMetrics(b, w)];
      return METRIC_KEYS.map((k) => (ma[k] !== null && mb[k] !== null ? mb[k]! - ma[k]! : NaN));
    }, { resamples, level, seed: o.seed ?? 0 });
  });

  const metrics: MetricRow[] = METRIC_KEYS.map((metric, mi) => ({
    metric,
    values: values.map((v) => v[metric]),
    deltas: perModel.slice(1).map((records, j): MetricDelta => {
      const base = values[0][metric];
      const mine = values[j + 1][metric];
      const delta = base !== null && mine !== null ? mine - base : null;
      if (metric === 'chainSuccess') {
        let broken = 0, fixed = 0;
        records.forEach((r, i) => {
          const before = perModel[0][i].chainSuccess;
          if (before && !r.chainSuccess) broken++;
          if (!before && r.chainSuccess) fixed++;
        });
        const p = mcnemarExact(broken, fixed);
        return { delta, test: { kind: 'mcnemar', broken, fixed, p }, significant: p < 1 - level };
      }
      const iv = intervals[j][mi];
      if (delta === null || iv.resamples === 0) return { delta, test: null, significant: false };
      return { delta, test: { kind: 'bootstrap', ...iv }, significant: iv.low > 0 || iv.high < 0 };
    }),
  }));

  const changed = perModel.slice(1).map((records, j) => {
    const fixed: ChangedExample[] = [];
    const broken: ChangedExample[] = [];
    records.forEach((r, i) => {
      const b = perModel[0][i];
      if (b.chainSuccess === r.chainSuccess) return;
      const ex: ChangedExample = {
        id: r.id,
        before: { output: outputs[0].get(b.id) ?? null, errors: recordErrors(b) },
        after: { output: outputs[j + 1].get(r.id) ?? null, errors: recordErrors(r) },
      };
      (r.chainSuccess ? fixed : broken).push(ex);
    });
    return { fixed, broken };
  });

  return {
    models: evals.map((e) => e.model.label),
    paired: keys.length,
    unpaired: allKeys.size - keys.length,
    level,
    resamples,
    metrics,
    perTool: toolRows(perModel),
    failures: perModel.map((records) => failureCauses(records)),
    changed,
  };
}

/** Metrics of examples weighted by their multiplicity in one resample. */
function weightedMetrics(counts: readonly RecordCounts[], w: Uint32Array): Metrics {
  const total = sumCounts([]);
  let records = 0;
  const keys = Object.keys(total) as (keyof RecordCounts)[];
  counts.forEach((c, i) => {
    const k = w[i];
    if (k === 0) return;
    records += k;
    for (const key of keys) total[key] += k * c[key];
  });
  return metricsFromCounts(total, records);
}
