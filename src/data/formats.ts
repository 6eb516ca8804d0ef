// Turns one parsed record of any accepted format into a canonical DatasetExample, or says exactly
// which field is wrong. Formats: the pipeline's sft/rm/ppo files, and TRL's conversational,
// prompt-completion, preference and prompt-only forms (see src/data/README.md).

import type { ToolCall, ToolDefinition } from '../tools/types.ts';
import type { AssistantTurn, Conversation, DatasetExample, DatasetKind, ToolResult, Turn } from './conversation.ts';
import type { Problem, ProblemKind } from './problems.ts';
import { type DecodedReply, callFromObject, callsFromJson, decodeReply, describeType, isObject } from './reply-decoding.ts';

/** A call the example asks for, with the field it came from (for unknown-tool and schema problems). */
export interface CallSite {
  field: string;
  call: ToolCall;
}

export type NormaliseResult = { example: DatasetExample; callSites: CallSite[] } | { problems: Problem[] };

/** Which dataset kind a record's fields say it is; null when they match none. */
export function detectRecordKind(o: Record<string, unknown>): DatasetKind | null {
  if ('messages' in o || 'conversations' in o) return 'conversational';
  if ('instruction' in o || 'output' in o || 'completion' in o || ('query' in o && 'answers' in o)) return 'sft';
  if ('chosen' in o || 'rejected' in o) return 'rm';
  if ('prompt' in o) return 'ppo';
  return null;
}

export const EXPECTED_SHAPES =
  'expected {"instruction","input","output"} (sft), {"prompt","chosen","rejected"} (rm), {"prompt","response"} (ppo), {"messages","tools"} (conversational), ShareGPT {"conversations"} or xLAM {"query","tools","answers"}';

/**
 * A prompt string whose first line states the date (`当前日期：2025-04-24（星期四）`, `Current date: ...`)
 * carries its system prompt on that line: the rm/ppo files have no system field, and this keeps their
 * prompts rendered the same way as the sft ones.
 */
const DATE_LINE = /^(当前日期|今天是|今天日期|Current date|Today is)[^\n]*\d{4}-\d{2}-\d{2}[^\n]*$/;

export function splitDatedPrompt(text: string): Conversation {
  const nl = text.indexOf('\n');
  if (nl > 0 && DATE_LINE.test(text.slice(0, nl).trim())) {
    return { system: text.slice(0, nl).trim(), turns: [{ role: 'user', content: text.slice(nl + 1).trim() }] };
  }
  return { turns: [{ role: 'user', content: text }] };
}

class Issues {
  readonly problems: Problem[] = [];
  readonly callSites: CallSite[] = [];
  constructor(readonly line: number) {}
  add(kind: ProblemKind, field: string, message: string): void {
    this.problems.push({ line: this.line, field, message, kind });
  }
  /** A required string field; '' when it is wrong (the problem is recorded). */
  str(o: Record<string, unknown>, field: string, required: boolean): string | undefined {
    const v = o[field];
    if (v === undefined || v === null) {
      if (required) this.add('missing-field', field, `"${field}" is missing`);
      return undefined;
    }
    if (typeof v !== 'string') {
      this.add('wrong-type', field, `"${field}" should be a string, got ${describeType(v)}`);
      return undefined;
    }
    return v;
  }
}

export function normaliseRecord(value: unknown, kind: DatasetKind, line: number): NormaliseResult {
  const issues = new Issues(line);
  if (!isObject(value)) {
    issues.add('wrong-type', '', `each line should be a JSON object, got ${describeType(value)}`);
    return { problems: issues.problems };
  }
  const example =
    kind === 'sft' ? normaliseSft(value, issues) : kind === 'rm' ? normaliseRm(value, issues) : kind === 'ppo' ? normalisePpo(value, issues) : normaliseConversational(value, issues);
  if (issues.problems.length > 0 || !example) return { problems: issues.problems };
  return { example, callSites: issues.callSites };
}

