// Imported models (runes class, one for the studio): the list kept in IndexedDB (src/store/imports.ts), the folder
// being imported (its files, the name to list it under, and for a PEFT adapter the base it goes onto), and removal.
// The worker checks a folder against its base and stores it (protocol `import-model`): a refused folder stores
// nothing. Chat, Evaluate and Train offer what is listed here as `import:<id>`.
import { IMPORT_PREFIX, ImportStore, runsUsingImport, type ImportRecord, type ImportUse } from '../../store/imports.ts';
import { RunStore } from '../../store/runs.ts';
import type { RunRecord } from '../../train/metrics.ts';
import type { ModelChoice } from '../../worker/model-source.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { studio } from '../studio.svelte.ts';

/** The dropped folder before it is imported. */
export interface PendingImport {
  files: File[];
  name: string;
  /** adapter_config.json was dropped: a PEFT adapter, which needs a base. */
  adapter: boolean;
  /** Its base_model_name_or_path, as recorded (shown beside the base choice). */
  recordedBase: string | null;
  /** '' = the base its adapter_config.json names; else builtin:tiny, run:<id>, import:<id>. */
  base: string;
}

/** A base an adapter can go onto, as the base picker lists it. */
export interface BaseOption {
  value: string;
  label: string;
}

/** What an import is, in a few words (the lists' labels). */
export function describeImport(r: ImportRecord): string {
  if (r.kind === 'model') return r.task === 'SEQ_CLS' ? 'reward model' : 'model';
  return `${r.task === 'SEQ_CLS' ? 'reward-model adapter' : 'LoRA adapter'} r=${r.lora?.r ?? '?'} on ${r.baseLabel ?? r.base}`;
}

export class ImportsState {
  list = $state.raw<ImportRecord[]>([]);
  /** Policy runs an adapter can go onto (a checkpoint, not a reward model). */
  runs = $state.raw<RunRecord[]>([]);
  pending = $state<PendingImport | null>(null);
  busy = $state(false);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  /** An import whose removal waits for a yes: runs use it (listed). */
  removal = $state.raw<{ record: ImportRecord; uses: ImportUse[] } | null>(null);
  private readonly store = new ImportStore();

  /** Imports that write answers: chat, evaluation, a start policy. */
  get policies(): ImportRecord[] {
    return this.list.filter((r) => r.task === 'CAUSAL_LM');
  }

  /** Imports that score answers: an RL run's reward model. */
  get rewardModels(): ImportRecord[] {
    return this.list.filter((r) => r.task === 'SEQ_CLS');
  }

  /** Complete causal models: what a reward-model run can be trained on (no adapter to merge under a score head). */
  get fullModels(): ImportRecord[] {
    return this.list.filter((r) => r.task === 'CAUSAL_LM' && r.kind === 'model');
  }

  /** Chat / Evaluate options for the policies imported. */
  get modelOptions(): { key: string; label: string; choice: ModelChoice }[] {
    return this.policies.map((r) => ({ key: `${IMPORT_PREFIX}${r.id}`, label: `${r.name} (imported ${describeImport(r)})`, choice: { kind: 'import', importId: r.id, name: r.name } }));
  }

  /** The bases the pending adapter can go onto: the built-in model, a policy run, an imported policy. */
  get baseOptions(): BaseOption[] {
    return [
      { value: 'builtin:tiny', label: 'builtin:tiny (the built-in model)' },
      ...this.runs.map((r) => ({ value: `run:${r.id}`, label: `run ${r.name} (${r.method}, step ${r.step})` })),
      ...this.policies.map((r) => ({ value: `${IMPORT_PREFIX}${r.id}`, label: `imported ${r.name} (${describeImport(r)})` })),
    ];
  }

  async refresh(): Promise<void> {
    const [list, runs] = await Promise.all([this.store.list(), new RunStore().list().catch(() => [])]);
    this.list = list;
    this.runs = runs.filter((r) => r.method !== 'rm' && r.step > 0);
  }

  /** A dropped folder (or picked files): what it is, and the name it would be listed under. */
  async choose(files: File[]): Promise<void> {
    this.error = null;
    this.notice = null;
    if (!files.length) return;
    const cfg = files.find((f) => f.name === 'adapter_config.json');
    let recordedBase: string | null = null;
    if (cfg) {
      try {
        const saved = (JSON.parse(await cfg.text()) as { base_model_name_or_path?: unknown }).base_model_name_or_path;
        recordedBase = typeof saved === 'string' && saved ? saved : null;
      } catch {
        // The worker's check names the problem when it is imported.
      }
    }
    const folder = (files[0] as File & { webkitRelativePath?: string }).webkitRelativePath?.split('/')[0];
    const name = folder || (cfg ? 'imported adapter' : 'imported model');
    this.pending = { files, name, adapter: !!cfg, recordedBase, base: recordedBase === 'builtin:tiny' ? 'builtin:tiny' : '' };
  }

  /** Checks the pending folder in the worker and keeps it; on a refusal the list stays as it was. */
  async importPending(): Promise<ImportRecord | null> {
    const p = this.pending;
    if (!p || !studio.engine || this.busy) return null;
    this.busy = true;
    this.error = null;
    this.notice = null;
    try {
      const { record } = await studio.engine.request({
        type: 'import-model', name: p.name, files: [...p.files], base: p.adapter ? p.base || null : null, hub: $state.snapshot(loadHubSettings()),
      });
      this.pending = null;
      this.notice = `Imported "${record.name}" (${describeImport(record)}).`;
      await this.refresh();
      return record;
    } catch (e) {
      const err = e as Error;
      this.error = `${err.name && err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}`;
      return null;
    } finally {
      this.busy = false;
    }
  }

  cancelPending(): void {
    this.pending = null;
    this.error = null;
  }

  /**
   * Removes an import, or, when runs use it (as start or reward model, directly or through a run started from it),
   * first lists them and waits for confirmRemoval: those runs keep their records but lose their model.
   */
  async remove(id: string): Promise<void> {
    this.error = null;
    this.notice = null;
    this.removal = null;
    const record = this.list.find((r) => r.id === id);
    const uses = runsUsingImport(id, await new RunStore().list().catch(() => []));
    if (record && uses.length) {
      this.removal = { record, uses };
      return;
    }
    await this.removeNow(id);
  }

  /** The listed runs lose their model: remove anyway. */
  async confirmRemoval(): Promise<void> {
    const r = this.removal;
    this.removal = null;
    if (r) await this.removeNow(r.record.id);
  }

  cancelRemoval(): void {
    this.removal = null;
  }

  private async removeNow(id: string): Promise<void> {
    try {
      await this.store.remove(id);
    } catch (e) {
      this.error = (e as Error).message;
    }
    await this.refresh();
  }
}

export const imports = new ImportsState();
