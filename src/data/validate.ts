// The dataset validator: fed raw records one at a time (so the worker can stream a 100 MB file), it
// keeps every good example, lists every bad line with the field and the reason, and never throws.

import { ToolUsageCounter, type ToolUsageReport } from '../tools/draft-tool-set.ts';
import { ArgumentValidator } from '../tools/validate-args.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { type DatasetExample, type DatasetKind, exampleText } from './conversation.ts';
import { EXPECTED_SHAPES, detectRecordKind, normaliseRecord } from './formats.ts';
import { lineColumnAt, locateJsonError } from './json-error.ts';
import { estimateTokens, type TokenCounter } from './length.ts';
import type { Problem, ProblemCounts } from './problems.ts';
import type { RawRecord } from './records.ts';
import { isObject } from './reply-decoding.ts';

export interface ValidationOptions {
  /**
   * The tool set the user named: calls to other tools are `unknown-tool`, bad arguments `schema`. Omit it to
   * check structure only (a record's own `tools`, as TRL conversational rows carry them, still apply).
   */
  tools?: readonly ToolDefinition[];
  /** What to call that tool set in the report (a file name, "sample enterprise tools"). */
  toolSetName?: string;
  /** Longest example allowed, in tokens (default 4096). */
  maxTokens?: number;
  /** Counts tokens (the real tokenizer when loaded); default: a conservative estimate. */
  countTokens?: TokenCounter;
  /** Force a kind instead of detecting it from the first record. */
  kind?: DatasetKind;
  /** Stop listing problems after this many (counts stay exact); default 10,000. */
  maxListedProblems?: number;
}

export interface ValidationReport {
  kind: DatasetKind | null;
  /** Records read (non-blank lines / array elements). */
  records: number;
  valid: number;
  invalid: number;
  problems: Problem[];
  /** Problems by kind, counted over all of them even when the list is capped. */
  counts: ProblemCounts;
  /** Lines where a record with a problem starts, ascending. */
  badLines: number[];
  /** The tool set calls were checked against (null: structure only). Absent in reports stored before it existed. */
  toolSet?: { name: string; tools: number } | null;
  /** The tools the data's calls use (chosen replies only for rm), with their parameters and value types. */
  toolsUsed?: ToolUsageReport;
}

export class DatasetValidator {
  readonly examples: DatasetExample[] = [];
  private readonly problems: Problem[] = [];
  private readonly counts: ProblemCounts = {};
  private readonly badLines: number[] = [];
  private kind: DatasetKind | null;
  private records = 0;
  /** Records with problems (several array elements can share a line, so this is not badLines.length). */
  private invalidRecords = 0;
  private readonly argumentValidator: ArgumentValidator | null;
  private readonly ownToolValidators = new Map<string, ArgumentValidator>();
  private readonly seen = new Map<number, number>(); // example key hash -> index in examples
  private readonly maxTokens: number;
  private readonly countTokens: TokenCounter;
  private readonly maxListed: number;
  private readonly usage = new ToolUsageCounter();

  constructor(private readonly options: ValidationOptions = {}) {
    this.kind = options.kind ?? null;
    this.argumentValidator = options.tools ? new ArgumentValidator(options.tools) : null;
    this.maxTokens = options.maxTokens ?? 4096;
    this.countTokens = options.countTokens ?? estimateTokens;
    this.maxListed = options.maxListedProblems ?? 10_000;
  }

  /** A problem of the whole file (not JSONL, array never closed, ...). */
  addFileProblem(line: number, message: string): void {
    this.report([{ line, field: '', message, kind: 'not-jsonl' }], 0); // not a record: no bad line of its own
  }

  addRecord(raw: RawRecord): void {
    this.records++;
    try {
      this.check(raw);
    } catch (e) {
      // Nothing escapes the validator: an internal failure is reported against the line.
      this.report([{ line: raw.line, field: '', message: `could not be checked: ${(e as Error).message}`, kind: 'wrong-type' }]);
    }
  }

