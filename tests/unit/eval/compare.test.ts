// Comparing two evaluations: every metric on the paired examples equals each report's own figure, the McNemar counts
// are the fixed / broken examples listed (with both outputs), per-tool deltas equal the reports' per-tool rows, the
// bootstrap interval equals the bootstrap run by hand on the same counts, and unpaired examples are left out.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareEvaluations, METRIC_KEYS } from '../../../src/eval/compare.ts';
import { metricsOf, scoreRecords, type EvalRecord } from '../../../src/eval/metrics.ts';
import type { ModelEvaluation } from '../../../src/eval/model-evaluation.ts';
import { joinRecords, readGold } from '../../../src/eval/read-records.ts';
import { mcnemarExact, pairedBootstrap } from '../../../src/eval/significance.ts';
import { enterpriseEnvironment } from '../../../src/tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { Rng } from '../../../src/util/rng.ts';

const text = readFileSync('public/data/eval_data.jsonl', 'utf8');
const { gold } = readGold(text, 'eval_data.jsonl');
const answers = text.split('\n').filter(Boolean).map((l) => JSON.parse(l).output as string);

/** A "model" that gives the reference answer with probability p (else says something without a call). */
function pseudoModel(p: number, seed: number): EvalRecord[] {
  const rng = new Rng(seed);
  const preds = gold.map((g, i) => ({ id: g.id, line: i + 1, predicted: rng.next() < p ? answers[i] : 'I am not sure.' }));
  return joinRecords(gold, preds).records;
}

function evaluation(label: string, records: EvalRecord[]): ModelEvaluation {
  const report = scoreRecords(records, { tools: [...ENTERPRISE_TOOLS], environment: enterpriseEnvironment() });
  return {
    id: label, createdAt: 0, model: { label, source: label }, dataset: { label: 'eval_data', examples: records.length }, mode: 'free',
    settings: { maxNewTokens: 64, promptTools: 'listed', executed: true }, report,
    outputs: records.map((r) => ({ id: r.id, texts: [r.predicted as string] })), tokensPerSecond: 0, seconds: 0,
  };
}

describe('compareEvaluations', () => {
  const a = evaluation('base', pseudoModel(0.3, 1));
  const b = evaluation('trained', pseudoModel(0.7, 2));
  const cmp = compareEvaluations([a, b], { resamples: 3000, seed: 5 });

  it('the scored records reproduce each report (metricsOf = scoreRecords)', () => {
    expect(metricsOf(a.report.records)).toEqual(a.report.metrics);
    expect(metricsOf(b.report.records)).toEqual(b.report.metrics);
  });

  it('metrics side by side and their deltas', () => {
    expect(cmp.paired).toBe(gold.length);
    expect(cmp.unpaired).toBe(0);
    for (const row of cmp.metrics) {
      expect(row.values).toEqual([a.report.metrics[row.metric], b.report.metrics[row.metric]]);
      const [x, y] = row.values;
      expect(row.deltas[0].delta).toBe(x !== null && y !== null ? y - x : null);
    }
    expect(cmp.metrics.map((r) => r.metric)).toEqual(METRIC_KEYS);
  });

  it('chain-level success: McNemar on the fixed and broken examples, which are listed with both outputs', () => {
    const row = cmp.metrics.find((r) => r.metric === 'chainSuccess')!;
    const test = row.deltas[0].test!;
    expect(test.kind).toBe('mcnemar');
    if (test.kind !== 'mcnemar') return;
    const { fixed, broken } = cmp.changed[0];
    expect(test.fixed).toBe(fixed.length);
    expect(test.broken).toBe(broken.length);
    expect(test.p).toBe(mcnemarExact(broken.length, fixed.length));
    expect(fixed.length).toBeGreaterThan(broken.length);
    expect(row.deltas[0].delta).toBeCloseTo((fixed.length - broken.length) / gold.length, 12);
    const f = fixed[0];
    expect(a.report.records.find((r) => r.id === f.id)!.chainSuccess).toBe(false);
    expect(f.before.output!.texts).toEqual(['I am not sure.']);
    expect(f.after.output!.texts[0]).not.toBe('I am not sure.');
    expect(f.before.errors.length).toBeGreaterThan(0);
    expect(f.after.errors).toEqual([]);
    // 30% vs 70% of 100+ examples: a real difference.
    expect(row.deltas[0].significant).toBe(true);
  });

  it('other metrics: the paired bootstrap interval of the difference, as run by hand on the same counts', () => {
    const row = cmp.metrics.find((r) => r.metric === 'toolAccuracy')!;
    const test = row.deltas[0].test!;
    expect(test.kind).toBe('bootstrap');
    const ra = a.report.records;
    const rb = b.report.records;
    const [hand] = pairedBootstrap(ra.length, (w) => {
      let ma = 0, mb = 0, e = 0;
      ra.forEach((r, i) => {
        ma += w[i] * r.counts.matched;
        mb += w[i] * rb[i].counts.matched;
        e += w[i] * r.counts.expectedCalls;
      });
      // The comparison computes every metric per resample; this statistic is its first (toolAccuracy).
      return [e > 0 ? mb / e - ma / e : NaN, ...METRIC_KEYS.slice(1).map(() => 0)];
    }, { resamples: 3000, seed: 5 });
    if (test.kind !== 'bootstrap') return;
    expect(test.low).toBeCloseTo(hand.low, 12);
    expect(test.high).toBeCloseTo(hand.high, 12);
    expect(test.low).toBeLessThan(row.deltas[0].delta!);
    expect(test.high).toBeGreaterThan(row.deltas[0].delta!);
  });

  it("per-tool deltas equal the reports' per-tool rows; failure causes per model", () => {
    for (const t of cmp.perTool) {
      const pa = a.report.perTool.find((x) => x.name === t.name)!;
      const pb = b.report.perTool.find((x) => x.name === t.name)!;
      expect(t.expected).toBe(pa.expected);
      expect(t.accuracy).toEqual([pa.accuracy, pb.accuracy]);
    }
    expect(cmp.perTool.length).toBe(a.report.perTool.filter((t) => t.expected > 0).length);
    expect(cmp.failures[0].failed).toBeGreaterThan(cmp.failures[1].failed);
    expect(cmp.failures[0].causes['missed-call']).toBeGreaterThan(0);
  });

  it('examples one evaluation lacks are left out and counted', () => {
    const short = evaluation('short', pseudoModel(0.7, 2).slice(10));
    const c = compareEvaluations([a, short], { resamples: 200 });
    expect(c.paired).toBe(gold.length - 10);
    expect(c.unpaired).toBe(10);
    expect(() => compareEvaluations([a])).toThrow(/at least two/);
  });
});