function normaliseSft(o: Record<string, unknown>, issues: Issues): DatasetExample | null {
  if (!('instruction' in o) && 'query' in o && 'answers' in o) return normaliseXlam(o, issues);
  // TRL prompt-completion rows are sft rows too.
  if (!('instruction' in o) && 'prompt' in o) {
    const prompt = readPrompt(o, 'prompt', issues);
    const completion = readContinuation(o, 'completion', issues, { required: true, strict: true });
    if (!prompt || !completion) return null;
    return { kind: 'sft', line: issues.line, conversation: { ...prompt, turns: [...prompt.turns, ...completion] } };
  }
  const instruction = issues.str(o, 'instruction', true);
  const input = issues.str(o, 'input', false) ?? '';
  const system = issues.str(o, 'system', false);
  if (!('output' in o) || o.output === null) issues.add('missing-field', 'output', '"output" is missing');
  if (instruction === undefined || issues.problems.length > 0) return null;
  if (instruction.trim() === '' && input.trim() === '') {
    issues.add('empty-prompt', 'instruction', 'the prompt is empty: "instruction" and "input" are both blank');
    return null;
  }
  const reply = readReply(o.output, 'output', issues, true);
  if (!reply) return null;
  // Alpaca layout: with an input, the instruction is the task (system prompt) and the input the question.
  const conversation: Conversation =
    input.trim() !== '' && instruction.trim() !== ''
      ? { system: [system, instruction].filter(Boolean).join('\n'), turns: [{ role: 'user', content: input }] }
      : { ...(system ? { system } : {}), turns: [{ role: 'user', content: instruction.trim() !== '' ? instruction : input }] };
  conversation.turns.push(reply);
  return { kind: 'sft', line: issues.line, conversation };
}

function normaliseRm(o: Record<string, unknown>, issues: Issues): DatasetExample | null {
  if (!('prompt' in o) && Array.isArray(o.chosen) && Array.isArray(o.rejected)) o = splitImplicitPrompt(o);
  const prompt = readPrompt(o, 'prompt', issues);
  const chosen = readContinuation(o, 'chosen', issues, { required: true, strict: true });
  const rejected = readContinuation(o, 'rejected', issues, { required: true, strict: false });
  if (!prompt || !chosen || !rejected) return null;
  if (JSON.stringify(chosen) === JSON.stringify(rejected)) {
    issues.add('duplicate', 'rejected', '"rejected" is the same as "chosen": the pair teaches nothing');
    return null;
  }
  // Optional columns: TRL's `margin`, and which mistake the rejected side makes (`rejection_kind`).
  let margin: number | undefined;
  if (o.margin !== undefined && o.margin !== null) {
    if (typeof o.margin !== 'number' || !Number.isFinite(o.margin)) issues.add('wrong-type', 'margin', `"margin" should be a number, got ${describeType(o.margin)}`);
    else margin = o.margin;
  }
  const rejectionKind = issues.str(o, 'rejection_kind', false);
  if (rejectionKind !== undefined && rejectionKind.trim() === '') issues.add('wrong-type', 'rejection_kind', '"rejection_kind" is empty (leave it out, or name the mistake, e.g. "wrong-value")');
  if (issues.problems.length > 0) return null;
  return {
    kind: 'rm', line: issues.line, prompt, chosen, rejected,
    ...(margin !== undefined ? { margin } : {}), ...(rejectionKind ? { rejectionKind } : {}),
  };
}

/**
 * TRL's implicit-prompt preference rows carry two whole conversations: their shared leading messages are
 * the prompt, the rest the two continuations.
 */
