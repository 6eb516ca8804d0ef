// Where a tool set's calls run in the chat: the mock world (the sample tools only), the user's JavaScript handlers in
// a sandbox without network (src/worker/tool-sandbox.ts), an HTTP endpoint the user lists (every other origin refused,
// src/tools/http-executor.ts), or a person typing each result.
import type { ToolDefinition } from './types.ts';

export type ExecutorConfig =
  | { kind: 'mock' }
  | { kind: 'javascript'; code: string }
  | { kind: 'http'; url: string; allowedOrigins: string[] }
  | { kind: 'manual' };

export type ExecutorKind = ExecutorConfig['kind'];

export const EXECUTOR_LABELS: Record<ExecutorKind, string> = {
  mock: 'mock world (sample tools)',
  javascript: 'JavaScript handlers (sandboxed, no network)',
  http: 'HTTP endpoint (listed origins only)',
  manual: 'manual (you type each result)',
};

/** Handler code to start from: one function per tool that returns its arguments back. */
export function handlerTemplate(tools: readonly ToolDefinition[]): string {
  const lines = [
    '// One function per tool: handlers.<name> = (args) => result (a JSON value, or a Promise of one).',
    '// Throw an Error to answer with an error. There is no network here: fetch and friends do not exist.',
  ];
  for (const t of tools) lines.push(`handlers[${JSON.stringify(t.function.name)}] = (args) => ({ ok: true, received: args });`);
  return lines.join('\n') + '\n';
}

export function defaultExecutor(file: string, tools: readonly ToolDefinition[]): ExecutorConfig {
  return file === 'enterprise_tools.json' ? { kind: 'mock' } : { kind: 'javascript', code: handlerTemplate(tools) };
}
