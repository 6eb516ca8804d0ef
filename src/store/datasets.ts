// Datasets in IndexedDB: metadata (name, kind, counts, size, content hash, created time, validation
// report) and the canonical examples in chunks, written in ONE transaction so a quota error or a crash
// never leaves half a dataset, and never touches the datasets already stored.

import { createStore, del, get, keys, type UseStore } from 'idb-keyval';
import type { DatasetExample, DatasetKind } from '../data/conversation.ts';
import type { ValidationReport } from '../data/validate.ts';
import { freeStorageBytes, isQuotaError, listByCreated, promisify, putAll, StorageQuotaError, storageQuotaMessage } from './idb.ts';

export { StorageQuotaError };

export interface DatasetRecord {
  id: string;
  name: string;
  kind: DatasetKind;
  /** The dropped file's name and size in bytes. */
  fileName: string;
  fileBytes: number;
  /** Size of the stored canonical examples (JSON), bytes. */
  storedBytes: number;
  /** SHA-256 (hex) of the canonical examples as JSONL: equal datasets have equal hashes. */
  contentHash: string;
  createdAt: number;
  counts: { records: number; valid: number; invalid: number };
  /** The report shown before saving (problem list capped at REPORT_PROBLEMS_KEPT). */
  report: ValidationReport;
  chunks: number;
}

export const EXAMPLES_PER_CHUNK = 2000;
export const REPORT_PROBLEMS_KEPT = 1000;

const metaKey = (id: string) => `meta:${id}`;
const chunkKey = (id: string, i: number) => `rows:${id}:${i}`;

/** The message for a dataset that does not fit: how much it needs, how much is free, nothing lost. */
export function quotaMessage(name: string, neededBytes: number, freeBytes: number | undefined): string {
  return storageQuotaMessage(`dataset "${name}"`, neededBytes, freeBytes, 'Nothing was written and your stored datasets are intact.');
}


export interface NewDataset {
  name: string;
  kind: DatasetKind;
  fileName: string;
  fileBytes: number;
  contentHash: string;
  report: ValidationReport;
  examples: DatasetExample[];
}

export class DatasetStore {
  private readonly store: UseStore;

  constructor(dbName = 'tool-use-studio-datasets') {
    this.store = createStore(dbName, 'datasets');
  }

  /** Every key in the database (tests check that a failed save leaves none behind). */
  async allKeys(): Promise<string[]> {
    return (await keys(this.store)).map(String);
  }

  /** Oldest first (the order they were saved). */
  list(): Promise<DatasetRecord[]> {
    return listByCreated<DatasetRecord>(this.store, 'meta:');
  }

  get(id: string): Promise<DatasetRecord | undefined> {
    return get<DatasetRecord>(metaKey(id), this.store);
  }

  /** Writes metadata and every chunk in one transaction; on a quota error nothing is written. */
  async save(ds: NewDataset): Promise<DatasetRecord> {
    const id = `${ds.contentHash.slice(0, 12)}-${Date.now().toString(36)}`;
    const chunks: DatasetExample[][] = [];
    for (let i = 0; i < ds.examples.length; i += EXAMPLES_PER_CHUNK) chunks.push(ds.examples.slice(i, i + EXAMPLES_PER_CHUNK));
    let storedBytes = 0;
    for (const c of chunks) storedBytes += JSON.stringify(c).length;
    const report: ValidationReport = { ...ds.report, problems: ds.report.problems.slice(0, REPORT_PROBLEMS_KEPT) };
    const record: DatasetRecord = {
      id, name: ds.name, kind: ds.kind, fileName: ds.fileName, fileBytes: ds.fileBytes, storedBytes,
      contentHash: ds.contentHash, createdAt: Date.now(),
      counts: { records: ds.report.records, valid: ds.report.valid, invalid: ds.report.invalid },
      report, chunks: chunks.length,
    };
    try {
      // The record last: a listed dataset always has all its rows.
      await putAll(this.store, [...chunks.map((c, i) => [chunkKey(id, i), c] as const), [metaKey(id), record] as const]);
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      throw new StorageQuotaError(quotaMessage(ds.name, storedBytes, await freeStorageBytes()));
    }
    return record;
  }

  async rename(id: string, name: string): Promise<DatasetRecord> {
    const trimmed = name.trim();
    if (!trimmed) throw new Error('A dataset name cannot be empty.');
    let updated: DatasetRecord | undefined;
    await this.store('readwrite', async (os) => {
      const rec = (await promisify(os.get(metaKey(id)))) as DatasetRecord | undefined;
      if (!rec) throw new Error(`No dataset with id ${id}.`);
      updated = { ...rec, name: trimmed };
      os.put(updated, metaKey(id));
      return promisify(os.transaction);
    });
    return updated!;
  }

  async delete(id: string): Promise<void> {
    const rec = await this.get(id);
    if (!rec) return;
    // Metadata first: a half-deleted dataset is invisible rather than listed without rows.
    await del(metaKey(id), this.store);
    await this.store('readwrite', (os) => {
      for (let i = 0; i < rec.chunks; i++) os.delete(chunkKey(id, i));
      return promisify(os.transaction);
    });
  }

  /** The first `limit` examples (preview), or all of them. */
  async examples(id: string, limit = Infinity): Promise<DatasetExample[]> {
    const rec = await this.get(id);
    if (!rec) throw new Error(`No dataset with id ${id}.`);
    const out: DatasetExample[] = [];
    for (let i = 0; i < rec.chunks && out.length < limit; i++) {
      const chunk = (await get<DatasetExample[]>(chunkKey(id, i), this.store)) ?? [];
      out.push(...chunk.slice(0, limit - out.length));
    }
    return out;
  }
}

/**
 * Content hash of examples (line numbers left out, so the same content from another file matches):
 * SHA-256 over the SHA-256 of each chunk, so a 100 MB dataset is never one string in memory.
 */
export async function examplesHash(examples: readonly DatasetExample[]): Promise<string> {
  const digests: string[] = [];
  for (let i = 0; i < examples.length; i += EXAMPLES_PER_CHUNK) {
    const chunk = examples.slice(i, i + EXAMPLES_PER_CHUNK).map((e) => JSON.stringify({ ...e, line: 0 }));
    digests.push(await sha256Hex(chunk.join('\n')));
  }
  return sha256Hex(digests.join(''));
}

/** SHA-256 hex of a text (Web Crypto: browser, worker and Node 20). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