function splitImplicitPrompt(o: Record<string, unknown>): Record<string, unknown> {
  const chosen = o.chosen as unknown[];
  const rejected = o.rejected as unknown[];
  let shared = 0;
  while (shared < chosen.length - 1 && shared < rejected.length - 1 && JSON.stringify(chosen[shared]) === JSON.stringify(rejected[shared])) shared++;
  if (shared === 0) return o; // nothing shared: "prompt" is reported missing
  return { ...o, prompt: chosen.slice(0, shared), chosen: chosen.slice(shared), rejected: rejected.slice(shared) };
}

function normalisePpo(o: Record<string, unknown>, issues: Issues): DatasetExample | null {
  const prompt = readPrompt(o, 'prompt', issues);
  const field = 'response' in o ? 'response' : 'completion';
  const reference = o[field] === undefined || o[field] === null || o[field] === '' ? undefined : readContinuation(o, field, issues, { required: false, strict: true });
  if (!prompt || issues.problems.length > 0) return null;
  return reference ? { kind: 'ppo', line: issues.line, prompt, reference } : { kind: 'ppo', line: issues.line, prompt };
}

function normaliseConversational(o: Record<string, unknown>, issues: Issues): DatasetExample | null {
  const tools = o.tools === undefined || o.tools === null ? undefined : readTools(parseIfJsonText(o.tools), issues);
  const conv = 'messages' in o ? readMessages(o.messages, 'messages', issues) : readShareGpt(o.conversations, issues);
  if (!conv) return null;
  if (!conv.turns.some((t) => t.role === 'user' && t.content.trim() !== '')) {
    issues.add('empty-prompt', 'messages' in o ? 'messages' : 'conversations', 'no user message with text');
    return null;
  }
  if (!conv.turns.some((t) => t.role === 'assistant')) {
    issues.add('missing-field', 'messages' in o ? 'messages' : 'conversations', 'no assistant message: nothing to learn from this conversation');
    return null;
  }
  if (tools) conv.tools = tools;
  return { kind: 'conversational', line: issues.line, conversation: conv };
}

/** A prompt: a string (optionally with a date line as system prompt) or a list of messages. */
function readPrompt(o: Record<string, unknown>, field: string, issues: Issues): Conversation | null {
  const v = o[field];
  if (v === undefined || v === null) {
    issues.add('missing-field', field, `"${field}" is missing`);
    return null;
  }
  if (typeof v === 'string') {
    if (v.trim() === '') {
      issues.add('empty-prompt', field, `"${field}" is empty`);
      return null;
    }
    return splitDatedPrompt(v);
  }
  if (Array.isArray(v)) {
    const conv = readMessages(v, field, issues);
    if (conv && !conv.turns.some((t) => t.role === 'user' && t.content.trim() !== '')) {
      issues.add('empty-prompt', field, `"${field}" has no user message with text`);
      return null;
    }
    return conv;
  }
  issues.add('wrong-type', field, `"${field}" should be a string or a list of messages, got ${describeType(v)}`);
  return null;
}

/**
 * A continuation (chosen / rejected / response / completion): a reply string, a JSON call, or a list
 * of messages. `strict: false` (rejected sides) keeps undecodable calls verbatim instead of failing.
 */
function readContinuation(o: Record<string, unknown>, field: string, issues: Issues, opts: { required: boolean; strict: boolean }): Turn[] | null {
  const v = o[field];
  if (v === undefined || v === null) {
    if (opts.required) issues.add('missing-field', field, `"${field}" is missing`);
    return null;
  }
  if (Array.isArray(v) && v.length > 0 && v.every((m) => isObject(m) && 'role' in m)) {
    const before = issues.callSites.length;
    const conv = readMessages(v, field, issues);
    if (!opts.strict) issues.callSites.length = before; // rejected calls may be wrong on purpose
    return conv ? conv.turns : null;
  }
  const before = issues.callSites.length;
  const turn = readReply(v, field, issues, opts.strict);
  if (!opts.strict) issues.callSites.length = before;
  return turn ? [turn] : null;
}

