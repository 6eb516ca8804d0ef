// Scores predictions against BFCL cases with the AST checker. A prediction line is
// `{"id", "calls": [{"name", "arguments"}]}` (decoded calls) or `{"id", "output": "<raw model text>"}`
// (Python call syntax as in BFCL's prompting mode, or any format parse-output.ts reads);
// the report has a summary and one `{id, valid, errors}` entry per case.

import { parseModelOutput } from '../../tools/parse-output.ts';
import { checkCategory, type CheckOptions, type PyCall } from './ast-checker.ts';
import type { BfclCase } from './bfcl-data.ts';
import { fromJs, isPyDict, parsePyJson, type PyValue } from './py-value.ts';
import { decodePythonCalls, looksLikePythonCalls } from './python-calls.ts';

export interface BfclPrediction {
  id: string;
  /** Decoded calls, or undefined when the prediction could not be decoded (see error). */
  calls?: PyCall[];
  error?: string;
}

export interface BfclCaseResult {
  id: string;
  valid: boolean;
  errors: string[];
  errorType?: string;
}

export interface BfclReport {
  summary: { category: string; total: number; correct: number; accuracy: number; missing: number; undecodable: number };
  cases: BfclCaseResult[];
}

function decodeCalls(items: PyValue, where: string): PyCall[] | string {
  if (!Array.isArray(items)) return `${where}: "calls" must be a list`;
  const calls: PyCall[] = [];
  for (const [i, item] of items.entries()) {
    if (!isPyDict(item) || typeof item.name !== 'string') return `${where}: calls[${i}] needs a string "name"`;
    let args: PyValue = item.arguments ?? {};
    // OpenAI-style dumps carry arguments as a JSON string; read it the same lossless way.
    if (typeof args === 'string') {
      try {
        args = parsePyJson(args);
      } catch (e) {
        return `${where}: calls[${i}].arguments is a string that is not JSON: ${(e as Error).message}`;
      }
    }
    if (!isPyDict(args)) return `${where}: calls[${i}].arguments must be an object`;
    calls.push({ name: item.name, args });
  }
  return calls;
}

/**
 * Reads a predictions JSONL text. A line whose calls cannot be decoded becomes a prediction with an error
 * (scored as wrong); a line that is not a prediction at all (bad JSON, no id, repeated id) is skipped and
 * described in `problems` with its file and line, and every other line is kept.
 */
export function readBfclPredictions(text: string, file = 'predictions', problems: string[] = []): Map<string, BfclPrediction> {
  const out = new Map<string, BfclPrediction>();
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let value: PyValue;
    try {
      value = parsePyJson(raw);
    } catch (e) {
      problems.push(`${where}: not valid JSON: ${(e as Error).message}`);
      return;
    }
    if (!isPyDict(value) || typeof value.id !== 'string') {
      problems.push(`${where}: field "id": expected a string`);
      return;
    }
    const id = value.id;
    if (out.has(id)) {
      problems.push(`${where}: field "id": "${id}" appears twice; the first line is kept`);
      return;
    }
    if (value.calls !== undefined) {
      const calls = decodeCalls(value.calls, where);
      out.set(id, typeof calls === 'string' ? { id, error: calls } : { id, calls });
    } else if (typeof value.output === 'string') {
      out.set(id, decodeBfclOutput(id, value.output, where));
    } else {
      problems.push(`${where}: field "output": needs "calls" (a list) or "output" (a string)`);
    }
  });
  return out;
}

/**
 * A model's raw text as a prediction: Python call syntax (BFCL's prompting format, read as Python would: 5.0 is a
 * float, True a bool), or any call format parse-output.ts reads, its JSON read losslessly.
 */
export function decodeBfclOutput(id: string, text: string, where = id): BfclPrediction {
  if (looksLikePythonCalls(text)) {
    try {
      return { id, calls: decodePythonCalls(text) };
    } catch (e) {
      return { id, error: `${where}: ${(e as Error).message}` };
    }
  }
  const parsed = parseModelOutput(text, { parseJson: parsePyJson });
  if (parsed.error) return { id, error: `${where}: ${parsed.error.message}` };
  return { id, calls: parsed.calls.map((c) => ({ name: c.name, args: fromJs(c.arguments) as Record<string, PyValue> })) };
}

/** Scores every case; a case without a prediction counts as wrong. */
export function scoreBfcl(cases: readonly BfclCase[], predictions: ReadonlyMap<string, BfclPrediction>, opts: CheckOptions = {}): BfclReport {
  const results: BfclCaseResult[] = [];
  let missing = 0;
  let undecodable = 0;
  for (const c of cases) {
    const p = predictions.get(c.id);
    if (!p) {
      missing++;
      results.push({ id: c.id, valid: false, errors: ['No prediction for this id.'], errorType: 'missing_prediction' });
    } else if (!p.calls) {
      undecodable++;
      results.push({ id: c.id, valid: false, errors: [p.error ?? 'Could not decode the prediction.'], errorType: 'decode_error' });
    } else {
      const r = checkCategory(c.category, c.functions, p.calls, c.answers, opts);
      results.push({ id: c.id, valid: r.valid, errors: r.errors, ...(r.errorType ? { errorType: r.errorType } : {}) });
    }
  }
  const correct = results.filter((r) => r.valid).length;
  const category = [...new Set(cases.map((c) => c.category))].join(',');
  return { summary: { category, total: cases.length, correct, accuracy: cases.length ? correct / cases.length : 0, missing, undecodable }, cases: results };
}

/**
 * BFCL's irrelevance category: no function fits the question, so a case passes when the prediction holds
 * no call. As in BFCL, output that does not decode into calls also passes; a missing prediction fails.
 */
export function scoreBfclIrrelevance(ids: readonly string[], predictions: ReadonlyMap<string, BfclPrediction>): BfclReport {
  let missing = 0;
  let undecodable = 0;
  const cases: BfclCaseResult[] = ids.map((id) => {
    const p = predictions.get(id);
    if (!p) {
      missing++;
      return { id, valid: false, errors: ['No prediction for this id.'], errorType: 'missing_prediction' };
    }
    if (!p.calls) undecodable++;
    if (p.calls && p.calls.length > 0) {
      return { id, valid: false, errors: [`Valid syntax: ${p.calls.length} call(s) decoded where no function should be called.`], errorType: 'irrelevance_error:decoder_success' };
    }
    return { id, valid: true, errors: [] };
  });
  const correct = cases.filter((c) => c.valid).length;
  return { summary: { category: 'irrelevance', total: ids.length, correct, accuracy: ids.length ? correct / ids.length : 0, missing, undecodable }, cases };
}
