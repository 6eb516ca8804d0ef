// Reads an assistant reply as datasets write it: a JSON call (`{"tool_call": {...}}`, a list of them,
// OpenAI `{"type":"function","function":{...}}`, Qwen `<tool_call>{...}</tool_call>`), a function-call
// string `name(key=value); ...`, or plain text (an answer without a tool). Text that merely starts like a
// call ("max(a, b) returns ...", "[1] see below") stays text; a broken call attempt is an error.

import { parseCallString } from '../tools/call-string.ts';
import type { ToolCall } from '../tools/types.ts';
import type { AssistantTurn } from './conversation.ts';
import { lineColumnAt, locateJsonError } from './json-error.ts';

export type DecodedReply = { calls: ToolCall[]; content?: string } | { error: string };

const CALL_STRING_START = /^[A-Za-z_$][A-Za-z0-9_$.\-]*\s*\(/;
const CALL_ATTEMPT = /^[A-Za-z_$][A-Za-z0-9_$.\-]*\s*\(\s*(\)|[A-Za-z_$][A-Za-z0-9_$]*\s*=)/;
const QWEN_CALL = /<tool_call>([\s\S]*?)<\/tool_call>/g;

/** Decodes a reply text. Plain prose becomes `{calls: [], content}`; a broken call gives `{error}`. */
export function decodeReply(text: string): DecodedReply {
  const trimmed = text.trim();
  if (trimmed === '') return { error: 'empty reply' };
  if (trimmed.includes('<tool_call>')) return decodeQwenCalls(trimmed);
  if (trimmed[0] === '{' || /^\[\s*\{/.test(trimmed)) {
    const where = locateJsonError(trimmed);
    if (where) {
      const { line, column } = lineColumnAt(trimmed, where.offset);
      return { error: `not valid JSON (${line > 1 ? `line ${line} of the value, ` : ''}column ${column}): ${where.message}` };
    }
    return callsFromJson(JSON.parse(trimmed));
  }
  if (CALL_STRING_START.test(trimmed)) {
    const r = parseCallString(trimmed);
    if (!('error' in r)) return { calls: r.calls };
    // `name()` or `name(key=...` is a call attempt; "max(a, b) returns the larger one" is prose.
    if (CALL_ATTEMPT.test(trimmed)) return { error: `bad call string at character ${r.position + 1}: ${r.error}` };
  }
  return { calls: [], content: trimmed };
}

/**
 * A reply text as the assistant turn a dataset line would hold: its calls and text, or, when it is a broken call,
 * the text verbatim (as a rejected side keeps it): what a typed response is scored as.
 */
export function replyTurn(text: string): AssistantTurn {
  const d = decodeReply(text);
  if ('error' in d) return { role: 'assistant', calls: [], unparsed: text };
  return { role: 'assistant', calls: d.calls, ...(d.content ? { content: d.content } : {}) };
}

function decodeQwenCalls(text: string): DecodedReply {
  const calls: ToolCall[] = [];
  const content = text.replace(QWEN_CALL, '').trim();
  for (const m of text.matchAll(QWEN_CALL)) {
    const inner = m[1].trim();
    if (locateJsonError(inner)) return { error: `<tool_call> block is not valid JSON: ${inner.slice(0, 60)}` };
    const r = callsFromJson(JSON.parse(inner));
    if ('error' in r) return r;
    calls.push(...r.calls);
  }
  return content ? { calls, content } : { calls };
}

/** Calls from an already parsed JSON value in any of the accepted shapes. */
export function callsFromJson(value: unknown): { calls: ToolCall[] } | { error: string } {
  const calls: ToolCall[] = [];
  const error = collectCalls(value, calls, '');
  if (error) return { error };
  if (calls.length === 0) return { error: 'an empty list of calls' };
  return { calls };
}

function collectCalls(value: unknown, out: ToolCall[], path: string): string | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const e = collectCalls(value[i], out, `${path}[${i}]`);
      if (e) return e;
    }
    return null;
  }
  if (!isObject(value)) return `${path || 'value'} should be a call object, got ${describeType(value)}`;
  if ('tool_call' in value) return collectCalls(value.tool_call, out, `${path}.tool_call`.replace(/^\./, ''));
  if ('tool_calls' in value) return collectCalls(value.tool_calls, out, `${path}.tool_calls`.replace(/^\./, ''));
  if (value.type === 'function' && isObject(value.function)) return collectCalls(value.function, out, `${path}.function`.replace(/^\./, ''));
  const call = callFromObject(value, path);
  if (typeof call === 'string') return call;
  out.push(call);
  return null;
}

/** `{tool_name|name, parameters|arguments}`; arguments may be a JSON string (OpenAI style). */
export function callFromObject(o: Record<string, unknown>, path = ''): ToolCall | string {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const nameField = 'tool_name' in o ? 'tool_name' : 'name';
  const name = o[nameField];
  if (name === undefined) return `${at('tool_name')} is missing (a call needs "tool_name" or "name")`;
  if (typeof name !== 'string' || name.trim() === '') return `${at(nameField)} should be a non-empty string, got ${describeType(name)}`;
  const argsField = 'parameters' in o ? 'parameters' : 'arguments';
  let args = o[argsField] ?? {};
  if (typeof args === 'string') {
    const where = locateJsonError(args);
    if (where) return `${at(argsField)} is a string but not valid JSON (column ${where.offset + 1}): ${where.message}`;
    args = JSON.parse(args);
  }
  if (!isObject(args)) return `${at(argsField)} should be an object of parameters, got ${describeType(args)}`;
  return { name, arguments: args };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string "${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return `${typeof v} ${String(v)}`;
}