  private check(raw: RawRecord): void {
    const where = locateJsonError(raw.text);
    if (where) {
      const pos = lineColumnAt(raw.text, where.offset);
      const line = raw.line + pos.line - 1;
      const column = pos.line === 1 ? raw.column + pos.column - 1 : pos.column;
      this.report([{ line, field: '', message: `JSON syntax error at column ${column}: ${where.message}`, kind: 'json-syntax' }], raw.line);
      return;
    }
    const value: unknown = JSON.parse(raw.text);
    if (!isObject(value)) {
      this.report([{ line: raw.line, field: '', message: 'each line should be a JSON object {...}', kind: 'wrong-type' }]);
      return;
    }
    const recordKind = detectRecordKind(value);
    if (!recordKind) {
      const keys = Object.keys(value).slice(0, 6).join(', ');
      this.report([{ line: raw.line, field: '', message: `unrecognised fields {${keys}}: ${EXPECTED_SHAPES}`, kind: 'missing-field' }]);
      return;
    }
    if (this.kind === null) this.kind = recordKind;
    if (recordKind !== this.kind && !(this.kind === 'sft' && recordKind === 'conversational')) {
      this.report([{ line: raw.line, field: '', message: `this is a ${recordKind} record in a ${this.kind} file`, kind: 'mixed-kind' }]);
      return;
    }
    const result = normaliseRecord(value, recordKind, raw.line);
    if ('problems' in result) {
      this.report(result.problems);
      return;
    }
    for (const site of result.callSites) this.usage.add(site.call);
    const problems: Problem[] = [];
    const ownTools = 'conversation' in result.example ? result.example.conversation.tools : undefined;
    const validator = ownTools ? this.validatorFor(ownTools) : this.argumentValidator;
    if (validator) {
      for (const site of result.callSites) {
        for (const err of validator.check(site.call).errors) {
          const field = err.path ? `${site.field}${err.path.replace(/\//g, '.')}` : site.field;
          problems.push({
            line: raw.line,
            field,
            message: err.kind === 'unknown_tool' ? `unknown tool "${site.call.name}" (not in ${validator === this.argumentValidator ? (this.options.toolSetName ?? 'the active tool set') : "the record's own tools"})` : err.message,
            kind: err.kind === 'unknown_tool' ? 'unknown-tool' : 'schema',
          });
        }
      }
    }
    const text = exampleText(result.example);
    const tokens = this.countTokens(text);
    if (tokens > this.maxTokens) {
      problems.push({ line: raw.line, field: '', message: `about ${tokens} tokens, longer than the context of ${this.maxTokens}`, kind: 'too-long' });
    }
    if (problems.length === 0) {
      const duplicateOf = this.findDuplicate(result.example);
      if (duplicateOf !== null) problems.push({ line: raw.line, field: '', message: `duplicate of line ${duplicateOf}`, kind: 'duplicate' });
    }
    if (problems.length > 0) {
      this.report(problems);
      return;
    }
    this.examples.push(result.example);
  }

  private validatorFor(tools: ToolDefinition[]): ArgumentValidator {
    const key = JSON.stringify(tools);
    let v = this.ownToolValidators.get(key);
    if (!v) {
      v = new ArgumentValidator(tools);
      if (this.ownToolValidators.size > 64) this.ownToolValidators.clear(); // bound memory on files where every row differs
      this.ownToolValidators.set(key, v);
    }
    return v;
  }

  /** Same content as an earlier kept example (line numbers aside)? Hash first, then compare in full. */
  private findDuplicate(example: DatasetExample): number | null {
    const key = contentKey(example);
    const h = hash53(key);
    const hit = this.seen.get(h);
    if (hit !== undefined && contentKey(this.examples[hit]) === key) return this.examples[hit].line;
    if (hit === undefined) this.seen.set(h, this.examples.length);
    return null;
  }

  private report(problems: Problem[], badLine = problems[0]?.line ?? 0): void {
    for (const p of problems) {
      this.counts[p.kind] = (this.counts[p.kind] ?? 0) + 1;
      // Messages quote the data (tool names, keys, values): a 1 MB value must not make a 1 MB message,
      // ten thousand times over in the problem list.
      if (this.problems.length < this.maxListed) this.problems.push({ ...p, field: cap(p.field, MAX_FIELD_CHARS), message: cap(p.message, MAX_MESSAGE_CHARS) });
    }
    if (badLine > 0) {
      this.invalidRecords++;
      if (this.badLines[this.badLines.length - 1] !== badLine) this.badLines.push(badLine);
    }
  }

  finish(): ValidationReport {
    return {
      kind: this.kind,
      records: this.records,
      valid: this.examples.length,
      invalid: this.invalidRecords,
      problems: this.problems,
      counts: { ...this.counts },
      badLines: [...this.badLines],
      toolSet: this.options.tools ? { name: this.options.toolSetName ?? 'the active tool set', tools: this.options.tools.length } : null,
      toolsUsed: this.usage.report(),
    };
  }
}

/** Longest problem message and field path kept in a report (the rest becomes "…"). */
export const MAX_MESSAGE_CHARS = 400;
export const MAX_FIELD_CHARS = 200;

function cap(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function contentKey(example: DatasetExample): string {
  return JSON.stringify({ ...example, line: 0 });
}

/** cyrb53: a fast 53-bit string hash (collisions are resolved by a full comparison). */
function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
