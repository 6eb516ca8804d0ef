// Plain-text rendering of a model comparison (compare.ts) for terminals: every metric per model with its difference
// from the baseline and the paired test (for chain-level success, McNemar's with the counts of examples fixed and
// broken; the examples themselves are in the studio's comparison and html-report.ts).
import type { Comparison } from './compare.ts';
import { METRIC_LABELS, pct } from './format-report.ts';

const points = (d: number | null) => (d === null ? 'n/a' : `${d >= 0 ? '+' : ''}${(d * 100).toFixed(1)}`);

export function formatComparison(c: Comparison): string {
  const lines = [
    `${c.paired} examples every model was scored on${c.unpaired ? ` (${c.unpaired} unpaired left out)` : ''}; Δ in percentage points against ${c.models[0]}; * = significant at ${Math.round(c.level * 100)}%`,
    ...c.models.map((m, i) => `  [${i}] ${m}`),
    '',
  ];
  const width = Math.max(...c.metrics.map((r) => METRIC_LABELS[r.metric].length));
  for (const row of c.metrics) {
    const cells = row.deltas.map((d) => {
      const t = d.test;
      const test = !t ? '' : t.kind === 'mcnemar' ? `McNemar p=${t.p.toFixed(3)}, fixed ${t.fixed}, broken ${t.broken}` : `interval ${points(t.low)}..${points(t.high)}`;
      return `Δ ${points(d.delta).padStart(5)}${d.significant ? '*' : ' '} (${test})`;
    });
    lines.push(`${METRIC_LABELS[row.metric].padEnd(width)}  ${row.values.map((v) => pct(v).padStart(6)).join('  ')}  ${cells.join('  ')}`);
  }
  return lines.join('\n');
}
