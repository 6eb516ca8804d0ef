// IndexedDB helpers every store shares: request/transaction promises, all-or-nothing writes and quota errors that say
// what to do.
import { get, keys, type UseStore } from 'idb-keyval';

export class StorageQuotaError extends Error {
  override name = 'StorageQuotaError';
}

export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || (name === 'AbortError' && /quota/i.test(String((e as Error).message)));
}

/** Free browser storage in bytes, when the browser says. */
export async function freeStorageBytes(): Promise<number | undefined> {
  const est = await globalThis.navigator?.storage?.estimate?.().catch(() => undefined);
  return est ? (est.quota ?? 0) - (est.usage ?? 0) : undefined;
}

/** The message for a failed write: what it was, how much space it needs, how much is free, what is intact. */
export function storageQuotaMessage(what: string, neededBytes: number, freeBytes: number | undefined, intact: string): string {
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  // The browser's estimate is all a page can know of free space; when it says there is room and the write was
  // refused anyway (a lower limit for this site, a full disk, DevTools' quota override), say both.
  const free =
    freeBytes === undefined ? '' : freeBytes < neededBytes ? `, and ${mb(Math.max(0, freeBytes))} are free` : `; the browser reports ${mb(freeBytes)} free but refused the write`;
  return `Not enough browser storage to save ${what}: it needs about ${mb(neededBytes)}${free}. ${intact} Delete datasets, checkpoints or cached models to make room.`;
}

/** Resolves with a request's result, or when a transaction commits (rejects when it aborts). */
export function promisify<T = void>(request: IDBRequest<T> | IDBTransaction): Promise<T> {
  return new Promise((resolve, reject) => {
    if ('oncomplete' in request && !('result' in request)) {
      const tx = request as IDBTransaction;
      tx.oncomplete = () => resolve(undefined as T);
      tx.onerror = tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
    } else {
      const r = request as IDBRequest<T>;
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    }
  });
}

/**
 * Puts every [key, value] in ONE transaction, in order (a record written last is listed only once all its parts
 * are). A put that throws (quota, clone error) aborts the transaction, so the earlier puts never commit on their
 * own; resolves when it commits, rejects as it aborts.
 */
export function putAll(store: UseStore, entries: Iterable<readonly [IDBValidKey, unknown]>): Promise<void> {
  return store('readwrite', (os) => {
    try {
      for (const [key, value] of entries) os.put(value, key);
    } catch (e) {
      os.transaction.abort();
      throw e;
    }
    return promisify(os.transaction);
  });
}

/**
 * The records stored under keys that start with `prefix` (`meta:`, `run:`), by createdAt: oldest first, or newest
 * first. A key whose record is gone by the time it is read (deleted meanwhile) is left out.
 */
export async function listByCreated<T extends { createdAt: number }>(store: UseStore, prefix: string, order: 'oldest' | 'newest' = 'oldest'): Promise<T[]> {
  const found = (await keys(store)).filter((k): k is string => typeof k === 'string' && k.startsWith(prefix));
  const read: Array<T | undefined> = await Promise.all(found.map((k) => get<T>(k, store)));
  return read.filter((r): r is T => !!r).sort(order === 'oldest' ? (a, b) => a.createdAt - b.createdAt : (a, b) => b.createdAt - a.createdAt);
}
