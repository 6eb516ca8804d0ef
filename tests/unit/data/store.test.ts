// The dataset store on a real (in-memory) IndexedDB: save in chunks, list, preview, rename, delete, and a
// quota error in the middle of a save that writes nothing and leaves stored datasets intact.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { DatasetExample } from '../../../src/data/conversation.ts';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { DatasetStore, EXAMPLES_PER_CHUNK, StorageQuotaError, examplesHash, quotaMessage, sha256Hex } from '../../../src/store/datasets.ts';

function makeExamples(n: number, tag: string): DatasetExample[] {
  const text = Array.from({ length: n }, (_, i) => JSON.stringify({ prompt: `${tag} 第${i}个问题`, response: `queryWeather(city=北京)` })).join('\n');
  return readDatasetText(text).examples;
}

async function saveSample(store: DatasetStore, name: string, n: number) {
  const examples = makeExamples(n, name);
  const { report } = readDatasetText(examples.map((e) => JSON.stringify({ prompt: 'x' + e.line })).join('\n'));
  return store.save({ name, kind: 'ppo', fileName: `${name}.jsonl`, fileBytes: 1234, contentHash: await sha256Hex(name), report, examples });
}

describe('DatasetStore', () => {
  it('saves in chunks, lists, previews, renames and deletes', async () => {
    const store = new DatasetStore('test-datasets-1');
    const n = EXAMPLES_PER_CHUNK * 2 + 17;
    const rec = await saveSample(store, 'big', n);
    expect(rec.chunks).toBe(3);
    expect(rec.storedBytes).toBeGreaterThan(n * 50);
    const small = await saveSample(store, 'small', 3);

    expect((await store.list()).map((d) => d.name)).toEqual(['big', 'small']);
    const all = await store.examples(rec.id);
    expect(all).toHaveLength(n);
    expect(all[n - 1]).toEqual(makeExamples(n, 'big')[n - 1]);
    expect(await store.examples(rec.id, 5)).toHaveLength(5);

    await store.rename(small.id, '  renamed ');
    expect((await store.get(small.id))?.name).toBe('renamed');
    await expect(store.rename(small.id, '   ')).rejects.toThrow(/cannot be empty/);

    await store.delete(rec.id);
    expect((await store.list()).map((d) => d.name)).toEqual(['renamed']);
    expect((await store.allKeys()).filter((k) => k.includes(rec.id))).toEqual([]);
  });

  it('a quota error mid-save writes nothing, keeps what was stored, and says how much space is needed', async () => {
    const store = new DatasetStore('test-datasets-2');
    const kept = await saveSample(store, 'kept', 10);
    const keysBefore = (await store.allKeys()).sort();

    // The third chunk write hits the quota, as a real browser reports it.
    const proto = IDBObjectStore.prototype;
    const put = proto.put;
    let calls = 0;
    proto.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (++calls === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
    try {
      const err = await saveSample(store, 'too big', EXAMPLES_PER_CHUNK * 3).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageQuotaError);
      expect((err as Error).message).toMatch(/dataset "too big": it needs about \d+\.\d MB/);
      expect((err as Error).message).toMatch(/stored datasets are intact/);
    } finally {
      proto.put = put;
    }
    expect((await store.allKeys()).sort()).toEqual(keysBefore);
    expect(await store.examples(kept.id)).toHaveLength(10);
  });

  it('hashes content, not line numbers', async () => {
    const a = makeExamples(2500, 'x');
    const shifted = a.map((e) => ({ ...e, line: e.line + 10 }));
    expect(await examplesHash(shifted)).toBe(await examplesHash(a));
    expect(await examplesHash(a.slice(1))).not.toBe(await examplesHash(a));
    expect(await examplesHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('words the quota message with the free space when the browser reports it', () => {
    expect(quotaMessage('d', 5 * 2 ** 20, 2 * 2 ** 20)).toContain('it needs about 5.0 MB, and 2.0 MB are free');
  });
});
