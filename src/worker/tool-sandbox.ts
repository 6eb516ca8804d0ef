// Runs a user's JavaScript tool handlers in a Worker without network access, one call at a time.
// The Worker is created by the page from a Blob (the page's CSP allows `worker-src blob:`), so it inherits the page's
// Content-Security-Policy: no eval or new Function, scripts only from the page's origin. Its script is the prelude
// (tool-sandbox-prelude.js: removes fetch, XMLHttpRequest, WebSocket, importScripts, caches, indexedDB, ... from the
// global object and its prototypes before user code runs) followed by the user's code. Code that uses `import`
// (a dynamic import() would be the one way left to ask a server for anything) is refused before a Worker is made.
// A call that does not answer within the timeout stops the Worker (a loop cannot hang the chat); the next call starts
// a fresh one (handler state kept in variables is then lost, and the result says so).
import type { ToolResult } from '../tools/environment.ts';
import type { ToolCall } from '../tools/types.ts';
import PRELUDE from './tool-sandbox-prelude.js?raw';

export class SandboxCodeError extends Error {
  override name = 'SandboxCodeError';
}

/** Why this handler code cannot run in the sandbox, or null. */
export function checkHandlerCode(code: string): string | null {
  if (/\bimport\b/.test(code)) return 'handler code cannot use import or import(): the sandbox has no network access, so put everything the handlers need in this code';
  return null;
}

const PRELUDE_LINES = PRELUDE.split('\n').length;

interface Pending {
  resolve: (r: ToolResult) => void;
  timer: ReturnType<typeof setTimeout>;
}

export class ToolSandbox {
  private worker: Worker | null = null;
  private url: string | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** Set when the code failed to load (a syntax error, a throw at the top level). */
  private loadError: string | null = null;

  constructor(private readonly code: string, private readonly timeoutMs = 3000) {
    const bad = checkHandlerCode(code);
    if (bad) throw new SandboxCodeError(bad);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    this.loadError = null;
    const source = `${PRELUDE}\n${this.code}\n;`;
    this.url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const w = new Worker(this.url);
    w.onmessage = (ev: MessageEvent<{ id: number; ok: boolean; json?: string; message?: string }>) => {
      const p = this.pending.get(ev.data.id);
      if (!p) return;
      this.pending.delete(ev.data.id);
      clearTimeout(p.timer);
      if (ev.data.ok) {
        try {
          p.resolve({ ok: true, result: JSON.parse(ev.data.json ?? 'null') });
        } catch {
          p.resolve({ ok: false, error: { type: 'invalid_request', message: 'the handler returned something that is not JSON' } });
        }
      } else p.resolve({ ok: false, error: { type: 'invalid_request', message: `the handler threw: ${ev.data.message}` } });
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      const line = ev.lineno ? ` (line ${Math.max(1, ev.lineno - PRELUDE_LINES)} of the handler code)` : '';
      this.loadError = `the handler code does not run: ${ev.message}${line}`;
      this.failAll(this.loadError);
      this.stop();
    };
    this.worker = w;
    return w;
  }

  private failAll(message: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: { type: 'invalid_request', message } });
    }
    this.pending.clear();
  }

  execute(call: ToolCall): Promise<ToolResult> {
    if (this.loadError && !this.worker) {
      // Report the load error once more, then try again on the next call (the user may have fixed nothing, but a
      // transient error should not stick).
      const message = this.loadError;
      this.loadError = null;
      return Promise.resolve({ ok: false, error: { type: 'invalid_request', message } });
    }
    const w = this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.stop();
        resolve({ ok: false, error: { type: 'invalid_request', message: `the handler did not answer within ${this.timeoutMs / 1000} s and was stopped (the next call starts it afresh)` } });
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
      w.postMessage({ id, name: call.name, args: call.arguments });
    });
  }

  private stop(): void {
    this.worker?.terminate();
    this.worker = null;
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = null;
  }

  dispose(): void {
    this.failAll('the sandbox was closed');
    this.stop();
  }
}
