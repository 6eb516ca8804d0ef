// Export-a-config panel state (runes class): a method's config as YAML (first the Train page's current config for
// that method), its problems by key and line, the datasets it names or the user picks, and the last zip the worker made.
import { parseExportConfig, EXPORT_CONFIG_SPECS } from '../../export/config-specs.ts';
import { EXPORT_METHODS, type ExportMethod, type ExportTarget } from '../../export/run.ts';
import { ConfigError, configToYaml } from '../../train/config-schema.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { TRAIN_METHODS } from '../train/methods.ts';
import { training } from '../train/training.svelte.ts';
import { configFiles, DataPick } from './data-pick.svelte.ts';
import { ZipExport } from './zip-export.svelte.ts';

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
  data = new DataPick();
  zip = new ZipExport<ExportTarget>((ev) => (ev.type === 'export-config-phase' ? ev.phase : null));

  /** The config as its method's table reads it: the values, or every problem by key and line. */
  parsed = $derived.by((): Parsed => {
    try {
      return { config: parseExportConfig(this.method, this.yamls[this.method], 'config (YAML)'), problems: [] };
    } catch (e) {
      return { config: null, problems: e instanceof ConfigError ? e.problems.map((p) => `${p.key}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`) : [(e as Error).message] };
    }
  });
  /** Stored datasets this method trains on. */
  datasets = $derived(this.data.stored.filter((d) => TRAIN_METHODS[this.method].datasetKinds.includes(d.kind)));

  async init(): Promise<void> {
    this.zip.listen();
    await this.data.load();
  }

  dispose(): void {
    this.zip.dispose();
  }

  setMethod(m: ExportMethod): void {
    this.method = m;
    this.data.reset();
  }

  /** Takes the Train page's current config of this method again (dropping edits made here). */
  fromTrainPage(): void {
    this.yamls[this.method] = trainPageYaml(this.method);
  }

  /** The config's files (train_file / eval_file), as the config names them. */
  configFiles(key: 'train_file' | 'eval_file'): string[] {
    return configFiles(this.parsed.config, key);
  }

  /** Asks the worker for the config's folder as a zip and downloads it. */
  async exportAs(target: ExportTarget): Promise<void> {
    if (!this.parsed.config) return;
    const { train, eval: evalSrc } = this.data.sources(this.parsed.config);
    const method = this.method;
    const yaml = this.yamls[method];
    await this.zip.run(target, (engine) => engine.request({
      type: 'export-config', method, yaml, target, train: $state.snapshot(train), eval: $state.snapshot(evalSrc), hub: $state.snapshot(loadHubSettings()),
    }));
  }
}
