// Why the failed steps of an evaluation failed: one cause per failed step, so a table of counts says where a
// model falls short (e.g. the SFT demo: wrong tool on an unseen wording vs an entity it never saw in training).
import { GoldMatcher } from './match.ts';
import type { RecordResult, StepResult } from './metrics.ts';

/**
 * Checked in this order, the first that applies wins:
 * - format: the output did not parse;
 * - spurious-call / missed-call: a call where none was due, or no call where one was;
 * - wrong-tool: the tool names (as a multiset) differ from the gold ones;
 * - unseen-value: right tools, and a gold argument value the model got wrong is one `seen` rejects (the SFT demo
 *   passes "every token of it occurs in the training data": a model trained from scratch has never read the
 *   others, e.g. a held-out city, and cannot produce them, whereas a new id made of known digits only needs copying);
 * - wrong-argument: right tools, some other argument wrong.
 */
export const FAILURE_CAUSES = ['format', 'spurious-call', 'missed-call', 'wrong-tool', 'unseen-value', 'wrong-argument'] as const;
export type FailureCause = (typeof FAILURE_CAUSES)[number];

/** How the studio and the reports name each cause. */
export const FAILURE_CAUSE_LABELS: Record<FailureCause, string> = {
  format: 'unparseable output',
  'spurious-call': 'call where none was due',
  'missed-call': 'no call where one was due',
  'wrong-tool': 'wrong tool',
  'unseen-value': 'value with an unseen token',
  'wrong-argument': 'wrong argument',
};

export interface FailureCauses {
  steps: number;
  failed: number;
  causes: Record<FailureCause, number>;
}

/**
 * The cause of one failed step (see FAILURE_CAUSES). `seen(value)` says whether training covered the value;
 * without it (no training data at hand, e.g. scoring a prediction file) "unseen-value" is never given.
 */
export function failureCause(step: StepResult, seen?: (text: string) => boolean): FailureCause {
  if (step.formatError) return 'format';
  if (step.expected.length === 0) return 'spurious-call';
  if (step.predicted.length === 0) return 'missed-call';
  const names = (calls: { name: string }[]) => calls.map((c) => c.name).sort().join('\u0000');
  if (names(step.expected) !== names(step.predicted)) return 'wrong-tool';
  for (const gold of step.expected) {
    // "Got it right" by the scorer's own rule for one argument (BFCL normalisation, alternatives), not exact text.
    const matcher = new GoldMatcher(gold);
    const sameName = step.predicted.filter((p) => p.name === gold.name);
    for (const [param, value] of Object.entries(gold.arguments)) {
      const gotIt = sameName.some((p) => Object.hasOwn(p.arguments, param) && matcher.argumentCorrect(param, p.arguments[param]));
      if (!gotIt && seen && typeof value === 'string' && !seen(value)) return 'unseen-value';
    }
  }
  return 'wrong-argument';
}

export function failureCauses(records: readonly RecordResult[], seen?: (text: string) => boolean): FailureCauses {
  const causes = Object.fromEntries(FAILURE_CAUSES.map((c) => [c, 0])) as Record<FailureCause, number>;
  let steps = 0;
  let failed = 0;
  for (const r of records) {
    for (const s of r.steps) {
      steps++;
      if (s.correct) continue;
      failed++;
      causes[failureCause(s, seen)]++;
    }
  }
  return { steps, failed, causes };
}
