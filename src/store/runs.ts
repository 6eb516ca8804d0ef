// Training runs in IndexedDB: the run record, its metric rows and its log, so charts survive a reload.
import { createStore, del, get, set, update, type UseStore } from 'idb-keyval';
import type { EvalMetrics, RunRecord, StepMetrics } from '../train/metrics.ts';
import type { CompletionRow } from '../train/rollout.ts';
import { listByCreated } from './idb.ts';

/** Completions-table rows kept per RL run: the newest rollouts (whole rollouts, at least this many rows). */
export const KEPT_COMPLETION_ROWS = 256;

export class RunStore {
  private store: UseStore;

  constructor(dbName = 'tool-use-studio-runs') {
    this.store = createStore(dbName, 'runs');
  }

  async put(run: RunRecord): Promise<void> {
    await set(`run:${run.id}`, run, this.store);
  }

  async get(id: string): Promise<RunRecord | null> {
    return ((await get(`run:${id}`, this.store)) as RunRecord | undefined) ?? null;
  }

  /** Newest first. */
  list(): Promise<RunRecord[]> {
    return listByCreated<RunRecord>(this.store, 'run:', 'newest');
  }

  /** Appends rows; rows at or after the first new step are replaced (a resumed run repeats no steps). */
  async appendMetrics(id: string, rows: StepMetrics[]): Promise<void> {
    if (!rows.length) return;
    await update(`metrics:${id}`, (old: StepMetrics[] | undefined) => [...(old ?? []).filter((r) => r.step < rows[0].step), ...rows], this.store);
  }

  async metrics(id: string): Promise<StepMetrics[]> {
    return ((await get(`metrics:${id}`, this.store)) as StepMetrics[] | undefined) ?? [];
  }

  async appendEval(id: string, row: EvalMetrics): Promise<void> {
    await update(`evals:${id}`, (old: EvalMetrics[] | undefined) => [...(old ?? []).filter((r) => r.step !== row.step), row], this.store);
  }

  async evals(id: string): Promise<EvalMetrics[]> {
    return ((await get(`evals:${id}`, this.store)) as EvalMetrics[] | undefined) ?? [];
  }

  async appendLog(id: string, lines: string[]): Promise<void> {
    await update(`log:${id}`, (old: string[] | undefined) => [...(old ?? []), ...lines].slice(-2000), this.store);
  }

  async log(id: string): Promise<string[]> {
    return ((await get(`log:${id}`, this.store)) as string[] | undefined) ?? [];
  }

  /**
   * Appends an RL rollout's completions; rows at or after its step are replaced (a resumed run redoes that rollout).
   * Keeps the newest KEPT_COMPLETION_ROWS rows, always the whole newest rollout.
   */
  async appendCompletions(id: string, rows: CompletionRow[]): Promise<void> {
    if (!rows.length) return;
    await update(`completions:${id}`, (old: CompletionRow[] | undefined) => {
      const kept = (old ?? []).filter((r) => r.step < rows[0].step);
      return [...kept.slice(Math.max(0, kept.length + rows.length - KEPT_COMPLETION_ROWS)), ...rows];
    }, this.store);
  }

  async completions(id: string): Promise<CompletionRow[]> {
    return ((await get(`completions:${id}`, this.store)) as CompletionRow[] | undefined) ?? [];
  }

  async remove(id: string): Promise<void> {
    for (const k of ['run', 'metrics', 'evals', 'log', 'completions']) await del(`${k}:${id}`, this.store);
  }
}
