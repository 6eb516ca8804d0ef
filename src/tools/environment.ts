// What "running a tool call" means to the rest of the system: a world with state that calls change,
// results or typed errors, and a snapshot of the state so two chains can be compared by where they end.

import type { ToolCall } from './types.ts';

export type ToolErrorType =
  | 'unknown_tool' // no executor for this name
  | 'invalid_arguments' // the arguments break the tool's schema
  | 'not_found' // an id or name that the world does not know
  | 'conflict' // the action clashes with the state (room taken, order shipped)
  | 'insufficient_balance' // not enough leave days
  | 'invalid_request'; // schema-valid but meaningless (end before start, ...)

export interface ToolError {
  type: ToolErrorType;
  message: string;
}

export type ToolResult = { ok: true; result: unknown } | { ok: false; error: ToolError };

/** A stateful world that executes calls. Deterministic: the same calls give the same results and state. */
export interface ToolWorld {
  execute(call: ToolCall): ToolResult;
  /** The mutable state as plain JSON with a stable key order, for comparing final states. */
  snapshot(): unknown;
}

/** A factory of fresh worlds plus the names it can execute. */
export interface ToolEnvironment {
  readonly toolNames: ReadonlySet<string>;
  create(): ToolWorld;
}

/** Thrown by executors; the world turns it into a `{ok: false}` result. */
export class ToolExecutionError extends Error {
  constructor(readonly type: ToolErrorType, message: string) {
    super(message);
    this.name = 'ToolExecutionError';
  }
}

/** JSON text with object keys sorted at every level: equal states give equal strings. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A result as the content of a tool message: the result's JSON, or `{"error": {type, message}}`. */
export function toolResultContent(r: ToolResult): string {
  return r.ok ? JSON.stringify(r.result) : JSON.stringify({ error: { type: r.error.type, message: r.error.message } });
}
