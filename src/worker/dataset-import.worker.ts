// The dataset import worker: streams a dropped file through the validator (progress as it reads), keeps
// the good examples, and saves them to IndexedDB on request. Runs off the UI thread; needs no GPU.

/// <reference lib="webworker" />
import { readDatasetStream } from '../data/read-dataset.ts';
import type { DatasetExample, DatasetKind } from '../data/conversation.ts';
import type { ValidationReport } from '../data/validate.ts';
import { DatasetStore, StorageQuotaError, examplesHash } from '../store/datasets.ts';
import { type ImportReply, type ImportRequest, PREVIEW_ROWS } from './dataset-import-protocol.ts';

interface Pending {
  fileName: string;
  fileBytes: number;
  kind: DatasetKind;
  report: ValidationReport;
  examples: DatasetExample[];
  contentHash: string;
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
const pending = new Map<number, Pending>();
const store = new DatasetStore();
const post = (m: ImportReply) => scope.postMessage(m);

/** Progress at most every 50 ms: enough for a smooth bar, few messages for a 100 MB file. */
function throttledProgress(id: number) {
  let last = 0;
  return (bytesRead: number, totalBytes: number) => {
    const now = performance.now();
    if (now - last < 50 && bytesRead < totalBytes) return;
    last = now;
    post({ type: 'progress', id, bytesRead, totalBytes });
  };
}

async function validate(req: Extract<ImportRequest, { type: 'validate' }>): Promise<void> {
  const { report, examples } = await readDatasetStream(req.file.stream(), {
    tools: req.tools,
    toolSetName: req.toolSetName,
    maxTokens: req.maxTokens,
    totalBytes: req.file.size,
    onProgress: throttledProgress(req.id),
  });
  const contentHash = await examplesHash(examples);
  if (report.kind && examples.length > 0) {
    pending.set(req.id, { fileName: req.file.name, fileBytes: req.file.size, kind: report.kind, report, examples, contentHash });
  }
  post({ type: 'validated', id: req.id, kind: report.kind, report, preview: examples.slice(0, PREVIEW_ROWS), contentHash });
}

async function save(req: Extract<ImportRequest, { type: 'save' }>): Promise<void> {
  const p = pending.get(req.id);
  if (!p) throw new Error('This file has no valid examples to save (or it was already saved).');
  const record = await store.save({ name: req.name, kind: p.kind, fileName: p.fileName, fileBytes: p.fileBytes, contentHash: p.contentHash, report: p.report, examples: p.examples });
  pending.delete(req.id);
  post({ type: 'saved', id: req.id, record });
}

scope.onmessage = (ev: MessageEvent<ImportRequest>) => {
  const req = ev.data;
  if (req.type === 'discard') {
    pending.delete(req.id);
    return;
  }
  const run = req.type === 'validate' ? validate(req) : save(req);
  run.catch((e: unknown) => {
    post({ type: 'failed', id: req.id, stage: req.type, message: (e as Error).message ?? String(e), quota: e instanceof StorageQuotaError });
  });
};
