// State of the Evaluate page's model evaluation (runes class): which models (built-in tiny, a hub id, a folder
// dropped for this evaluation, an imported model, a run's checkpoint), which dataset (a sample held-out split, a stored dataset, a dropped file), which
// modes; the run in the engine worker with progress, ETA and cancel; the evaluations kept in IndexedDB, chosen
// for a report or a comparison, exported as JSON or as one HTML file, or imported from a file.
import { compareEvaluations, type Comparison } from '../../eval/compare.ts';
import { evaluationReportHtml } from '../../eval/html-report.ts';
import { evaluationFile, readEvaluationFile, type EvalMode, type ModelEvaluation } from '../../eval/model-evaluation.ts';
import { DatasetStore, type DatasetRecord } from '../../store/datasets.ts';
import { EvaluationStore } from '../../store/evaluations.ts';
import { RunStore } from '../../store/runs.ts';
import type { RunRecord } from '../../train/metrics.ts';
import type { EvalData } from '../../worker/eval-session.ts';
import type { ModelChoice } from '../../worker/model-source.ts';
import type { EngineEvent } from '../../worker/protocol.ts';
import { downloadFile } from '../download.ts';
import { imports } from '../imports/imports.svelte.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { studio } from '../studio.svelte.ts';

export interface ModelOption {
  key: string;
  label: string;
  choice: ModelChoice;
}

export const SAMPLE_SPLITS = [
  { file: 'data/eval_data.jsonl', label: 'Sample held-out split: single steps (eval_data.jsonl)' },
  { file: 'data/eval_chains.jsonl', label: 'Sample held-out split: multi-step chains (eval_chains.jsonl)' },
];

type Progress = Extract<EngineEvent, { type: 'eval-progress' }>;

export class ModelEvalState {
  runs = $state.raw<RunRecord[]>([]);
  datasets = $state.raw<DatasetRecord[]>([]);
  /** Hub ids and dropped folders the user added (the built-in model and the runs are always offered). */
  extra = $state.raw<ModelOption[]>([]);
  selectedModels = $state<string[]>(['builtin']);
  hubId = $state('');
  /** 'sample:<file>', 'stored:<id>' or 'file'. */
  dataKey = $state(`sample:${SAMPLE_SPLITS[0].file}`);
  dataFile = $state.raw<{ name: string; text: string } | null>(null);
  modes = $state<EvalMode[]>(['free']);
  limit = $state(20);
  maxNewTokens = $state(64);

  running = $state(false);
  progress = $state.raw<Progress | null>(null);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  stored = $state.raw<ModelEvaluation[]>([]);
  /** Evaluations shown, in the order chosen: the first is the comparison's baseline. */
  shown = $state<string[]>([]);

  private evalId: string | null = null;
  private store = new EvaluationStore();
  private unsubscribe: (() => void) | null = null;

  get options(): ModelOption[] {
    return [
      { key: 'builtin', label: 'builtin:tiny (untrained)', choice: { kind: 'builtin' } },
      ...this.runs.map((r): ModelOption => ({ key: `run:${r.id}`, label: `${r.name} (${r.method}, step ${r.step})`, choice: { kind: 'run', runId: r.id } })),
      ...imports.modelOptions,
      ...this.extra,
    ];
  }

  get shownEvaluations(): ModelEvaluation[] {
    return this.shown.map((id) => this.stored.find((e) => e.id === id)).filter((e): e is ModelEvaluation => !!e);
  }

  /** Why the shown evaluations cannot be compared, or null. */
  get compareProblem(): string | null {
    const evs = this.shownEvaluations;
    if (evs.length < 2) return null;
    if (new Set(evs.map((e) => e.dataset.label)).size > 1) return 'these evaluations are on different datasets: compare evaluations of one dataset';
    if (new Set(evs.map((e) => e.mode)).size > 1) return 'these evaluations ran in different modes (free-running / teacher-forced): compare one mode at a time';
    return null;
  }

  comparison(): Comparison | null {
    const evs = this.shownEvaluations;
    if (evs.length < 2 || this.compareProblem) return null;
    return compareEvaluations(evs);
  }

  async init(): Promise<void> {
    this.unsubscribe ??= studio.engine?.onEvent((ev) => {
      if (ev.type === 'eval-progress' && ev.evalId === this.evalId) this.progress = ev;
    }) ?? null;
    const [runs, datasets] = await Promise.all([new RunStore().list(), new DatasetStore().list().catch(() => [])]);
    this.runs = runs.filter((r) => r.step > 0 && r.method !== 'rm');
    this.datasets = datasets;
    await imports.refresh();
    await this.refresh();
  }

