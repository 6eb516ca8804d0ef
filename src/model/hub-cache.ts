// Persistent cache of hub downloads, including partial downloads so a reload or a dropped connection
// resumes where it stopped. Browser: IndexedDB (idb-keyval; Blobs are stored on disk by the browser).
// Node (tests, CLI): an in-memory cache with the same interface.

import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';

/** What is known about one file's download. */
export interface CachedFileMeta {
  url: string;
  /** Full size from Content-Length / Content-Range, when the server said. */
  size?: number;
  /** ETag of the first response; a resume sends it in If-Range so a changed file restarts. */
  etag?: string;
  /** Number of stored parts. */
  parts: number;
  /** Bytes stored so far. */
  bytes: number;
  complete: boolean;
}

export interface HubCache {
  getMeta(url: string): Promise<CachedFileMeta | undefined>;
  setMeta(meta: CachedFileMeta): Promise<void>;
  /** Stores part `index` of a file (parts are appended in order). */
  putPart(url: string, index: number, data: Blob): Promise<void>;
  /** The stored parts joined, as one Blob (read lazily by slices). */
  getBlob(url: string, parts: number): Promise<Blob>;
  /** Forgets a file (all parts and its meta). */
  remove(url: string): Promise<void>;
  /** URLs with a complete download (for the UI's cache list). */
  listComplete(): Promise<CachedFileMeta[]>;
}

/** Cache in IndexedDB (browser). */
export function idbHubCache(dbName = 'studio-hub-cache'): HubCache {
  const store: UseStore = createStore(dbName, 'files');
  const metaKey = (url: string) => `meta:${url}`;
  const partKey = (url: string, i: number) => `part:${url}:${i}`;
  return {
    getMeta: (url) => get<CachedFileMeta>(metaKey(url), store),
    setMeta: (meta) => set(metaKey(meta.url), meta, store),
    putPart: (url, i, data) => set(partKey(url, i), data, store),
    async getBlob(url, parts) {
      const blobs: Blob[] = [];
      for (let i = 0; i < parts; i++) {
        const b = await get<Blob>(partKey(url, i), store);
        if (!b) throw new Error(`hub cache: part ${i} of ${url} is missing (cache cleared by the browser?); download again`);
        blobs.push(b);
      }
      return new Blob(blobs);
    },
    async remove(url) {
      const meta = await get<CachedFileMeta>(metaKey(url), store);
      for (let i = 0; i < (meta?.parts ?? 0); i++) await del(partKey(url, i), store);
      await del(metaKey(url), store);
    },
    async listComplete() {
      const out: CachedFileMeta[] = [];
      for (const k of await keys(store)) {
        if (typeof k === 'string' && k.startsWith('meta:')) {
          const m = await get<CachedFileMeta>(k, store);
          if (m?.complete) out.push(m);
        }
      }
      return out;
    },
  };
}

/** Cache in memory (Node; lives as long as the object). */
export function memoryHubCache(): HubCache & { partsStored: number } {
  const metas = new Map<string, CachedFileMeta>();
  const parts = new Map<string, Blob>();
  const cache = {
    partsStored: 0,
    getMeta: async (url: string) => (metas.has(url) ? { ...metas.get(url)! } : undefined),
    setMeta: async (meta: CachedFileMeta) => void metas.set(meta.url, { ...meta }),
    putPart: async (url: string, i: number, data: Blob) => {
      parts.set(`${url}:${i}`, data);
      cache.partsStored++;
    },
    async getBlob(url: string, n: number) {
      const blobs: Blob[] = [];
      for (let i = 0; i < n; i++) blobs.push(parts.get(`${url}:${i}`)!);
      return new Blob(blobs);
    },
    async remove(url: string) {
      const m = metas.get(url);
      for (let i = 0; i < (m?.parts ?? 0); i++) parts.delete(`${url}:${i}`);
      metas.delete(url);
    },
    listComplete: async () => [...metas.values()].filter((m) => m.complete),
  };
  return cache;
}