/** An assistant reply given as text or as a JSON call value. */
function readReply(v: unknown, field: string, issues: Issues, strict: boolean): AssistantTurn | null {
  if (typeof v === 'string' && v.trim() === '') {
    issues.add('missing-field', field, `"${field}" is empty`);
    return null;
  }
  const decoded: DecodedReply =
    typeof v === 'string' ? decodeReply(v) : isObject(v) || Array.isArray(v) ? callsFromJson(v) : { error: `should be a string or a JSON call, got ${describeType(v)}` };
  if ('error' in decoded) {
    if (!strict && typeof v === 'string') return { role: 'assistant', calls: [], unparsed: v };
    issues.add(typeof v === 'string' || isObject(v) || Array.isArray(v) ? 'bad-call' : 'wrong-type', field, `"${field}" ${decoded.error}`);
    return null;
  }
  decoded.calls.forEach((call, i) => issues.callSites.push({ field: decoded.calls.length > 1 ? `${field}[${i}]` : field, call }));
  const turn: AssistantTurn = { role: 'assistant', calls: decoded.calls };
  if ('content' in decoded && decoded.content) turn.content = decoded.content;
  return turn;
}

/** TRL / OpenAI messages: system, user, assistant (content and/or tool_calls), tool results. */
function readMessages(v: unknown, field: string, issues: Issues): Conversation | null {
  if (v === undefined || v === null) {
    issues.add('missing-field', field, `"${field}" is missing`);
    return null;
  }
  if (!Array.isArray(v)) {
    issues.add('wrong-type', field, `"${field}" should be a list of messages, got ${describeType(v)}`);
    return null;
  }
  if (v.length === 0) {
    issues.add('empty-prompt', field, `"${field}" is an empty list`);
    return null;
  }
  const conv: Conversation = { turns: [] };
  const errorsBefore = issues.problems.length;
  v.forEach((m, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(m)) {
      issues.add('wrong-type', at, `each message should be an object, got ${describeType(m)}`);
      return;
    }
    const role = m.role;
    if (role === undefined) return issues.add('missing-field', `${at}.role`, '"role" is missing');
    if (role === 'system') {
      const text = readContent(m, at, issues, true);
      if (text !== null) conv.system = conv.system ? `${conv.system}\n${text}` : text;
    } else if (role === 'user') {
      const text = readContent(m, at, issues, true);
      if (text !== null) conv.turns.push({ role: 'user', content: text });
    } else if (role === 'assistant') {
      const turn = readAssistantMessage(m, at, issues);
      if (turn) conv.turns.push(turn);
    } else if (role === 'tool') {
      const result = readToolMessage(m, at, issues);
      if (!result) return;
      const last = conv.turns[conv.turns.length - 1];
      if (last?.role === 'tool') last.results.push(result);
      else conv.turns.push({ role: 'tool', results: [result] });
    } else {
      issues.add('wrong-type', `${at}.role`, `"role" should be system, user, assistant or tool, got ${describeType(role)}`);
    }
  });
  return issues.problems.length > errorsBefore ? null : conv;
}

/** Message content: a string, or a list of `{type:"text", text}` parts (joined). */
function readContent(m: Record<string, unknown>, at: string, issues: Issues, required: boolean): string | null {
  const c = m.content;
  if (c === undefined || c === null) {
    if (required) issues.add('missing-field', `${at}.content`, '"content" is missing');
    return required ? null : '';
  }
  if (typeof c === 'string') return c;
  if (Array.isArray(c) && c.every((p) => isObject(p) && typeof p.text === 'string')) return c.map((p) => (p as { text: string }).text).join('');
  issues.add('wrong-type', `${at}.content`, `"content" should be a string, got ${describeType(c)}`);
  return null;
}

