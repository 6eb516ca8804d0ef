// Runs a tool set's calls where the user chose, from the page (never in the engine worker, and never as a loop: the
// episode runner in the worker asks for one call at a time): JavaScript handlers in the no-network sandbox, or an
// HTTP endpoint restricted to the listed origins. The mock world runs in the engine worker itself; manual calls are
// answered by the person (the caller shows a form).
import { executeHttp } from '../tools/http-executor.ts';
import type { ExecutorConfig } from '../tools/executor-choice.ts';
import type { ToolResult } from '../tools/environment.ts';
import type { OperationBinding } from '../tools/openapi.ts';
import type { ToolCall } from '../tools/types.ts';
import { ToolSandbox } from './tool-sandbox.ts';

export class PageExecutor {
  private sandbox: ToolSandbox | null = null;

  constructor(readonly config: ExecutorConfig, private readonly bindings?: readonly OperationBinding[]) {
    // Refuses bad handler code (import) at once, before any call.
    if (config.kind === 'javascript') this.sandbox = new ToolSandbox(config.code);
  }

  /** Whether this executor needs a person to type results. */
  get manual(): boolean {
    return this.config.kind === 'manual';
  }

  async execute(call: ToolCall): Promise<ToolResult> {
    const c = this.config;
    if (c.kind === 'javascript') return this.sandbox!.execute(call);
    if (c.kind === 'http') return executeHttp(call, { url: c.url, allowedOrigins: c.allowedOrigins }, this.bindings);
    return { ok: false, error: { type: 'invalid_request', message: `the ${c.kind} executor does not run in the page` } };
  }

  dispose(): void {
    this.sandbox?.dispose();
    this.sandbox = null;
  }
}
