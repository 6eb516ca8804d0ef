// Reads gold and prediction JSONL files into EvalRecords. Gold lines are either our own form
// `{"id", "expected": [[calls per step]]}` / `{"id", "calls": [...]}` or any dataset record the data
// layer understands (sft, conversational, ppo with a reference, rm chosen side); those without an id
// get `line-N`. Prediction lines are `{"id", "output": text | [text per step]}` or
// `{"id", "calls": [calls] | [[calls per step]]}`, with an optional `"sample"` for pass@k.
// A bad line becomes a problem naming file, line and field; every good line is kept.

import { detectRecordKind, normaliseRecord } from '../data/formats.ts';
import type { DatasetExample } from '../data/conversation.ts';
import type { ToolCall, ToolDefinition } from '../tools/types.ts';
import type { GoldCall } from './match.ts';
import type { EvalRecord, PredictedInput } from './metrics.ts';

export interface GoldEntry {
  id: string;
  line: number;
  expected: GoldCall[][];
  tools?: ToolDefinition[];
}

export interface PredEntry {
  id: string;
  line: number;
  sample?: number;
  predicted: PredictedInput;
}

export interface ReadProblem {
  file: string;
  line: number;
  field: string;
  message: string;
}

export const formatProblem = (p: ReadProblem) => `${p.file}:${p.line}: ${p.field}: ${p.message}`;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

interface FieldError {
  field: string;
  message: string;
}

const isFieldError = (v: unknown): v is FieldError => isObject(v) && typeof v.field === 'string' && typeof v.message === 'string';

/** Checks one call object; returns the call or what is wrong with it. */
function readCall(v: unknown, where: string): GoldCall | FieldError {
  if (!isObject(v)) return { field: where, message: 'must be an object with "name" and "arguments"' };
  if (typeof v.name !== 'string' || !v.name) return { field: `${where}.name`, message: 'must be a non-empty string' };
  const args = v.arguments ?? {};
  if (!isObject(args)) return { field: `${where}.arguments`, message: 'must be an object' };
  const call: GoldCall = { name: v.name, arguments: args };
  if (v.alternatives !== undefined) {
    if (!isObject(v.alternatives) || !Object.values(v.alternatives).every(Array.isArray)) {
      return { field: `${where}.alternatives`, message: 'must map parameters to lists of allowed values' };
    }
    call.alternatives = v.alternatives as Record<string, unknown[]>;
  }
  return call;
}

function readSteps(v: unknown, field: string, nested: boolean): GoldCall[][] | FieldError {
  if (!Array.isArray(v)) return { field, message: 'must be a list' };
  const steps = nested ? v : [v];
  const out: GoldCall[][] = [];
  for (const [s, step] of steps.entries()) {
    if (!Array.isArray(step)) return { field: `${field}[${s}]`, message: 'must be a list of calls (one list per step)' };
    const calls: GoldCall[] = [];
    for (const [i, c] of step.entries()) {
      const r = readCall(c, nested ? `${field}[${s}][${i}]` : `${field}[${i}]`);
      if (isFieldError(r)) return r;
      calls.push(r as GoldCall);
    }
    out.push(calls);
  }
  return out;
}


/**
 * Steps of expected calls in a dataset example: one step per assistant turn, a closing answer included (a step where
 * no call is due), as the trainers' evaluations by generation and by episodes count them; none = one no-tool step.
 */
function stepsOfExample(ex: DatasetExample): GoldCall[][] {
  const turns = ex.kind === 'sft' || ex.kind === 'conversational' ? ex.conversation.turns
    : ex.kind === 'rm' ? ex.chosen : (ex.reference ?? []);
  const steps = turns.flatMap((t) => (t.role === 'assistant' ? [t.calls as GoldCall[]] : []));
  return steps.length ? steps : [[]];
}

function toolsOfExample(ex: DatasetExample): ToolDefinition[] | undefined {
  return ex.kind === 'rm' || ex.kind === 'ppo' ? ex.prompt.tools : ex.conversation.tools;
}

function eachLine(text: string, fn: (value: unknown, line: number) => void, file: string, problems: ReadProblem[]): void {
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      problems.push({ file, line: i + 1, field: '(line)', message: `not valid JSON: ${(e as Error).message}` });
      return;
    }
    fn(value, i + 1);
  });
}

