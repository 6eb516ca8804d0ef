// Reads tool calls out of raw model text. Three formats: Qwen/Hermes `<tool_call>{"name","arguments"}</tool_call>`
// blocks (one or several, optionally after a `<think>` block), the original pipeline's JSON
// `{"tool_call": {"tool_name","parameters"}}`, and the function-call string `queryWeather(city=北京)`.
// Text with none of them is a plain answer (no tool called). Malformed text gives a precise error.

import { parseCallString } from './call-string.ts';
import type { ToolCall } from './types.ts';

export type OutputFormat = 'hermes' | 'tool_call_json' | 'call_string' | 'text';

export type OutputErrorKind =
  | 'unclosed_tag' // <tool_call> or <think> never closed
  | 'stray_closing_tag' // </tool_call> without an opening tag
  | 'invalid_json' // a block's body (or the whole text) is not JSON
  | 'call_not_object' // the JSON is not an object
  | 'missing_name' // no string "name" / "tool_name"
  | 'arguments_not_object' // "arguments" / "parameters" is present but not an object
  | 'invalid_call_string';

export interface OutputError {
  kind: OutputErrorKind;
  message: string;
  /** 0-based offset into the text where the problem starts. */
  offset: number;
}

export interface ParsedOutput {
  format: OutputFormat;
  calls: ToolCall[];
  /** Body of the `<think>` block, if any. */
  think?: string;
  /** Text outside think and tool-call blocks (the natural-language reply), trimmed. */
  content: string;
  error?: OutputError;
}

export interface ParseOptions {
  /** JSON reader for call bodies; BFCL scoring passes one that keeps 5.0 distinct from 5. */
  parseJson?: (text: string) => unknown;
}

const OPEN = '<tool_call>';
const CLOSE = '</tool_call>';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Line and column (1-based) of an offset, for messages. */
function where(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
}

function fail(format: OutputFormat, text: string, kind: OutputErrorKind, offset: number, what: string, extra: Partial<ParsedOutput> = {}): ParsedOutput {
  return { format, calls: [], content: '', ...extra, error: { kind, offset, message: `${what} (at ${where(text, offset)})` } };
}

/** Splits off a leading `<think>...</think>` block. */
function splitThink(text: string): { think?: string; rest: string; restOffset: number } | OutputError {
  const start = text.search(/\S/);
  if (start < 0 || !text.startsWith('<think>', start)) return { rest: text, restOffset: 0 };
  const end = text.indexOf('</think>', start);
  if (end < 0) return { kind: 'unclosed_tag', offset: start, message: `<think> is never closed by </think> (at ${where(text, start)})` };
  return { think: text.slice(start + 7, end).trim(), rest: text.slice(end + 8), restOffset: end + 8 };
}

/** Parses model output in any supported format. Never throws. */
export function parseModelOutput(text: string, opts: ParseOptions = {}): ParsedOutput {
  const parseJson = opts.parseJson ?? JSON.parse;
  const split = splitThink(text);
  if ('kind' in split) return { format: 'text', calls: [], content: '', error: split };
  const { think, rest, restOffset } = split;
  const base = think !== undefined ? { think } : {};

  if (rest.includes(OPEN) || rest.includes(CLOSE)) return parseHermes(text, rest, restOffset, parseJson, base);

  const trimmed = stripFence(rest.trim());
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && /"tool_call"\s*:/.test(trimmed)) {
    return parseToolCallJson(text, trimmed, text.indexOf(trimmed[0], restOffset), parseJson, base);
  }
  if (looksLikeCallString(trimmed)) {
    const r = parseCallString(unbracket(trimmed));
    const offset = text.indexOf(trimmed.slice(0, 10), restOffset);
    if ('error' in r) return fail('call_string', text, 'invalid_call_string', Math.max(0, offset) + r.position, r.error, base);
    return { format: 'call_string', calls: r.calls, content: '', ...base };
  }
  return { format: 'text', calls: [], content: rest.trim(), ...base };
}

