// The typed message protocol between the studio UI and the engine worker (the only way the UI reaches the GPU).
// Every request carries an id; the worker answers it with exactly one reply of the same id (a result or
// an error). Events (no id) report what happens on their own: device loss, progress, logs.
import type { GpuReport } from '../gpu/gpu-report.ts';
import type { SelfTestResult } from '../gpu/selftest.ts';

/** An error as it crosses the worker boundary: the name tells the UI which explanation to show. */
export interface WireError {
  name: string;
  message: string;
  /** Steps the user can take (e.g. how to enable WebGPU). */
  help?: string[];
}

// ---- UI -> worker ----------------------------------------------------------------------------------

export type EngineRequest =
  | { type: 'init'; id: number }
  | { type: 'selftest'; id: number; n: number; seed: number };

// ---- worker -> UI ----------------------------------------------------------------------------------

export type EngineReply =
  | { type: 'init-ok'; id: number; report: GpuReport }
  | { type: 'selftest-ok'; id: number; result: SelfTestResult }
  | { type: 'error'; id: number; error: WireError };

export type EngineEvent =
  | { type: 'device-lost'; error: WireError }
  | { type: 'gpu-error'; message: string };

export type EngineMessage = EngineReply | EngineEvent;

/** Request variant by its type name. */
export type RequestOf<T extends EngineRequest['type']> = Extract<EngineRequest, { type: T }>;

/** By convention a request of type "x" succeeds with a reply of type "x-ok". */
export type ReplyOf<T extends EngineRequest['type']> = Extract<EngineReply, { type: `${T}-ok` }>;

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) {
    const help = (e as Error & { help?: unknown }).help;
    return { name: e.name, message: e.message, help: Array.isArray(help) ? (help as string[]) : undefined };
  }
  return { name: 'Error', message: String(e) };
}
