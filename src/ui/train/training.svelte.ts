// Train page state (runes class): the method and the config being edited (one per method, so switching keeps
// edits), the runs, and the live metrics of the selected run. Methods come from TRAIN_METHODS (methods.ts).
import { DatasetStore, type DatasetRecord } from '../../store/datasets.ts';
import { KEPT_COMPLETION_ROWS, RunStore } from '../../store/runs.ts';
import { ConfigError, configToYaml } from '../../train/config-schema.ts';
import type { EvalMetrics, RunRecord, StepMetrics } from '../../train/metrics.ts';
import type { CompletionRow } from '../../train/rollout.ts';
import type { DataSource, EngineEvent, TrainMethod } from '../../worker/protocol.ts';
import { studio } from '../studio.svelte.ts';
import { downloadFile } from '../download.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { METHOD_NAMES, TRAIN_METHODS } from './methods.ts';

export const SAMPLE_ID = '__sample__';

type Config = Record<string, unknown> & { train_file: string[]; eval_file: string };

export class Training {
  method = $state<TrainMethod>('sft');
  configs = $state(Object.fromEntries(METHOD_NAMES.map((m) => [m, TRAIN_METHODS[m].studioDefaults()])) as Record<TrainMethod, Config>);
  yaml = $state('');
  configErrors = $state<string[]>([]);
  allDatasets = $state<DatasetRecord[]>([]);
  /** Dataset ids picked for training; SAMPLE_ID = the shipped sample files (config.train_file). */
  trainIds = $state<string[]>([SAMPLE_ID]);
  evalId = $state<string>(SAMPLE_ID);
  runs = $state<RunRecord[]>([]);
  selectedRunId = $state<string | null>(null);
  steps = $state<StepMetrics[]>([]);
  evals = $state<EvalMetrics[]>([]);
  log = $state<string[]>([]);
  /** RL runs: the stored completions-table rows (the newest rollouts). */
  completions = $state<CompletionRow[]>([]);
  phase = $state<{ phase: string; done: number; total: number } | null>(null);
  /** The run this tab is training right now. */
  activeRunId = $state<string | null>(null);
  error = $state<string | null>(null);
  startedAt = $state<number | undefined>(undefined);

  private runStore = new RunStore();
  private unsubscribe: (() => void) | null = null;

  entry = $derived(TRAIN_METHODS[this.method]);
  config = $derived(this.configs[this.method]);
  /** Stored datasets this method can train on. */
  datasets = $derived(this.allDatasets.filter((d) => TRAIN_METHODS[this.method].datasetKinds.includes(d.kind)));
  selectedRun = $derived(this.runs.find((r) => r.id === this.selectedRunId) ?? null);
  /** The charts follow the selected run's method (a reward-model run shows reward-model charts). */
  chartMethod = $derived<TrainMethod>(((this.selectedRun?.method ?? this.method) in TRAIN_METHODS ? (this.selectedRun?.method ?? this.method) : 'sft') as TrainMethod);
  latest = $derived(this.steps.at(-1) ?? null);
  /** The newest rollout's rows (the completions table). */
  newestCompletions = $derived.by(() => {
    const last = this.completions.at(-1)?.step;
    return last === undefined ? [] : this.completions.filter((r) => r.step === last);
  });
  /** Runs an RL run can start from (policies with a checkpoint) and score with (reward models). */
  policyRuns = $derived(this.runs.filter((r) => r.method !== 'rm' && r.step > 0));
  rewardRuns = $derived(this.runs.filter((r) => r.method === 'rm' && r.step > 0));

  /** The last train-status event of each run this tab trained (status, step, error). */
  private statusHeard = new Map<string, Partial<Pick<RunRecord, 'status' | 'step' | 'error'>>>();

  async init(): Promise<void> {
    this.yaml = configToYaml(this.entry.spec.table, this.config as never);
    this.unsubscribe ??= studio.engine?.onEvent((ev) => this.onEvent(ev)) ?? null;
    this.allDatasets = await new DatasetStore().list();
    await this.refreshRuns();
    if (!this.selectedRunId && this.runs.length) await this.select(this.runs[0].id);
  }

  /** Switches the method being configured; its own config (and edits) come back. */
  setMethod(m: TrainMethod): void {
    if (m === this.method) return;
    this.method = m;
    this.trainIds = [SAMPLE_ID];
    this.evalId = SAMPLE_ID;
    this.configErrors = [];
    this.yaml = configToYaml(this.entry.spec.table, this.config as never);
  }

  async refreshRuns(): Promise<void> {
    const runs = (await this.runStore.list()).map((r) => ({ ...r, ...this.statusHeard.get(r.id) }));
    // A run stored as "running" that this tab is not training was interrupted (reload, crashed tab).
    this.runs = runs.map((r) => (r.status === 'running' && r.id !== this.activeRunId ? { ...r, status: 'paused' as const, error: 'interrupted: resume continues from the last checkpoint' } : r));
  }

  async select(runId: string): Promise<void> {
    this.selectedRunId = runId;
    this.steps = await this.runStore.metrics(runId);
    this.evals = await this.runStore.evals(runId);
    this.log = await this.runStore.log(runId);
    this.completions = await this.runStore.completions(runId);
  }

