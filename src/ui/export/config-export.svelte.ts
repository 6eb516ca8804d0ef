// Export-a-config panel state (runes class): a method's config as YAML (first the Train page's current config for
// that method), its problems by key and line, the datasets it names or the user picks, and the last zip the worker made.
import { parseExportConfig, EXPORT_CONFIG_SPECS } from '../../export/config-specs.ts';
import { EXPORT_METHODS, type ExportMethod, type ExportTarget } from '../../export/run.ts';
import { DatasetStore, type DatasetRecord } from '../../store/datasets.ts';
import { ConfigError, configToYaml } from '../../train/config-schema.ts';
import type { DataSource, EngineEvent } from '../../worker/protocol.ts';
import { downloadFile } from '../download.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { studio } from '../studio.svelte.ts';
import { TRAIN_METHODS } from '../train/methods.ts';
import { training } from '../train/training.svelte.ts';

/** The config's own sample files (its train_file / eval_file). */
export const CONFIG_FILES = '__config__';

export const CONFIG_TARGETS: { target: ExportTarget; label: string; what: string }[] = [
  { target: 'trl', label: 'TRL + accelerate', what: 'datasets in TRL formats, the training script with these settings, ZeRO-2/3 configs, the reward and tools in Python' },
  { target: 'verl', label: 'verl', what: 'parquet datasets, run_verl.sh with Hydra overrides, the reward function and tool classes, multi-turn rollouts' },
];

type Parsed = { config: Record<string, unknown>; problems: [] } | { config: null; problems: string[] };

/** The Train page's config of `method` as it stands (its edits included), as YAML. */
function trainPageYaml(method: ExportMethod): string {
  return configToYaml(EXPORT_CONFIG_SPECS[method].table, $state.snapshot(training.configs[method]) as never);
}

export class ConfigExportState {
  method = $state<ExportMethod>('sft');
  /** One YAML per method, so switching methods keeps edits. */
  yamls = $state(Object.fromEntries(EXPORT_METHODS.map((m) => [m, trainPageYaml(m)])) as Record<ExportMethod, string>);
  allDatasets = $state<DatasetRecord[]>([]);
  trainIds = $state<string[]>([CONFIG_FILES]);
  evalId = $state<string>(CONFIG_FILES);
  busy = $state<ExportTarget | null>(null);
  phase = $state<string | null>(null);
  error = $state<string | null>(null);
  last = $state<{ name: string; target: ExportTarget; paths: string[]; bytes: number } | null>(null);

  private unsubscribe: (() => void) | null = null;

  /** The config as its method's table reads it: the values, or every problem by key and line. */
  parsed = $derived.by((): Parsed => {
    try {
      return { config: parseExportConfig(this.method, this.yamls[this.method], 'config (YAML)'), problems: [] };
    } catch (e) {
      return { config: null, problems: e instanceof ConfigError ? e.problems.map((p) => `${p.key}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`) : [(e as Error).message] };
    }
  });
  /** Stored datasets this method trains on. */
  datasets = $derived(this.allDatasets.filter((d) => TRAIN_METHODS[this.method].datasetKinds.includes(d.kind)));

  async init(): Promise<void> {
    this.unsubscribe ??= studio.engine?.onEvent((ev) => this.onEvent(ev)) ?? null;
    this.allDatasets = await new DatasetStore().list();
  }

  dispose(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  setMethod(m: ExportMethod): void {
    this.method = m;
    this.trainIds = [CONFIG_FILES];
    this.evalId = CONFIG_FILES;
  }

  /** Takes the Train page's current config of this method again (dropping edits made here). */
  fromTrainPage(): void {
    this.yamls[this.method] = trainPageYaml(this.method);
  }

  /** The config's files (train_file / eval_file), as the config names them. */
  configFiles(key: 'train_file' | 'eval_file'): string[] {
    const v = this.parsed.config?.[key];
    return Array.isArray(v) ? (v as string[]) : typeof v === 'string' && v ? [v] : [];
  }

  private sources(): { train: DataSource; eval: DataSource | null } {
    const stored = this.trainIds.filter((id) => id !== CONFIG_FILES);
    const train: DataSource = this.trainIds.includes(CONFIG_FILES) || stored.length === 0 ? { kind: 'sample', files: this.configFiles('train_file') } : { kind: 'stored', ids: stored };
    const evalFiles = this.configFiles('eval_file');
    const evalSrc: DataSource | null = this.evalId === '' ? null
      : this.evalId === CONFIG_FILES ? (evalFiles.length ? { kind: 'sample', files: evalFiles } : null)
      : { kind: 'stored', ids: [this.evalId] };
    return { train, eval: evalSrc };
  }

  /** Asks the worker for the folder as a zip and downloads it. */
  async exportAs(target: ExportTarget): Promise<void> {
    if (!studio.engine || !this.parsed.config) return;
    this.busy = target;
    this.error = null;
    this.phase = null;
    try {
      const { train, eval: evalSrc } = this.sources();
      const { name, zip, paths } = await studio.engine.request({
        type: 'export-config', method: this.method, yaml: this.yamls[this.method], target, train: $state.snapshot(train), eval: $state.snapshot(evalSrc), hub: $state.snapshot(loadHubSettings()),
      });
      downloadFile(name, zip as BlobPart, 'application/zip');
      this.last = { name, target, paths, bytes: zip.byteLength };
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = null;
      this.phase = null;
    }
  }

  private onEvent(ev: EngineEvent): void {
    if (ev.type === 'export-config-phase' && this.busy) this.phase = ev.phase;
  }
}
