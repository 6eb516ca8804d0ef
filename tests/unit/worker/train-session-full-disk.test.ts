// A studio training run (src/worker/train-session.ts) when the disk fills up after its first checkpoint, on a real
// in-memory IndexedDB and real WebGPU: from then on every IndexedDB write is refused with QuotaExceededError (the
// checkpoint at step 4, and the run's own record, metrics and log, as on a full disk and as Chromium does under a
// DevTools quota override). The run must end paused at its step-2 checkpoint with the storage message, and the UI
// must hear it: before the fix the refused metrics write failed the run, the refused status write then escaped,
// and no status event ever came (tests/e2e/reliability-disk.spec.ts showed the run "running" for good).
import 'fake-indexeddb/auto';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { IdbCheckpointStore } from '../../../src/store/checkpoints.ts';
import { DEFAULT_HUB } from '../../../src/model/hub.ts';
import type { EngineEvent, EngineRequest } from '../../../src/worker/protocol.ts';
import { TrainSessions } from '../../../src/worker/train-session.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

// The worker fetches the files the studio serves (model, tools, sample data) from its own origin: here, public/.
const ORIGIN = 'http://studio.test/';
(globalThis as { self?: unknown }).self ??= { location: { href: ORIGIN } };
const realFetch = globalThis.fetch;
globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
  const url = String(input instanceof Request ? input.url : input);
  if (!url.startsWith(ORIGIN)) return realFetch(input, init);
  try {
    return new Response(await readFile(`public/${decodeURIComponent(url.slice(ORIGIN.length))}`));
  } catch {
    return new Response('not found', { status: 404 });
  }
}) as typeof fetch;

/** While `full` is set, every IndexedDB put throws as Chromium's does on a full disk. */
let full = false;
const put = IDBObjectStore.prototype.put;
IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
  if (full) throw new DOMException('', 'QuotaExceededError');
  return put.apply(this, args);
} as IDBObjectStore['put'];
afterEach(() => {
  full = false;
});

const CONFIG = {
  model_name: 'builtin:tiny', train_file: ['data/sft_data.jsonl'], eval_file: '', finetune: 'full', max_steps: 4, batch_size: 1,
  max_seq_len: 256, learning_rate: 0.003, warmup_steps: 1, logging_steps: 1, save_every: 2, save_total_limit: 2,
};

/** Starts a run and waits until the session has let go of it; returns every event it posted. */
async function train(sessions: TrainSessions, events: EngineEvent[], runId: string, resume: boolean): Promise<EngineEvent[]> {
  const from = events.length;
  const req = {
    type: 'train-start', id: 1, runId, name: runId, method: 'sft', config: CONFIG, train: { kind: 'sample', files: CONFIG.train_file }, eval: null, resume, hub: DEFAULT_HUB,
  } as unknown as Extract<EngineRequest, { type: 'train-start' }>;
  sessions.start(req);
  while (sessions.isRunning(runId)) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 50)); // a last event posted as the session lets go
  return events.slice(from);
}
const statusOf = (evs: EngineEvent[]) => evs.filter((e) => e.type === 'train-status').map((e) => e.type === 'train-status' && { status: e.status, step: e.step, error: e.error });
const logOf = (evs: EngineEvent[]) => evs.flatMap((e) => (e.type === 'train-log' ? [e.line] : []));

// The session's fault handling, not the kernels, is under test: one adapter is enough.
describe.each(testAdapters().slice(0, 1))('a full disk during a studio training run (%s)', (adapter) => {
  it('pauses at the last checkpoint with the storage message, tells the UI, and resumes once there is room', { timeout: 300_000 }, async () => {
    const events: EngineEvent[] = [];
    const sessions = new TrainSessions(() => gpuFor(adapter), (e) => {
      events.push(e);
      // The disk fills up as soon as the first checkpoint is stored.
      if (e.type === 'train-log' && e.line === 'checkpoint saved at step 2') full = true;
    });
    const runId = `full-disk-${adapter}`;
    const first = await train(sessions, events, runId, false);
    expect(logOf(first)).toContain('checkpoint saved at step 2');
    expect(first.filter((e) => e.type === 'train-step').map((e) => e.type === 'train-step' && e.metrics.step)).toEqual([1, 2, 3, 4]);
    const statuses = statusOf(first);
    expect(statuses.map((s) => s && s.status)).toEqual(['running', 'paused']);
    const paused = statuses[1] as { status: string; step: number; error: string };
    expect(paused.step).toBe(2);
    expect(paused.error).toMatch(new RegExp(`^Not enough browser storage to save the checkpoint at step 4 of run ${runId}: it needs about \\d+\\.\\d MB\\. The previous checkpoint is intact`));
    expect(paused.error).toContain('The run is paused at its last checkpoint (step 2): make room, then Resume continues from there.');
    // The refused bookkeeping writes are said (once), not fatal.
    expect(logOf(first).filter((l) => l.startsWith('could not store '))).toHaveLength(1);
    expect(logOf(first).find((l) => l.startsWith('could not store '))).toMatch(/in this browser \(the browser's storage is full \(QuotaExceededError\)\)/);
    expect(logOf(first).some((l) => l.startsWith('failed'))).toBe(false);

    // The step-2 checkpoint is intact; with room again, Resume continues from it to the end.
    full = false;
    const ckpts = new IdbCheckpointStore();
    expect((await ckpts.list(runId)).map((c) => c.step)).toEqual([2]);
    const second = await train(sessions, events, runId, true);
    expect(logOf(second)).toContain('resumed from checkpoint at step 2 (epoch 0, batch 2)');
    expect(statusOf(second).map((s) => s && s.status)).toEqual(['running', 'done']);
    expect(second.filter((e) => e.type === 'train-step').map((e) => e.type === 'train-step' && e.metrics.step)).toEqual([3, 4]);
    expect((await ckpts.list(runId)).map((c) => c.step)).toEqual([2, 4]);
  });
});