function parseHermes(text: string, rest: string, restOffset: number, parseJson: (t: string) => unknown, base: Partial<ParsedOutput>): ParsedOutput {
  const calls: ToolCall[] = [];
  const content: string[] = [];
  let pos = 0;
  for (;;) {
    const open = rest.indexOf(OPEN, pos);
    const strayClose = rest.indexOf(CLOSE, pos);
    if (strayClose >= 0 && (open < 0 || strayClose < open)) {
      return fail('hermes', text, 'stray_closing_tag', restOffset + strayClose, `${CLOSE} without an opening ${OPEN}`, base);
    }
    if (open < 0) {
      content.push(rest.slice(pos));
      break;
    }
    content.push(rest.slice(pos, open));
    const bodyStart = open + OPEN.length;
    const close = rest.indexOf(CLOSE, bodyStart);
    const nextOpen = rest.indexOf(OPEN, bodyStart);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      return fail('hermes', text, 'unclosed_tag', restOffset + open, `${OPEN} is never closed by ${CLOSE}`, base);
    }
    const body = rest.slice(bodyStart, close);
    const bodyOffset = restOffset + bodyStart + (body.length - body.trimStart().length);
    let value: unknown;
    try {
      value = parseJson(body.trim());
    } catch (e) {
      return fail('hermes', text, 'invalid_json', bodyOffset, `tool call ${calls.length + 1} is not valid JSON: ${(e as Error).message}`, base);
    }
    if (!isObject(value)) return fail('hermes', text, 'call_not_object', bodyOffset, `tool call ${calls.length + 1} must be a JSON object with "name" and "arguments"`, base);
    if (typeof value.name !== 'string' || value.name === '') {
      return fail('hermes', text, 'missing_name', bodyOffset, `tool call ${calls.length + 1} has no string "name"`, base);
    }
    const args = value.arguments ?? {};
    if (!isObject(args)) {
      return fail('hermes', text, 'arguments_not_object', bodyOffset,
        `"arguments" of tool call ${calls.length + 1} (${value.name}) must be a JSON object, got ${describe(args)}`, base);
    }
    calls.push({ name: value.name, arguments: args });
    pos = close + CLOSE.length;
  }
  return { format: 'hermes', calls, content: content.join('').trim(), ...base };
}

function parseToolCallJson(text: string, json: string, offset: number, parseJson: (t: string) => unknown, base: Partial<ParsedOutput>): ParsedOutput {
  let value: unknown;
  try {
    value = parseJson(json);
  } catch (e) {
    return fail('tool_call_json', text, 'invalid_json', Math.max(0, offset), `the {"tool_call": ...} object is not valid JSON: ${(e as Error).message}`, base);
  }
  // Parallel calls come as a list of {"tool_call": ...} objects, or as one object whose tool_call is a list.
  if (Array.isArray(value)) {
    const inner = value.map((v) => (isObject(v) ? v.tool_call : v));
    if (!value.every(isObject)) return fail('tool_call_json', text, 'call_not_object', Math.max(0, offset), 'each entry of the list must be a {"tool_call": ...} object', base);
    value = { tool_call: inner.flat() };
  }
  if (!isObject(value)) return fail('tool_call_json', text, 'call_not_object', Math.max(0, offset), 'expected a JSON object', base);
  const raw = value.tool_call;
  // null / absent means "no tool needed"; an array holds several calls.
  const items = raw === null || raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const calls: ToolCall[] = [];
  for (const [i, item] of items.entries()) {
    const label = items.length > 1 ? `tool_call[${i}]` : 'tool_call';
    if (!isObject(item)) return fail('tool_call_json', text, 'call_not_object', Math.max(0, offset), `"${label}" must be an object with "tool_name" and "parameters", got ${describe(item)}`, base);
    if (typeof item.tool_name !== 'string' || item.tool_name === '') {
      return fail('tool_call_json', text, 'missing_name', Math.max(0, offset), `"${label}" has no string "tool_name"`, base);
    }
    const params = item.parameters ?? {};
    if (!isObject(params)) {
      return fail('tool_call_json', text, 'arguments_not_object', Math.max(0, offset), `"${label}.parameters" must be a JSON object, got ${describe(params)}`, base);
    }
    calls.push({ name: item.tool_name, arguments: params });
  }
  const content = typeof value.response === 'string' ? value.response : '';
  return { format: 'tool_call_json', calls, content, ...base };
}

/** Removes a ```json ... ``` fence around the whole text, which chat models like to add. */
function stripFence(s: string): string {
  const m = /^```[a-zA-Z]*\s*\n([\s\S]*?)\n?```$/.exec(s);
  return m ? m[1].trim() : s;
}

// `name(` at the start and either a closing `)` at the end or a `key=` inside: BFCL-style
// `[f(a=1), g(b=2)]`, `f(a=1); g(b=2)`, or a truncated `f(a=1` (reported as malformed, not as prose).
function looksLikeCallString(s: string): boolean {
  const body = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1).trim() : s;
  if (!/^[A-Za-z_$\u00C0-\uFFFF][\w$.\-\u00C0-\uFFFF]*\s*\(/.test(body)) return false;
  return body.endsWith(')') || /^[^(]*\(\s*[A-Za-z_$\u00C0-\uFFFF][\w$\u00C0-\uFFFF]*\s*=/.test(body);
}

/**
 * BFCL's list form `[f(a=1), g(b=2)]` -> `f(a=1)\ng(b=2)`, the separator the call-string grammar reads.
 * Same length as the input, so error offsets still point into the original text.
 */
function unbracket(s: string): string {
  if (!(s.startsWith('[') && s.endsWith(']'))) return s;
  const chars = [...s.slice(1, -1)];
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) chars[i] = '\n';
  }
  return ' ' + chars.join('') + ' ';
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return `a ${typeof v}`;
}