function readAssistantMessage(m: Record<string, unknown>, at: string, issues: Issues): AssistantTurn | null {
  const rawCalls = m.tool_calls;
  const text = readContent(m, at, issues, rawCalls === undefined || rawCalls === null);
  if (text === null) return null;
  const turn: AssistantTurn = { role: 'assistant', calls: [] };
  if (rawCalls !== undefined && rawCalls !== null) {
    if (!Array.isArray(rawCalls)) {
      issues.add('wrong-type', `${at}.tool_calls`, `"tool_calls" should be a list, got ${describeType(rawCalls)}`);
      return null;
    }
    for (let j = 0; j < rawCalls.length; j++) {
      const cAt = `${at}.tool_calls[${j}]`;
      const raw = rawCalls[j];
      if (!isObject(raw)) {
        issues.add('wrong-type', cAt, `a tool call should be an object, got ${describeType(raw)}`);
        return null;
      }
      const fn = isObject(raw.function) ? raw.function : raw;
      const call = callFromObject(fn, isObject(raw.function) ? `${cAt}.function` : cAt);
      if (typeof call === 'string') {
        issues.add(/missing/.test(call) ? 'missing-field' : call.includes('not valid JSON') ? 'bad-call' : 'wrong-type', `${cAt}`, call);
        return null;
      }
      turn.calls.push(call);
      issues.callSites.push({ field: `${cAt}.function.arguments`, call });
    }
  }
  if (text.trim() !== '') turn.content = text;
  if (turn.calls.length === 0 && !turn.content) {
    issues.add('missing-field', `${at}.content`, 'assistant message has neither text nor tool_calls');
    return null;
  }
  return turn;
}

function readToolMessage(m: Record<string, unknown>, at: string, issues: Issues): ToolResult | null {
  const c = m.content;
  if (c === undefined || c === null) {
    issues.add('missing-field', `${at}.content`, 'tool result "content" is missing');
    return null;
  }
  const result: ToolResult = { content: typeof c === 'string' ? c : JSON.stringify(c) };
  if (typeof m.name === 'string') result.name = m.name;
  if (typeof m.tool_call_id === 'string') result.callId = m.tool_call_id;
  return result;
}

/** `tools`: OpenAI `{type:"function", function:{...}}` entries, or bare `{name, parameters}` ones. */
function readTools(v: unknown, issues: Issues): ToolDefinition[] | undefined {
  if (!Array.isArray(v)) {
    issues.add('wrong-type', 'tools', `"tools" should be a list of tool definitions, got ${describeType(v)}`);
    return undefined;
  }
  const out: ToolDefinition[] = [];
  v.forEach((t, i) => {
    const fn = isObject(t) && isObject(t.function) ? t.function : t;
    if (!isObject(fn) || typeof fn.name !== 'string' || fn.name === '') {
      issues.add('wrong-type', `tools[${i}]`, 'a tool needs {"type":"function","function":{"name", "parameters"}}');
      return;
    }
    const parameters = isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} };
    out.push({
      type: 'function',
      function: { name: fn.name, ...(typeof fn.description === 'string' ? { description: fn.description } : {}), parameters },
    });
  });
  return out;
}

/** Hub datasets often store `tools` (and xLAM `answers`) as a JSON string: read it as the value it holds. */
function parseIfJsonText(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v; // reported by the reader as a wrong type
  }
}

/**
 * ShareGPT `conversations: [{from, value}]` (Hermes function calling, ToolACE, ...): human/user,
 * gpt/assistant (calls as <tool_call> blocks, JSON or call strings), system, and tool results
 * (tool / observation / function_response); `function_call` entries carry a JSON call.
 */
