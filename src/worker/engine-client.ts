// UI-side handle on the engine worker: typed request/reply over postMessage, events to listeners.
import type { EngineEvent, EngineMessage, EngineRequest, ReplyOf, RequestOf, WireError } from './protocol.ts';

/** An error that came back from the worker, keeping its name and help lines. */
export class EngineError extends Error {
  readonly help?: string[];
  constructor(wire: WireError) {
    super(wire.message);
    this.name = wire.name;
    this.help = wire.help;
  }
}

export class EngineClient {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, { resolve: (m: EngineMessage) => void; reject: (e: Error) => void }>();
  private listeners = new Set<(e: EngineEvent) => void>();

  constructor() {
    this.worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (ev: MessageEvent<EngineMessage>) => this.receive(ev.data);
    this.worker.onerror = (ev) => {
      const err = new Error(`The engine worker crashed: ${ev.message || 'unknown error'}. Reload the page.`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  request<T extends EngineRequest['type']>(req: Omit<RequestOf<T>, 'id'> & { type: T }): Promise<ReplyOf<T>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (m: EngineMessage) => void, reject });
      this.worker.postMessage({ ...req, id });
    });
  }

  onEvent(fn: (e: EngineEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private receive(msg: EngineMessage): void {
    if ('id' in msg) {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'error') p.reject(new EngineError(msg.error));
      else p.resolve(msg);
    } else {
      for (const fn of this.listeners) fn(msg);
    }
  }
}
