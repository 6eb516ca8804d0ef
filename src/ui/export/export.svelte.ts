// Export panel state (runes class): which run, which datasets, and the last folder the worker zipped.
import { DatasetStore, type DatasetRecord } from '../../store/datasets.ts';
import { RunStore } from '../../store/runs.ts';
import { exportUnsupported } from '../../export/run.ts';
import type { RunRecord } from '../../train/metrics.ts';
import type { ExportRunTarget } from '../../worker/export-session.ts';
import type { DataSource, EngineEvent } from '../../worker/protocol.ts';
import { downloadFile } from '../download.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { studio } from '../studio.svelte.ts';

/** The run's own sample files (its config's train_file / eval_file). */
export const RUN_FILES = '__run__';

export const TARGETS: { target: ExportRunTarget; label: string; what: string }[] = [
  { target: 'trl', label: 'TRL + accelerate', what: 'datasets in TRL formats, the training script with the run\'s settings, ZeRO-2/3 configs, the reward and tools in Python' },
  { target: 'verl', label: 'verl', what: 'parquet datasets, run_verl.sh with Hydra overrides, the reward function and tool classes, multi-turn rollouts' },
  { target: 'onnx', label: 'ONNX (transformers.js)', what: 'onnx/model.onnx with the adapter merged, config and tokenizer files with the run\'s chat template' },
];

export class ExportState {
  runs = $state<RunRecord[]>([]);
  runId = $state<string | null>(null);
  datasets = $state<DatasetRecord[]>([]);
  trainIds = $state<string[]>([RUN_FILES]);
  evalId = $state<string>(RUN_FILES);
  busy = $state<ExportRunTarget | null>(null);
  phase = $state<string | null>(null);
  error = $state<string | null>(null);
  last = $state<{ name: string; target: ExportRunTarget; paths: string[]; bytes: number; step: number } | null>(null);

  private unsubscribe: (() => void) | null = null;
  run = $derived(this.runs.find((r) => r.id === this.runId) ?? null);
  /** Per target, why the chosen run's method cannot go there (null: it can), from the method's name. */
  unsupported = $derived(Object.fromEntries(TARGETS.map((t) => [t.target, this.run ? exportUnsupported(this.run.method, t.target) : null])) as Record<ExportRunTarget, string | null>);

  async init(): Promise<void> {
    this.unsubscribe ??= studio.engine?.onEvent((ev) => this.onEvent(ev)) ?? null;
    this.runs = await new RunStore().list();
    this.datasets = await new DatasetStore().list();
    if (!this.runId && this.runs.length) this.runId = this.runs[0].id;
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private sources(run: RunRecord): { train: DataSource; eval: DataSource | null } {
    const c = run.config;
    const files = (k: string) => (Array.isArray(c[k]) ? (c[k] as string[]) : typeof c[k] === 'string' && c[k] ? [c[k] as string] : []);
    const stored = this.trainIds.filter((id) => id !== RUN_FILES);
    const train: DataSource = this.trainIds.includes(RUN_FILES) || stored.length === 0 ? { kind: 'sample', files: files('train_file') } : { kind: 'stored', ids: stored };
    const evalSrc: DataSource | null = this.evalId === '' ? null
      : this.evalId === RUN_FILES ? (files('eval_file').length ? { kind: 'sample', files: files('eval_file') } : null)
      : { kind: 'stored', ids: [this.evalId] };
    return { train, eval: evalSrc };
  }

  /** Asks the worker for the folder as a zip and downloads it. */
  async exportAs(target: ExportRunTarget): Promise<void> {
    const run = this.run;
    if (!run || !studio.engine) return;
    this.busy = target;
    this.error = null;
    this.phase = null;
    try {
      const { train, eval: evalSrc } = this.sources(run);
      const { name, zip, paths, step } = await studio.engine.request({ type: 'export-run', runId: run.id, target, train: $state.snapshot(train), eval: $state.snapshot(evalSrc), hub: $state.snapshot(loadHubSettings()) });
      downloadFile(name, zip as BlobPart, 'application/zip');
      this.last = { name, target, paths, bytes: zip.byteLength, step };
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = null;
      this.phase = null;
    }
  }

  private onEvent(ev: EngineEvent): void {
    if (ev.type === 'export-phase' && ev.runId === this.runId) this.phase = ev.phase;
  }
}
