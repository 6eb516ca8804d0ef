// Which data an export carries (runes class), as both Export panels pick it: the own files its config names
// (train_file / eval_file) or stored datasets for training, and one held-out set (the own eval_file, a stored
// dataset or none); read as the worker's DataSources.
import { DatasetStore, type DatasetRecord } from '../../store/datasets.ts';
import type { DataSource } from '../../worker/protocol.ts';

/** The id that stands for the config's own sample files among the stored datasets' ids. */
export const OWN_FILES = '__own__';

/** A config's files under `key` (train_file / eval_file: a list, one name, or empty). */
export function configFiles(config: Record<string, unknown> | null | undefined, key: 'train_file' | 'eval_file'): string[] {
  const v = config?.[key];
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' && v ? [v] : [];
}

export class DataPick {
  /** Every stored dataset (a panel shows those its method trains on). */
  stored = $state<DatasetRecord[]>([]);
  trainIds = $state<string[]>([OWN_FILES]);
  evalId = $state<string>(OWN_FILES);

  async load(): Promise<void> {
    this.stored = await new DatasetStore().list();
  }

  /** Back to the config's own files. */
  reset(): void {
    this.trainIds = [OWN_FILES];
    this.evalId = OWN_FILES;
  }

  toggle(id: string, on: boolean): void {
    this.trainIds = on ? [...this.trainIds.filter((t) => t !== id), id] : this.trainIds.filter((t) => t !== id);
  }

  /** The picks as DataSources; training falls back to the own files when no stored dataset is picked. */
  sources(config: Record<string, unknown> | null | undefined): { train: DataSource; eval: DataSource | null } {
    const stored = this.trainIds.filter((id) => id !== OWN_FILES);
    const train: DataSource = this.trainIds.includes(OWN_FILES) || stored.length === 0 ? { kind: 'sample', files: configFiles(config, 'train_file') } : { kind: 'stored', ids: stored };
    const evalFiles = configFiles(config, 'eval_file');
    const evalSrc: DataSource | null = this.evalId === '' ? null
      : this.evalId === OWN_FILES ? (evalFiles.length ? { kind: 'sample', files: evalFiles } : null)
      : { kind: 'stored', ids: [this.evalId] };
    return { train, eval: evalSrc };
  }
}
