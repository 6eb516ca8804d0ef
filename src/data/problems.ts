// Validation problems: one record per thing wrong with a line, and the summary counted by kind.

export type ProblemKind =
  /** The file as a whole is not JSONL / a JSON array (CSV, binary, empty). */
  | 'not-jsonl'
  | 'json-syntax'
  | 'missing-field'
  | 'wrong-type'
  /** A record of another dataset kind than the rest of the file. */
  | 'mixed-kind'
  /** A call that cannot be decoded (bad JSON call, bad call string). */
  | 'bad-call'
  | 'unknown-tool'
  /** Arguments that break the tool's JSON schema. */
  | 'schema'
  | 'empty-prompt'
  | 'duplicate'
  | 'too-long';

export const PROBLEM_KINDS: readonly ProblemKind[] = [
  'not-jsonl',
  'json-syntax',
  'missing-field',
  'wrong-type',
  'mixed-kind',
  'bad-call',
  'unknown-tool',
  'schema',
  'empty-prompt',
  'duplicate',
  'too-long',
];

export interface Problem {
  /** 1-based line in the source file (0 for problems of the whole file). */
  line: number;
  /** Path of the field, e.g. `output`, `messages[2].tool_calls[0].function.arguments.date` ('' for the whole line). */
  field: string;
  message: string;
  kind: ProblemKind;
}

export type ProblemCounts = Partial<Record<ProblemKind, number>>;

/** `line 12, output: unknown tool 'foo'` */
export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `line ${p.line}` : 'file';
  return `${where}${p.field ? `, ${p.field}` : ''}: ${p.message} [${p.kind}]`;
}
