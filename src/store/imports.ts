// Imported models in IndexedDB: a model folder (config.json + safetensors + tokenizer files) or a PEFT adapter
// (adapter_config.json + adapter_model.safetensors on a chosen base) that the user dropped once, checked in the
// worker (src/worker/model-import.ts) before anything is written, kept across reloads and named as `import:<id>`
// wherever the studio takes a model name (chat, evaluation, a run's start policy, an RL run's reward model).
// The files are Blobs (the browser keeps them on disk), written with the record in ONE transaction: a quota error
// or a crash never leaves half an import, and never touches the imports already stored.

import { createStore, get, keys, type UseStore } from 'idb-keyval';
import { blobSource, type FileProvider } from '../model/byte-source.ts';
import type { RunRecord } from '../train/metrics.ts';
import { freeStorageBytes, isQuotaError, listByCreated, promisify, putAll, StorageQuotaError, storageQuotaMessage } from './idb.ts';

/** `model_name: import:<id>` / `reward_model: import:<id>`: an imported model. */
export const IMPORT_PREFIX = 'import:';

export interface ImportRecord {
  id: string;
  /** The name the user gave it (shown as text). */
  name: string;
  /** A complete model, or a PEFT LoRA adapter that goes onto `base`. */
  kind: 'model' | 'adapter';
  /** CAUSAL_LM: a policy (chat, evaluation, SFT / RL start); SEQ_CLS: a reward model (a score head). */
  task: 'CAUSAL_LM' | 'SEQ_CLS';
  /** Adapters: the model name it goes onto (builtin:tiny, a hub id, run:<id>, import:<id>). */
  base?: string;
  /** Adapters: the base as the list shows it (a run's or an import's name at import time). */
  baseLabel?: string;
  /** Adapters: base_model_name_or_path as adapter_config.json recorded it (where it was trained). */
  trainedOn?: string;
  lora?: { r: number; alpha: number; targets: string[] };
  /** The architecture under it: qwen2 / qwen3, layers and hidden size (of the base for an adapter). */
  arch: string;
  layers: number;
  hidden: number;
  /** How it was trained to be prompted (a train output's config.resolved.yaml; else the defaults). */
  listTools: boolean;
  chatTemplate: 'model' | 'compact';
  files: Array<{ name: string; bytes: number }>;
  bytes: number;
  createdAt: number;
}

/** A run that needs an import, and how (what removing the import takes from it). */
export interface ImportUse {
  run: RunRecord;
  /** 'start model', 'reward model', or 'start model (through run <name>)'. */
  as: string;
}

/**
 * The runs that need import `id`: as their start model (model_name) or reward model (reward_model), or through a run
 * that started from it (RL on an SFT run on the import). Such a run keeps its record and charts when the import is
 * removed, but can no longer be resumed, chatted with, evaluated or exported: the UI asks first.
 */
export function runsUsingImport(id: string, runs: readonly RunRecord[]): ImportUse[] {
  const name = `${IMPORT_PREFIX}${id}`;
  const uses = new Map<string, ImportUse>();
  for (const run of runs) {
    if (run.config.model_name === name) uses.set(run.id, { run, as: 'start model' });
    else if (run.config.reward_model === name) uses.set(run.id, { run, as: 'reward model' });
  }
  // Runs started from those runs, to any depth (each pass adds the next generation; a loop adds nothing new).
  for (let grew = true; grew; ) {
    grew = false;
    for (const run of runs) {
      if (uses.has(run.id)) continue;
      const start = typeof run.config.model_name === 'string' && run.config.model_name.startsWith('run:') ? uses.get(run.config.model_name.slice(4)) : undefined;
      if (start) {
        uses.set(run.id, { run, as: `start model (through run ${start.run.name})` });
        grew = true;
      }
    }
  }
  return [...uses.values()];
}

const metaKey = (id: string) => `meta:${id}`;
const fileKey = (id: string, name: string) => `file:${id}:${name}`;

/** A fresh import id: letters, digits and dashes only, so `import:<id>` reads cleanly in a YAML config. */
export function newImportId(): string {
  return `imp-${Date.now().toString(36)}-${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;
}

export class ImportStore {
  private readonly store: UseStore;

  constructor(dbName = 'tool-use-studio-imports') {
    this.store = createStore(dbName, 'imports');
  }

  /** Every key in the database (tests check that a refused import leaves none behind). */
  async allKeys(): Promise<string[]> {
    return (await keys(this.store)).map(String);
  }

  /** Oldest first (the order they were imported). */
  list(): Promise<ImportRecord[]> {
    return listByCreated<ImportRecord>(this.store, 'meta:');
  }

  async get(id: string): Promise<ImportRecord | undefined> {
    return get<ImportRecord>(metaKey(id), this.store);
  }

  /** Writes the files and then the record in one transaction; on any error (quota) nothing is written. */
  async save(record: ImportRecord, files: ReadonlyMap<string, Blob>): Promise<ImportRecord> {
    try {
      // The record last: a listed import always has all its files.
      await putAll(this.store, [...[...files].map(([name, blob]) => [fileKey(record.id, name), blob] as const), [metaKey(record.id), record] as const]);
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      throw new StorageQuotaError(storageQuotaMessage(`the imported model "${record.name}"`, record.bytes, await freeStorageBytes(), 'Nothing was written and your other imports are intact.'));
    }
    return record;
  }

  /** The import's files, read lazily (a Blob slice per read): what the model loaders take. */
  async files(id: string): Promise<FileProvider> {
    const rec = await this.get(id);
    if (!rec) throw new Error(`${IMPORT_PREFIX}${id}: no such imported model in this browser (removed?); import it again on the Models page`);
    const names = new Set(rec.files.map((f) => f.name));
    return async (name) => {
      if (!names.has(name)) return null;
      const blob = await get<Blob>(fileKey(id, name), this.store);
      if (!blob) throw new Error(`imported model "${rec.name}": file ${name} is missing from browser storage (cleared by the browser?); remove it and import it again`);
      return blobSource(name, blob);
    };
  }

  /** Removes an import: the record first (it is gone from every list at once), then its files. */
  async remove(id: string): Promise<void> {
    const rec = await this.get(id);
    if (!rec) return;
    const dependents = (await this.list()).filter((r) => r.base === `${IMPORT_PREFIX}${id}`);
    if (dependents.length) {
      throw new Error(`"${rec.name}" is the base of the imported adapter${dependents.length > 1 ? 's' : ''} ${dependents.map((d) => `"${d.name}"`).join(', ')}: remove ${dependents.length > 1 ? 'those' : 'that'} first`);
    }
    await this.store('readwrite', (os) => {
      os.delete(metaKey(id));
      for (const f of rec.files) os.delete(fileKey(id, f.name));
      return promisify(os.transaction);
    });
  }
}
