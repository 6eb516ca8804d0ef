// Export panel state (runes class): which run, which datasets (DataPick), and the last folder the worker zipped (ZipExport).
import { RunStore } from '../../store/runs.ts';
import { exportUnsupported } from '../../export/run.ts';
import type { RunRecord } from '../../train/metrics.ts';
import type { ExportRunTarget } from '../../worker/export-session.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { DataPick } from './data-pick.svelte.ts';
import { ZipExport } from './zip-export.svelte.ts';

export const TARGETS: { target: ExportRunTarget; label: string; what: string }[] = [
  { target: 'trl', label: 'TRL + accelerate', what: 'datasets in TRL formats, the training script with the run\'s settings, ZeRO-2/3 configs, the reward and tools in Python' },
  { target: 'verl', label: 'verl', what: 'parquet datasets, run_verl.sh with Hydra overrides, the reward function and tool classes, multi-turn rollouts' },
  { target: 'onnx', label: 'ONNX (transformers.js)', what: 'onnx/model.onnx with the adapter merged, config and tokenizer files with the run\'s chat template' },
];

export class ExportState {
  runs = $state<RunRecord[]>([]);
  runId = $state<string | null>(null);
  data = new DataPick();
  zip = new ZipExport<ExportRunTarget, { step: number }>((ev) => (ev.type === 'export-phase' && ev.runId === this.runId ? ev.phase : null));

  run = $derived(this.runs.find((r) => r.id === this.runId) ?? null);
  /** Per target, why the chosen run's method cannot go there (null: it can), from the method's name. */
  unsupported = $derived(Object.fromEntries(TARGETS.map((t) => [t.target, this.run ? exportUnsupported(this.run.method, t.target) : null])) as Record<ExportRunTarget, string | null>);

  async init(): Promise<void> {
    this.zip.listen();
    this.runs = await new RunStore().list();
    await this.data.load();
    if (!this.runId && this.runs.length) this.runId = this.runs[0].id;
  }

  dispose(): void {
    this.zip.dispose();
  }

  /** Asks the worker for the run's folder as a zip and downloads it. */
  async exportAs(target: ExportRunTarget): Promise<void> {
    const run = this.run;
    if (!run) return;
    const { train, eval: evalSrc } = this.data.sources(run.config);
    await this.zip.run(target, (engine) => engine.request({ type: 'export-run', runId: run.id, target, train: $state.snapshot(train), eval: $state.snapshot(evalSrc), hub: $state.snapshot(loadHubSettings()) }));
  }
}
