// Plain-text rendering of an EvalReport for terminals: the metric table, per-tool rows, pass@k.

import type { EvalReport, Metrics } from './metrics.ts';

export const METRIC_LABELS: Record<keyof Metrics, string> = {
  toolAccuracy: 'Tool-level accuracy',
  chainSuccess: 'Chain-level success',
  stepAccuracy: 'Step accuracy',
  toolNameAccuracy: 'Tool-name accuracy',
  exactArgumentMatch: 'Exact-argument match',
  argumentPrecision: 'Argument precision',
  argumentRecall: 'Argument recall',
  argumentF1: 'Argument F1',
  formatValidity: 'Format validity',
  schemaValidity: 'Schema validity',
  executionSuccess: 'Execution success',
  noToolAccuracy: 'No-tool accuracy',
  intentAccuracy: 'Intent (tool / no tool) accuracy',
};

export const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);

export function formatReport(report: EvalReport): string {
  const lines: string[] = [];
  const c = report.counts;
  lines.push(`${c.records} records (${c.ids} ids), ${c.steps} steps, ${c.expectedCalls} expected calls, ${c.predictedCalls} predicted calls, ${c.noToolSteps} no-tool steps`);
  lines.push('');
  const width = Math.max(...Object.values(METRIC_LABELS).map((l) => l.length));
  for (const [key, label] of Object.entries(METRIC_LABELS) as [keyof Metrics, string][]) {
    lines.push(`${label.padEnd(width)}  ${pct(report.metrics[key]).padStart(7)}`);
  }
  if (report.passAtK.length) {
    lines.push('');
    lines.push(`${'k'.padStart(4)}  ${'pass@k'.padStart(8)}  ${'pass^k'.padStart(8)}  ids`);
    for (const r of report.passAtK) lines.push(`${String(r.k).padStart(4)}  ${pct(r.passAtK).padStart(8)}  ${pct(r.passHatK).padStart(8)}  ${r.ids}`);
  }
  if (report.perTool.length) {
    lines.push('');
    const nameW = Math.max(4, ...report.perTool.map((t) => t.name.length));
    lines.push(`${'tool'.padEnd(nameW)}  expected  predicted  name-hits  correct  accuracy`);
    for (const t of report.perTool) {
      lines.push(`${t.name.padEnd(nameW)}  ${String(t.expected).padStart(8)}  ${String(t.predicted).padStart(9)}  ${String(t.nameHits).padStart(9)}  ${String(t.correct).padStart(7)}  ${pct(t.accuracy).padStart(8)}`);
    }
  }
  return lines.join('\n');
}