function readShareGpt(v: unknown, issues: Issues): Conversation | null {
  if (!Array.isArray(v)) {
    issues.add(v === undefined ? 'missing-field' : 'wrong-type', 'conversations', `"conversations" should be a list of {"from", "value"} entries, got ${describeType(v)}`);
    return null;
  }
  const conv: Conversation = { turns: [] };
  const before = issues.problems.length;
  v.forEach((m, i) => {
    const at = `conversations[${i}]`;
    if (!isObject(m) || typeof m.from !== 'string') return issues.add('wrong-type', at, 'each entry should be {"from": "...", "value": "..."}');
    const value = typeof m.value === 'string' ? m.value : m.value === undefined ? undefined : JSON.stringify(m.value);
    if (value === undefined) return issues.add('missing-field', `${at}.value`, '"value" is missing');
    const from = m.from.toLowerCase();
    if (from === 'system') conv.system = conv.system ? `${conv.system}\n${value}` : value;
    else if (from === 'human' || from === 'user') conv.turns.push({ role: 'user', content: value });
    else if (from === 'gpt' || from === 'assistant' || from === 'function_call') {
      const turn = readReply(value, `${at}.value`, issues, true);
      if (turn) conv.turns.push(turn);
    } else if (from === 'tool' || from === 'observation' || from === 'function_response' || from === 'ipython') {
      const last = conv.turns[conv.turns.length - 1];
      if (last?.role === 'tool') last.results.push({ content: value });
      else conv.turns.push({ role: 'tool', results: [{ content: value }] });
    } else issues.add('wrong-type', `${at}.from`, `"from" should be human, gpt, system or tool/observation, got ${describeType(m.from)}`);
  });
  return issues.problems.length > before ? null : conv;
}

/** xLAM (Salesforce function calling): `query`, `tools` and `answers` (JSON strings), BFCL-style parameter maps. */
function normaliseXlam(o: Record<string, unknown>, issues: Issues): DatasetExample | null {
  const query = issues.str(o, 'query', true);
  const answers = parseIfJsonText(o.answers);
  const rawTools = parseIfJsonText(o.tools);
  if (query === undefined) return null;
  if (query.trim() === '') {
    issues.add('empty-prompt', 'query', '"query" is empty');
    return null;
  }
  if (!Array.isArray(answers)) {
    issues.add('wrong-type', 'answers', `"answers" should be a list of {"name", "arguments"} (or its JSON text), got ${describeType(o.answers)}`);
    return null;
  }
  const reply = answers.length === 0 ? null : readReply(answers, 'answers', issues, true);
  if (answers.length > 0 && !reply) return null;
  let tools: ToolDefinition[] | undefined;
  if (rawTools !== undefined) {
    if (!Array.isArray(rawTools)) {
      issues.add('wrong-type', 'tools', `"tools" should be a list of tools (or its JSON text), got ${describeType(o.tools)}`);
      return null;
    }
    tools = readTools(rawTools.map(xlamToolToSchema), issues);
  }
  const turns: Turn[] = [{ role: 'user', content: query }];
  if (reply) turns.push(reply);
  return { kind: 'sft', line: issues.line, conversation: { ...(tools ? { tools } : {}), turns } };
}

/** xLAM parameters `{name: {type: "str, optional", description, default}}` -> a JSON Schema object. */
function xlamToolToSchema(t: unknown): unknown {
  if (!isObject(t) || !isObject(t.parameters) || t.parameters.type === 'object') return t;
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, spec] of Object.entries(t.parameters)) {
    const p = isObject(spec) ? spec : {};
    const typeText = typeof p.type === 'string' ? p.type : '';
    const optional = /optional/i.test(typeText) || 'default' in p;
    const base = typeText.replace(/,?\s*optional/i, '').trim().toLowerCase();
    const type = /^(list|tuple|array)/.test(base) ? 'array' : /^(dict|object)/.test(base) ? 'object' : { str: 'string', string: 'string', int: 'integer', integer: 'integer', float: 'number', number: 'number', bool: 'boolean', boolean: 'boolean' }[base];
    properties[name] = { ...(type ? { type } : {}), ...(typeof p.description === 'string' ? { description: p.description } : {}) };
    if (!optional) required.push(name);
  }
  return { ...t, parameters: { type: 'object', properties, required } };
}
