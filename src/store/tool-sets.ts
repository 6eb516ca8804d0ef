// Tool sets in IndexedDB: the definitions as imported (OpenAPI bindings, import problems included) and where their
// calls run in the chat, so imported sets and their handlers survive a reload.
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import type { ExecutorConfig } from '../tools/executor-choice.ts';
import type { LoadedToolSet } from '../tools/tool-set.ts';

export interface StoredToolSet extends LoadedToolSet {
  id: string;
  /** The file it came from (the sample set is enterprise_tools.json). */
  file: string;
  executor: ExecutorConfig;
  createdAt: number;
}

const key = (id: string) => `toolset:${id}`;

export class ToolSetStore {
  private store: UseStore;

  constructor(dbName = 'tool-use-studio-tool-sets') {
    this.store = createStore(dbName, 'tool-sets');
  }

  async put(s: StoredToolSet): Promise<void> {
    await set(key(s.id), s, this.store);
  }

  async get(id: string): Promise<StoredToolSet | null> {
    return ((await get(key(id), this.store)) as StoredToolSet | undefined) ?? null;
  }

  /** Oldest first (the order they were added). */
  async list(): Promise<StoredToolSet[]> {
    const ids = (await keys(this.store)).map(String).filter((k) => k.startsWith('toolset:'));
    const all = await Promise.all(ids.map((k) => get(k, this.store) as Promise<StoredToolSet | undefined>));
    return all.filter((x): x is StoredToolSet => !!x).sort((a, b) => a.createdAt - b.createdAt);
  }

  async remove(id: string): Promise<void> {
    await del(key(id), this.store);
  }
}
