// The validation report as plain text lines: what the CLI prints and what the studio's report shows.

import { type ProblemKind, PROBLEM_KINDS, formatProblem } from './problems.ts';
import type { ValidationReport } from './validate.ts';

export function summaryLine(report: ValidationReport): string {
  const kinds = PROBLEM_KINDS.filter((k) => report.counts[k]).map((k) => `${k} ${report.counts[k]}`);
  const kind = report.kind ?? 'unknown kind';
  return `${kind}: ${report.records} records, ${report.valid} valid, ${report.invalid} invalid${kinds.length ? ` (${kinds.join(', ')})` : ''}`;
}

export function countsByKind(report: ValidationReport): { kind: ProblemKind; count: number }[] {
  return PROBLEM_KINDS.filter((k) => report.counts[k]).map((k) => ({ kind: k, count: report.counts[k] ?? 0 }));
}

export function reportLines(fileName: string, report: ValidationReport, maxProblems = 200): string[] {
  const lines = [`${fileName}: ${summaryLine(report)}`];
  for (const p of report.problems.slice(0, maxProblems)) lines.push(`  ${formatProblem(p)}`);
  const total = Object.values(report.counts).reduce((a, b) => a + (b ?? 0), 0);
  if (total > Math.min(maxProblems, report.problems.length)) lines.push(`  ... and ${total - Math.min(maxProblems, report.problems.length)} more problems`);
  return lines;
}