export function readGold(text: string, file = 'gold.jsonl'): { gold: GoldEntry[]; problems: ReadProblem[] } {
  const gold: GoldEntry[] = [];
  const problems: ReadProblem[] = [];
  const seen = new Set<string>();
  eachLine(text, (v, line) => {
    const bad = (field: string, message: string) => problems.push({ file, line, field, message });
    if (!isObject(v)) return bad('(line)', 'expected a JSON object');
    if (v.id !== undefined && typeof v.id !== 'string' && typeof v.id !== 'number') return bad('id', 'must be a string or a number');
    const id = v.id !== undefined ? String(v.id) : `line-${line}`;
    if (seen.has(id)) return bad('id', `"${id}" appears twice`);
    let expected: GoldCall[][] | FieldError;
    let tools: ToolDefinition[] | undefined;
    if ('expected' in v) expected = readSteps(v.expected, 'expected', true);
    else if ('calls' in v) expected = readSteps(v.calls, 'calls', false);
    else {
      const kind = detectRecordKind(v);
      if (!kind) return bad('(line)', 'needs "expected" (steps of calls), "calls", or a dataset record (instruction/input/output, messages, prompt/chosen/rejected)');
      const r = normaliseRecord(v, kind, line);
      if ('problems' in r) {
        for (const p of r.problems) problems.push({ file, line, field: p.field || '(record)', message: p.message });
        return;
      }
      expected = stepsOfExample(r.example);
      tools = toolsOfExample(r.example);
    }
    if (isFieldError(expected)) return bad(expected.field, expected.message);
    if (Array.isArray(v.tools)) tools = v.tools as ToolDefinition[];
    seen.add(id);
    gold.push({ id, line, expected, ...(tools ? { tools } : {}) });
  }, file, problems);
  return { gold, problems };
}

function isCallList(v: unknown): v is ToolCall[] {
  return Array.isArray(v) && v.every((c) => isObject(c));
}

export function readPredictions(text: string, file = 'predictions.jsonl'): { preds: PredEntry[]; problems: ReadProblem[] } {
  const preds: PredEntry[] = [];
  const problems: ReadProblem[] = [];
  eachLine(text, (v, line) => {
    const bad = (field: string, message: string) => problems.push({ file, line, field, message });
    if (!isObject(v)) return bad('(line)', 'expected a JSON object');
    if (typeof v.id !== 'string' && typeof v.id !== 'number') return bad('id', 'must be a string or a number');
    if (v.sample !== undefined && !Number.isInteger(v.sample)) return bad('sample', 'must be an integer');
    let predicted: PredictedInput;
    if (typeof v.output === 'string' || (Array.isArray(v.output) && v.output.every((x) => typeof x === 'string'))) {
      predicted = v.output as string | string[];
    } else if (v.calls !== undefined) {
      const nested = Array.isArray(v.calls) && v.calls.length > 0 && v.calls.every(Array.isArray);
      const steps = readSteps(v.calls, 'calls', nested);
      if (isFieldError(steps)) return bad(steps.field, steps.message);
      predicted = nested ? steps : (steps[0] ?? []);
      if (!isCallList(predicted) && !nested) return bad('calls', 'must be a list of calls');
    } else {
      return bad('output', 'needs "output" (text, or a list of texts per step) or "calls"');
    }
    preds.push({ id: String(v.id), line, ...(v.sample !== undefined ? { sample: v.sample as number } : {}), predicted });
  }, file, problems);
  return { preds, problems };
}

/** Pairs predictions with gold by id. A gold id without any prediction is scored as "no call". */
export function joinRecords(gold: readonly GoldEntry[], preds: readonly PredEntry[]): { records: EvalRecord[]; missing: string[]; unknown: string[] } {
  const byId = new Map(gold.map((g) => [g.id, g]));
  const records: EvalRecord[] = [];
  const unknown: string[] = [];
  const covered = new Set<string>();
  for (const p of preds) {
    const g = byId.get(p.id);
    if (!g) {
      unknown.push(p.id);
      continue;
    }
    covered.add(p.id);
    records.push({ id: p.id, ...(p.sample !== undefined ? { sample: p.sample } : {}), expected: g.expected, predicted: p.predicted, ...(g.tools ? { tools: g.tools } : {}) });
  }
  const missing = gold.filter((g) => !covered.has(g.id)).map((g) => g.id);
  for (const id of missing) {
    const g = byId.get(id)!;
    records.push({ id, expected: g.expected, predicted: [], ...(g.tools ? { tools: g.tools } : {}) });
  }
  return { records, missing, unknown };
}
