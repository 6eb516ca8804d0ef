// The Train page's runs list (src/ui/train/training.svelte.ts) on a real in-memory IndexedDB: how a run ended, as the
// engine worker said it in its train-status event, wins over the stored run record, which a full disk may have kept
// the worker from updating (the record still says "running"). Before, the list showed such a run as interrupted,
// without the storage message that says what to do.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../../src/store/runs.ts';
import type { RunRecord } from '../../../src/train/metrics.ts';
import { Training } from '../../../src/ui/train/training.svelte.ts';
import type { EngineEvent } from '../../../src/worker/protocol.ts';

const stored = (id: string, over: Partial<RunRecord> = {}): RunRecord => ({
  id, method: 'sft', name: id, config: {}, status: 'running', createdAt: 1, updatedAt: 1, totalSteps: 6, step: 0, data: 'sft_data.jsonl', ...over,
});
const hear = (t: Training, ev: EngineEvent) => (t as unknown as { onEvent(ev: EngineEvent): void }).onEvent(ev);

describe('Training runs list', () => {
  it("shows a run's status, step and error from the worker's event when its stored record is stale", async () => {
    const store = new RunStore();
    await store.put(stored('run-full-disk'));
    const t = new Training();
    const error = 'Not enough browser storage to save the checkpoint at step 4 of run run-full-disk: it needs about 3.4 MB. The run is paused at its last checkpoint (step 2): make room, then Resume continues from there.';
    hear(t, { type: 'train-status', runId: 'run-full-disk', status: 'paused', step: 2, error });
    await t.refreshRuns();
    expect(t.runs.map((r) => [r.status, r.step, r.error])).toEqual([['paused', 2, error]]);

    // Resumed: "running" clears the error and leaves the step to the stored record, which moves on as it trains.
    t.activeRunId = 'run-full-disk';
    hear(t, { type: 'train-status', runId: 'run-full-disk', status: 'running', step: 2 });
    await store.put(stored('run-full-disk', { status: 'running', step: 5 }));
    await t.refreshRuns();
    expect(t.runs.map((r) => [r.status, r.step, r.error])).toEqual([['running', 5, undefined]]);
  });

  it('still shows a run stored as running that this tab is not training as interrupted', async () => {
    const store = new RunStore('tool-use-studio-runs');
    await store.put(stored('run-crashed-tab', { createdAt: 0 }));
    const t = new Training();
    await t.refreshRuns();
    expect(t.runs.find((r) => r.id === 'run-crashed-tab')).toMatchObject({ status: 'paused', error: 'interrupted: resume continues from the last checkpoint' });
  });
});
