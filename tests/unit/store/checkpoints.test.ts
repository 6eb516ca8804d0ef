// IdbCheckpointStore on a real (in-memory) IndexedDB: exact round trip, keep-last-K, pruning only after the
// new checkpoint has committed, and a write that fails or is aborted half-way (quota, a killed tab) leaving
// the previous checkpoint listed, readable and byte-identical, with no orphaned keys behind.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { IdbCheckpointStore } from '../../../src/store/checkpoints.ts';
import { StorageQuotaError } from '../../../src/store/idb.ts';
import type { Checkpoint } from '../../../src/train/checkpoint.ts';
import { Rng } from '../../../src/util/rng.ts';

function fakeCheckpoint(runId: string, step: number, seed = step): Checkpoint {
  const rng = new Rng(seed);
  const t = (shape: number[]) => ({ shape, data: rng.floats(shape.reduce((a, b) => a * b, 1)) });
  return {
    runId,
    step,
    weights: { 'layers.0.q_proj.lora_A': t([4, 7]), 'layers.0.q_proj.lora_B': t([9, 4]) },
    optimizer: { step, m: { 'layers.0.q_proj.lora_A': t([4, 7]) }, v: { 'layers.0.q_proj.lora_A': t([4, 7]) } },
    rng: rng.getState(),
    data: { epoch: 1, batch: step },
    nonFiniteStreak: 0,
    createdAt: 1_700_000_000_000 + step,
    trainerState: { cursor: step, buffer: new Int32Array([step, -step, 3]) },
  };
}

let dbCounter = 0;
const dbNames = new WeakMap<IdbCheckpointStore, string>();
function freshStore(): IdbCheckpointStore {
  const name = `ckpt-test-${++dbCounter}`;
  const store = new IdbCheckpointStore(name);
  dbNames.set(store, name);
  return store;
}

/** A plain IndexedDB connection to the store's database (to look and tamper without the store's own code). */
function openRaw(store: IdbCheckpointStore): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(dbNames.get(store)!);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Every key in the store's database. */
async function rawKeys(store: IdbCheckpointStore): Promise<string[]> {
  const db = await openRaw(store);
  const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
    const r = db.transaction('checkpoints').objectStore('checkpoints').getAllKeys();
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  db.close();
  return keys.map(String).sort();
}

/** Replaces IDBObjectStore.prototype[method] for one test; `restore()` puts it back. */
const patches: (() => void)[] = [];
function patch<K extends 'put' | 'delete'>(method: K, wrap: (original: IDBObjectStore[K]) => IDBObjectStore[K]): void {
  const proto = IDBObjectStore.prototype;
  const original = proto[method];
  proto[method] = wrap(original);
  patches.push(() => (proto[method] = original));
}
afterEach(() => {
  while (patches.length) patches.pop()!();
});

