// Tool sets in IndexedDB: the definitions as imported (OpenAPI bindings, import problems included) and where their
// calls run in the chat, so imported sets and their handlers survive a reload.
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import type { ExecutorConfig } from '../tools/executor-choice.ts';
import type { LoadedToolSet } from '../tools/tool-set.ts';
import { listByCreated } from './idb.ts';

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
  list(): Promise<StoredToolSet[]> {
    return listByCreated<StoredToolSet>(this.store, 'toolset:');
  }

  async remove(id: string): Promise<void> {
    await del(key(id), this.store);
  }
}