  async refresh(): Promise<void> {
    this.stored = await this.store.list();
    this.shown = this.shown.filter((id) => this.stored.some((e) => e.id === id));
  }

  toggleModel(key: string, on: boolean): void {
    this.selectedModels = on ? [...this.selectedModels.filter((k) => k !== key), key] : this.selectedModels.filter((k) => k !== key);
  }

  toggleMode(mode: EvalMode, on: boolean): void {
    this.modes = on ? [...new Set([...this.modes, mode])] : this.modes.filter((m) => m !== mode);
  }

  addHub(): void {
    const id = this.hubId.trim();
    if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(id)) {
      this.error = `"${id}" is not a Hugging Face id (owner/name)`;
      return;
    }
    const key = `hub:${id}`;
    if (!this.extra.some((o) => o.key === key)) this.extra = [...this.extra, { key, label: id, choice: { kind: 'hub', id } }];
    this.toggleModel(key, true);
    this.hubId = '';
  }

  addFolder(files: File[]): void {
    if (!files.length) return;
    const name = (files[0] as File & { webkitRelativePath?: string }).webkitRelativePath?.split('/')[0] || files.map((f) => f.name).find((n) => n.endsWith('.safetensors'))?.replace(/\.safetensors$/, '') || 'dropped model';
    const key = `folder:${name}:${Date.now()}`;
    this.extra = [...this.extra, { key, label: `${name} (dropped: ${files.map((f) => f.name).join(', ')})`, choice: { kind: 'files', name, files } }];
    this.toggleModel(key, true);
  }

  async setDataFile(f: File): Promise<void> {
    this.dataFile = { name: f.name, text: await f.text() };
    this.dataKey = 'file';
  }

  private data(): EvalData {
    if (this.dataKey === 'file') {
      if (!this.dataFile) throw new Error('choose a dataset file first');
      return { kind: 'file', ...this.dataFile };
    }
    if (this.dataKey.startsWith('stored:')) return { kind: 'stored', id: this.dataKey.slice(7) };
    return { kind: 'sample', file: this.dataKey.slice(7) };
  }

  async run(): Promise<void> {
    if (!studio.engine || this.running) return;
    this.error = null;
    this.notice = null;
    const models = this.selectedModels.map((k) => this.options.find((o) => o.key === k)?.choice).filter((c): c is ModelChoice => !!c);
    this.evalId = `eval-${Date.now().toString(36)}`;
    this.running = true;
    this.progress = null;
    try {
      const r = await studio.engine.request({
        type: 'eval-run', evalId: this.evalId, models, data: this.data(), modes: [...this.modes], limit: this.limit, maxNewTokens: this.maxNewTokens,
        batchSize: 8, tools: null, hub: loadHubSettings(),
      });
      await this.refresh();
      // Show what just finished, in the order the models were chosen (the first is the baseline).
      this.shown = r.evaluations.filter((e) => e.mode === this.modes[0]).map((e) => e.id);
      this.notice = `${r.evaluations.length} evaluation${r.evaluations.length > 1 ? 's' : ''} done and kept`;
    } catch (e) {
      this.error = (e as Error).message;
      await this.refresh();
    } finally {
      this.running = false;
      this.progress = null;
      this.evalId = null;
    }
  }

  async cancel(): Promise<void> {
    if (this.evalId) await studio.engine?.request({ type: 'eval-cancel', evalId: this.evalId });
  }

  toggleShown(id: string, on: boolean): void {
    this.shown = on ? [...this.shown.filter((x) => x !== id), id] : this.shown.filter((x) => x !== id);
  }

  async remove(id: string): Promise<void> {
    await this.store.remove(id);
    await this.refresh();
  }

  exportJson(): void {
    const evs = this.shownEvaluations;
    downloadFile('evaluation-report.json', JSON.stringify(evaluationFile(evs, this.comparison() ?? undefined), null, 1), 'application/json');
  }

  exportHtml(): void {
    downloadFile('evaluation-report.html', evaluationReportHtml(this.shownEvaluations, this.comparison()), 'text/html');
  }

  async importFile(f: File): Promise<void> {
    this.error = null;
    try {
      const evs = readEvaluationFile(await f.text(), f.name);
      for (const ev of evs) await this.store.put(ev);
      await this.refresh();
      this.shown = evs.map((e) => e.id);
      this.notice = `imported ${evs.length} evaluation${evs.length > 1 ? 's' : ''} from ${f.name}`;
    } catch (e) {
      this.error = (e as Error).message;
    }
  }
}