describe('IdbCheckpointStore', () => {
  it('loads back exactly what it saved, typed arrays of the trainer state included', async () => {
    const store = freshStore();
    const c = fakeCheckpoint('run-a', 5);
    await store.save(c, 3);
    const back = await store.latest('run-a');
    expect(back).toEqual(c);
    expect(back!.weights['layers.0.q_proj.lora_B'].data).toBeInstanceOf(Float32Array);
    expect((back!.trainerState as { buffer: Int32Array }).buffer).toBeInstanceOf(Int32Array);
    expect(await store.load('run-a', 5)).toEqual(c);
    expect(await store.list('run-a')).toEqual([{ runId: 'run-a', step: 5, createdAt: c.createdAt, bytes: (28 + 36 + 28 + 28) * 4 }]);
  });

  it('keeps only the newest K checkpoints, and deletes the data of pruned ones', async () => {
    const store = freshStore();
    for (const step of [10, 20, 30, 40]) await store.save(fakeCheckpoint('run-a', step), 2);
    expect((await store.list('run-a')).map((i) => i.step)).toEqual([30, 40]);
    expect((await store.latest('run-a'))?.step).toBe(40);
    expect(await store.load('run-a', 10)).toBeNull();
    expect(await rawKeys(store)).toEqual(['ckpt:run-a:30', 'ckpt:run-a:40', 'index:run-a']);
  });

  it('keeps runs apart, replaces a re-saved step, and removes a whole run', async () => {
    const store = freshStore();
    await store.save(fakeCheckpoint('run-a', 10), 2);
    await store.save(fakeCheckpoint('run-b', 10, 99), 2);
    const again = fakeCheckpoint('run-a', 10, 7);
    await store.save(again, 2);
    expect(await store.list('run-a')).toHaveLength(1);
    expect(await store.latest('run-a')).toEqual(again);
    await store.removeRun('run-a');
    expect(await store.latest('run-a')).toBeNull();
    expect(await rawKeys(store)).toEqual(['ckpt:run-b:10', 'index:run-b']);
  });

  it('prunes only after the new checkpoint has committed, in a transaction of its own', async () => {
    const store = freshStore();
    for (const step of [10, 20]) await store.save(fakeCheckpoint('run-a', step), 2);
    const events: string[] = [];
    const committed = new WeakSet<IDBTransaction>();
    let newDataTx: IDBTransaction | null = null;
    patch('put', (put) =>
      function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        if (key === 'ckpt:run-a:30') {
          newDataTx = this.transaction;
          this.transaction.addEventListener('complete', () => {
            committed.add(this.transaction);
            events.push('commit step 30');
          });
        }
        return put.call(this, value, key);
      } as IDBObjectStore['put'],
    );
    patch('delete', (del) =>
      function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
        events.push(`delete ${String(key)} (new checkpoint ${newDataTx && committed.has(newDataTx) ? 'committed' : 'NOT committed'}, ${this.transaction === newDataTx ? 'same' : 'own'} transaction)`);
        return del.call(this, key);
      } as IDBObjectStore['delete'],
    );
    await store.save(fakeCheckpoint('run-a', 30), 2);
    expect(events).toEqual(['commit step 30', 'delete ckpt:run-a:10 (new checkpoint committed, own transaction)']);
    expect((await store.list('run-a')).map((i) => i.step)).toEqual([20, 30]);
  });

  it('a quota error while writing leaves the previous checkpoints listed, readable and unpruned, and says how much is needed', async () => {
    const store = freshStore();
    const previous = [fakeCheckpoint('run-a', 10), fakeCheckpoint('run-a', 20)];
    for (const c of previous) await store.save(c, 2);
    const keysBefore = await rawKeys(store);
    // The index write hits the quota after the data write was already issued in the same transaction.
    patch('put', (put) =>
      function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        if (key === 'index:run-a') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return put.call(this, value, key);
      } as IDBObjectStore['put'],
    );
    const err = await store.save(fakeCheckpoint('run-a', 30), 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageQuotaError);
    expect((err as Error).message).toMatch(/checkpoint at step 30 of run run-a: it needs about 0\.0 MB/);
    expect((err as Error).message).toMatch(/previous checkpoint is intact/);
    patches.pop()!();
    // Nothing of step 30 was committed (no orphaned data), and nothing was pruned.
    expect(await rawKeys(store)).toEqual(keysBefore);
    expect((await store.list('run-a')).map((i) => i.step)).toEqual([10, 20]);
    expect(await store.latest('run-a')).toEqual(previous[1]);
    expect(await store.load('run-a', 10)).toEqual(previous[0]);
  });

  it('a transaction aborted half-way (the tab killed during the write) leaves the previous checkpoint readable', async () => {
    const store = freshStore();
    const previous = fakeCheckpoint('run-a', 10);
    await store.save(previous, 1);
    const keysBefore = await rawKeys(store);
    // The data put goes through, then the transaction dies before the index is written, as when the
    // process holding it is killed: IndexedDB rolls the whole transaction back.
    patch('put', (put) =>
      function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        const req = put.call(this, value, key);
        if (key === 'ckpt:run-a:20') this.transaction.abort();
        return req;
      } as IDBObjectStore['put'],
    );
    await expect(store.save(fakeCheckpoint('run-a', 20), 1)).rejects.toThrow();
    patches.pop()!();
    expect(await rawKeys(store)).toEqual(keysBefore);
    expect(await store.latest('run-a')).toEqual(previous);
    // The store still works afterwards: the next save commits and prunes as usual.
    await store.save(fakeCheckpoint('run-a', 30), 1);
    expect((await store.list('run-a')).map((i) => i.step)).toEqual([30]);
    expect(await rawKeys(store)).toEqual(['ckpt:run-a:30', 'index:run-a']);
  });

  it('a failed prune loses nothing: the new checkpoint is committed, the old one still loads, the next save prunes it', async () => {
    const store = freshStore();
    await store.save(fakeCheckpoint('run-a', 10), 1);
    patch('delete', () =>
      function () {
        throw new DOMException('simulated failure', 'UnknownError');
      } as unknown as IDBObjectStore['delete'],
    );
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (m: string) => warnings.push(m);
    try {
      await store.save(fakeCheckpoint('run-a', 20), 1); // the run goes on: its checkpoint is safe
    } finally {
      console.warn = warn;
      patches.pop()!();
    }
    expect(warnings[0]).toMatch(/pruning old checkpoints failed \(the next save retries\): simulated failure/);
    expect((await store.latest('run-a'))?.step).toBe(20);
    expect((await store.list('run-a')).map((i) => i.step)).toEqual([10, 20]);
    expect((await store.load('run-a', 10))?.step).toBe(10);
    await store.save(fakeCheckpoint('run-a', 30), 1);
    expect(await rawKeys(store)).toEqual(['ckpt:run-a:30', 'index:run-a']);
  });

  it('pruning also removes data an earlier failure left without an index entry, and never another run\'s', async () => {
    const store = freshStore();
    await store.save(fakeCheckpoint('run-a', 10), 1);
    await store.save(fakeCheckpoint('run-a-2', 10), 1);
    const db = await openRaw(store);
    await new Promise<void>((resolve) => {
      const tx = db.transaction('checkpoints', 'readwrite');
      tx.objectStore('checkpoints').put(fakeCheckpoint('run-a', 15), 'ckpt:run-a:15'); // an orphan
      tx.oncomplete = () => resolve();
    });
    db.close();
    await store.save(fakeCheckpoint('run-a', 20), 1);
    expect(await rawKeys(store)).toEqual(['ckpt:run-a-2:10', 'ckpt:run-a:20', 'index:run-a', 'index:run-a-2']);
  });

  it('latest() skips an index entry whose data is missing and returns the newest that exists', async () => {
    const store = freshStore();
    for (const step of [10, 20]) await store.save(fakeCheckpoint('run-a', step), 5);
    const db = await openRaw(store);
    await new Promise<void>((resolve) => {
      const tx = db.transaction('checkpoints', 'readwrite');
      tx.objectStore('checkpoints').delete('ckpt:run-a:20');
      tx.oncomplete = () => resolve();
    });
    db.close();
    expect((await store.latest('run-a'))?.step).toBe(10);
  });

  it("the e2e fault gate holds its step's write before it touches IndexedDB until the test opens it, and no other", async () => {
    const store = freshStore();
    let open!: () => void;
    const g = globalThis as { __studioFaults?: object };
    g.__studioFaults = { gateCheckpointWrite: { step: 20, opened: new Promise<void>((r) => (open = r)) } };
    try {
      await store.save(fakeCheckpoint('run-a', 10), 3);
      let saved = false;
      const held = store.save(fakeCheckpoint('run-a', 20), 3).then(() => (saved = true));
      await new Promise((r) => setTimeout(r, 50));
      expect(saved).toBe(false);
      expect(await rawKeys(store)).toEqual(['ckpt:run-a:10', 'index:run-a']);
      open();
      await held;
      expect((await store.list('run-a')).map((i) => i.step)).toEqual([10, 20]);
    } finally {
      delete g.__studioFaults;
    }
  });
});

describe('storageQuotaMessage', () => {
  it('names what needs how many MB and what is free; says so when the browser reports room yet refused', async () => {
    const { storageQuotaMessage } = await import('../../../src/store/idb.ts');
    expect(storageQuotaMessage('x', 3.4 * 2 ** 20, 0.2 * 2 ** 20, 'Intact.')).toBe('Not enough browser storage to save x: it needs about 3.4 MB, and 0.2 MB are free. Intact. Delete datasets, checkpoints or cached models to make room.');
    expect(storageQuotaMessage('x', 3.4 * 2 ** 20, 10 * 2 ** 30, 'Intact.')).toContain('it needs about 3.4 MB; the browser reports 10240.0 MB free but refused the write. Intact.');
    expect(storageQuotaMessage('x', 2 ** 20, undefined, 'Intact.')).toContain('it needs about 1.0 MB. Intact.');
  });
});
