// Model evaluations in IndexedDB, whole (report, every example's outputs, settings), so the Evaluate page's reports
// and comparisons survive a reload. An evaluation of a run's checkpoint carries the run's id.
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { ModelEvaluation } from '../eval/model-evaluation.ts';
import { freeStorageBytes, isQuotaError, listByCreated, StorageQuotaError, storageQuotaMessage } from './idb.ts';

const key = (id: string) => `eval:${id}`;

export class EvaluationStore {
  private store: UseStore;

  constructor(dbName = 'tool-use-studio-evaluations') {
    this.store = createStore(dbName, 'evaluations');
  }

  async put(ev: ModelEvaluation): Promise<void> {
    try {
      await set(key(ev.id), ev, this.store);
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      throw new StorageQuotaError(storageQuotaMessage(`the evaluation of ${ev.model.label}`, JSON.stringify(ev).length, await freeStorageBytes(), 'The stored evaluations are intact.'));
    }
  }

  async get(id: string): Promise<ModelEvaluation | null> {
    return ((await get(key(id), this.store)) as ModelEvaluation | undefined) ?? null;
  }

  /** Newest first. */
  list(): Promise<ModelEvaluation[]> {
    return listByCreated<ModelEvaluation>(this.store, 'eval:', 'newest');
  }

  async forRun(runId: string): Promise<ModelEvaluation[]> {
    return (await this.list()).filter((e) => e.runId === runId);
  }

  async remove(id: string): Promise<void> {
    await del(key(id), this.store);
  }
}