  /** YAML text -> form (the two are views of one config). */
  applyYaml(): void {
    try {
      this.configs[this.method] = this.entry.spec.parseYaml(this.yaml, 'config (YAML)') as Config;
      this.configErrors = [];
    } catch (e) {
      this.configErrors = e instanceof ConfigError ? e.problems.map((p) => `${p.key}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`) : [(e as Error).message];
    }
  }

  /** Form -> YAML, validating on the way. */
  syncYaml(): Config | null {
    try {
      const c = this.entry.spec.validate($state.snapshot(this.config), 'config') as Config;
      this.configErrors = [];
      this.yaml = configToYaml(this.entry.spec.table, c as never);
      return c;
    } catch (e) {
      this.configErrors = e instanceof ConfigError ? e.problems.map((p) => `${p.key}: ${p.message}`) : [(e as Error).message];
      return null;
    }
  }

  private sources(c: Config): { train: DataSource; eval: DataSource | null } {
    const stored = this.trainIds.filter((id) => id !== SAMPLE_ID);
    const train: DataSource = this.trainIds.includes(SAMPLE_ID) || stored.length === 0 ? { kind: 'sample', files: c.train_file } : { kind: 'stored', ids: stored };
    const evalSrc: DataSource | null = this.evalId === '' ? null : this.evalId === SAMPLE_ID ? (c.eval_file ? { kind: 'sample', files: [c.eval_file] } : null) : { kind: 'stored', ids: [this.evalId] };
    return { train, eval: evalSrc };
  }

  async start(): Promise<void> {
    const c = this.syncYaml();
    if (!c || !studio.engine) return;
    const m = this.method;
    const runId = `${m}-${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${Math.floor(Math.random() * 1e4)}`;
    await this.launch(runId, `${TRAIN_METHODS[m].label} ${new Date().toLocaleString()}`, m, c, false);
  }

  async resume(run: RunRecord): Promise<void> {
    const m = (run.method ?? 'sft') as TrainMethod;
    await this.launch(run.id, run.name, m, run.config as Config, true);
  }

  private async launch(runId: string, name: string, method: TrainMethod, c: Config, resume: boolean): Promise<void> {
    this.error = null;
    const { train, eval: evalSrc } = this.sources(c);
    this.activeRunId = runId;
    this.startedAt = performance.now();
    if (!resume) {
      this.steps = [];
      this.evals = [];
      this.log = [];
      this.completions = [];
    }
    this.selectedRunId = runId;
    try {
      // Svelte state is proxied: send plain copies through postMessage.
      await studio.engine!.request($state.snapshot({ type: 'train-start' as const, runId, name, method, config: c, train, eval: evalSrc, resume, hub: loadHubSettings() }) as never);
    } catch (e) {
      this.activeRunId = null;
      this.error = (e as Error).message;
    }
    await this.refreshRuns();
  }

  async control(action: 'pause' | 'stop'): Promise<void> {
    if (!this.activeRunId || !studio.engine) return;
    await studio.engine.request({ type: 'train-control', runId: this.activeRunId, action });
  }

  /** Downloads the run's newest checkpoint as a PEFT adapter (a SEQ_CLS one for a reward model) or full weights. */
  async exportAdapter(runId: string): Promise<string[]> {
    if (!studio.engine) return [];
    try {
      const { files, step } = await studio.engine.request({ type: 'export-adapter', runId, hub: $state.snapshot(loadHubSettings()) });
      for (const [name, data] of Object.entries(files)) downloadFile(`${runId}-step${step}-${name}`, data as BlobPart);
      return Object.keys(files);
    } catch (e) {
      this.error = (e as Error).message;
      return [];
    }
  }

  async deleteRun(runId: string): Promise<void> {
    await this.runStore.remove(runId);
    if (this.selectedRunId === runId) this.selectedRunId = null;
    await this.refreshRuns();
  }

  private onEvent(ev: EngineEvent): void {
    if (!('runId' in ev)) return;
    const mine = ev.runId === this.selectedRunId;
    switch (ev.type) {
      case 'train-step':
        if (mine) this.steps = [...this.steps.filter((s) => s.step < ev.metrics.step), ev.metrics];
        break;
      case 'train-eval':
        if (mine) this.evals = [...this.evals.filter((s) => s.step !== ev.metrics.step), ev.metrics];
        break;
      case 'train-log':
        if (mine) this.log = [...this.log, `${new Date().toISOString().slice(11, 19)} ${ev.line}`].slice(-2000);
        break;
      case 'train-completions':
        if (mine && ev.rows.length) this.completions = [...this.completions.filter((r) => r.step < ev.rows[0].step), ...ev.rows].slice(-KEPT_COMPLETION_ROWS);
        break;
      case 'train-phase':
        this.phase = { phase: ev.phase, done: ev.done, total: ev.total };
        break;
      case 'train-status':
        // The worker's word wins over the stored record, which a full disk may have kept it from updating.
        // (While it runs, the stored record's step moves on: only a finished run's step is taken from the event.)
        this.statusHeard.set(ev.runId, ev.status === 'running' ? { status: ev.status, error: undefined } : { status: ev.status, step: ev.step, error: ev.error });
        if (ev.status !== 'running') {
          this.activeRunId = null;
          this.phase = null;
          if (ev.status === 'failed') this.error = ev.error ?? 'training failed';
        }
        void this.refreshRuns();
        break;
    }
  }
}

export const training = new Training();
