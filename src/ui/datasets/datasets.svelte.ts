// State of the Datasets page (runes class): files being imported through the import worker, and the
// datasets stored in IndexedDB (list, preview, rename, delete, export).

import type { DatasetExample, DatasetKind } from '../../data/conversation.ts';
import type { ValidationReport } from '../../data/validate.ts';
import { toTrlJsonl } from '../../data/trl-export.ts';
import { DatasetStore, type DatasetRecord } from '../../store/datasets.ts';
import { studio } from '../studio.svelte.ts';
import { downloadFile } from '../download.ts';
import { ENTERPRISE_TOOLS } from '../../tools/enterprise/tool-set.ts';
import type { ToolDefinition } from '../../tools/types.ts';
import { toolSets } from '../tools/tools.svelte.ts';
import type { ImportReply, ImportRequest } from '../../worker/dataset-import-protocol.ts';

export interface FileImport {
  id: number;
  fileName: string;
  fileBytes: number;
  status: 'reading' | 'validated' | 'saving' | 'saved' | 'failed';
  bytesRead: number;
  startedAt: number;
  kind: DatasetKind | null;
  report: ValidationReport | null;
  preview: DatasetExample[];
  contentHash: string;
  /** Name to save under (editable before saving). */
  name: string;
  error: string | null;
}

export const SAMPLE_FILES = ['sft_data.jsonl', 'sft_varied_data.jsonl', 'rm_data.jsonl', 'ppo_data.jsonl', 'chains_data.jsonl', 'eval_data.jsonl', 'eval_chains.jsonl'];

export class DatasetsState {
  imports = $state<FileImport[]>([]);
  datasets = $state<DatasetRecord[]>([]);
  listError = $state<string | null>(null);
  previewId = $state<string | null>(null);
  previewRows = $state<DatasetExample[]>([]);
  /** Longest example allowed, in tokens (estimated): longer ones are reported `too-long`. */
  maxTokens = $state(4096);
  /**
   * What calls are checked against: 'none' = structure only (the report lists the tools the data calls),
   * 'sample' = the sample enterprise tools, or the id of a tool set loaded on the Tools page.
   */
  toolSetChoice = $state<string>('none');

  /** The chosen tool set with its name, or null for structure only. */
  get checkTools(): { name: string; tools: ToolDefinition[] } | null {
    const choice = this.toolSetChoice;
    if (choice === 'none') return null;
    if (choice === 'sample') return { name: 'the sample enterprise tools', tools: [...ENTERPRISE_TOOLS] };
    const set = toolSets.sets.find((s) => s.id === choice);
    return set ? { name: set.title, tools: set.tools } : null;
  }

  private worker: Worker | null = null;
  private nextId = 1;
  private readonly store = new DatasetStore();

  private ensureWorker(): Worker {
    if (!this.worker) {
      this.worker = new Worker(new URL('../../worker/dataset-import.worker.ts', import.meta.url), { type: 'module' });
      this.worker.onmessage = (ev: MessageEvent<ImportReply>) => this.onReply(ev.data);
    }
    return this.worker;
  }

  private send(req: ImportRequest): void {
    this.ensureWorker().postMessage(req);
  }

  private find(id: number): FileImport | undefined {
    return this.imports.find((i) => i.id === id);
  }

  private onReply(msg: ImportReply): void {
    const imp = this.find(msg.id);
    if (!imp) return;
    switch (msg.type) {
      case 'progress':
        imp.bytesRead = msg.bytesRead;
        break;
      case 'validated':
        Object.assign(imp, { status: 'validated', bytesRead: imp.fileBytes, kind: msg.kind, report: msg.report, preview: msg.preview, contentHash: msg.contentHash });
        break;
      case 'saved':
        imp.status = 'saved';
        void this.refresh();
        break;
      case 'failed':
        // A failed save (quota included) keeps the validated examples in the worker: the user can retry.
        imp.status = msg.stage === 'save' ? 'validated' : 'failed';
        imp.error = msg.message;
        break;
    }
  }

  /** Starts reading and validating each file; their reports appear as they finish. */
  addFiles(files: Iterable<File>): void {
    for (const file of files) {
      const id = this.nextId++;
      this.imports.push({
        id, fileName: file.name, fileBytes: file.size, status: 'reading', bytesRead: 0, startedAt: performance.now(),
        kind: null, report: null, preview: [], contentHash: '', name: file.name.replace(/\.(jsonl|json)$/i, ''), error: null,
      });
      const check = this.checkTools;
      this.send({ type: 'validate', id, file, maxTokens: this.maxTokens, ...(check ? { tools: $state.snapshot(check.tools), toolSetName: check.name } : {}) });
    }
  }

  /** Fetches the sample files shipped with the studio and imports them like dropped files. */
  async addSamples(): Promise<void> {
    const files = await Promise.all(
      SAMPLE_FILES.map(async (name) => {
        const res = await fetch(`${import.meta.env.BASE_URL}data/${name}`);
        if (!res.ok) throw new Error(`could not load sample ${name}: HTTP ${res.status}`);
        return new File([await res.blob()], name, { type: 'application/jsonl' });
      }),
    );
    this.addFiles(files);
  }

  save(id: number): void {
    const imp = this.find(id);
    if (!imp || imp.status !== 'validated') return;
    imp.status = 'saving';
    imp.error = null;
    this.send({ type: 'save', id, name: imp.name.trim() || imp.fileName });
  }

  dismiss(id: number): void {
    this.send({ type: 'discard', id });
    this.imports = this.imports.filter((i) => i.id !== id);
  }

  async refresh(): Promise<void> {
    try {
      this.datasets = await this.store.list();
      this.listError = null;
      void studio.refreshStorage(); // the status bar's storage use changes with every save and delete
    } catch (e) {
      this.listError = `Could not read stored datasets: ${(e as Error).message}`;
    }
  }

  async rename(id: string, name: string): Promise<void> {
    await this.store.rename(id, name);
    await this.refresh();
  }

  async remove(id: string): Promise<void> {
    await this.store.delete(id);
    if (this.previewId === id) this.previewId = null;
    await this.refresh();
  }

  async preview(id: string): Promise<void> {
    this.previewId = id;
    this.previewRows = await this.store.examples(id, 20);
  }

  /** Downloads the dataset as TRL conversational JSONL. */
  async export(rec: DatasetRecord): Promise<void> {
    const jsonl = toTrlJsonl(await this.store.examples(rec.id));
    downloadFile(`${rec.name}.trl.jsonl`, jsonl, 'application/jsonl');
  }
}

/** One state for the studio: imports keep running (and their reports stay) while the user visits other sections. */
export const datasetsState = new DatasetsState();
