// The stores' one listing (src/store/idb.ts listByCreated), on a real in-memory IndexedDB: only the records under the
// prefix, in createdAt order either way, whatever order the keys sort in.
import 'fake-indexeddb/auto';
import { createStore, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { listByCreated } from '../../../src/store/idb.ts';

describe('listByCreated', () => {
  it('lists the records under the prefix by createdAt, oldest or newest first, and nothing else', async () => {
    const store = createStore('list-by-created-test', 'records');
    // Keys sort z, m, a; createdAt says a (1), z (2), m (3): the order must come from createdAt.
    await set('meta:z', { id: 'z', createdAt: 2 }, store);
    await set('meta:m', { id: 'm', createdAt: 3 }, store);
    await set('meta:a', { id: 'a', createdAt: 1 }, store);
    await set('rows:a:0', [{ createdAt: 0 }], store);
    await set('metadata', { id: 'not-under-the-prefix', createdAt: 0 }, store);
    const oldest = await listByCreated<{ id: string; createdAt: number }>(store, 'meta:');
    expect(oldest.map((r) => r.id)).toEqual(['a', 'z', 'm']);
    const newest = await listByCreated<{ id: string; createdAt: number }>(store, 'meta:', 'newest');
    expect(newest.map((r) => r.id)).toEqual(['m', 'z', 'a']);
    expect(await listByCreated(store, 'none:')).toEqual([]);
  });
});
