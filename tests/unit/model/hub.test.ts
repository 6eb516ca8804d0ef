// The hub download path end to end against a local server with the hub's URL layout: progress, cache on the
// second visit, resume after a dropped connection (HTTP Range), sharded weights, clear 404 message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryHubCache } from '../../../src/model/hub-cache.ts';
import { downloadFile, downloadModel, HubError, type DownloadProgress } from '../../../src/model/hub.ts';
import { openModelFolder, streamWeights } from '../../../src/model/weights.ts';
import { writeSafetensors } from '../../../src/model/safetensors.ts';
import { startHubServer, type HubServer } from '../../helpers/hub-server.ts';
import { modelFiles, randomWeights, tinyConfig } from './fixtures.ts';

const enc = (s: string) => new TextEncoder().encode(s);
let server: HubServer;
const single = modelFiles(tinyConfig('qwen3', { vocabSize: 501, hiddenSize: 64, intermediateSize: 96 }), 5);
const tokenizerFiles: [string, Uint8Array][] = [
  ['tokenizer.json', enc('{"model":{"type":"BPE","vocab":{},"merges":[]}}')],
  ['tokenizer_config.json', enc('{"chat_template":"x"}')],
];
for (const [k, v] of tokenizerFiles) single.set(k, v);

// A sharded variant of another config.
const shardedCfg = tinyConfig('qwen2');
const ws = randomWeights(shardedCfg, 9);
const sharded = new Map<string, Uint8Array>(tokenizerFiles);
sharded.set('config.json', modelFiles(shardedCfg, 9).get('config.json')!);
const wm: Record<string, string> = {};
[ws.slice(0, 5), ws.slice(5)].forEach((part, i) => {
  const name = `model-0000${i + 1}-of-00002.safetensors`;
  sharded.set(name, writeSafetensors(part));
  for (const t of part) wm[t.name] = name;
});
sharded.set('model.safetensors.index.json', enc(JSON.stringify({ metadata: {}, weight_map: wm })));

beforeAll(async () => {
  server = await startHubServer({ 'tiny-org/tiny-qwen3': single, 'tiny-org/sharded': sharded });
});
afterAll(() => server.close());

describe('hub download', () => {
  it('interrupted download resumes with a Range request; the second visit is served from the cache', async () => {
    const cache = memoryHubCache();
    const settings = { endpoint: server.endpoint, revision: 'main' };
    const weights = single.get('model.safetensors')!;
    const cutAt = Math.floor(weights.length * 0.4);
    server.cutNext('model.safetensors', cutAt);
    const seen: DownloadProgress[] = [];
    const first = downloadModel('tiny-org/tiny-qwen3', { settings, cache, partBytes: 8192, onProgress: (p) => seen.push(p) });
    await expect(first).rejects.toMatchObject({ name: 'HubError', resumable: true });
    await expect(first).rejects.toThrow(/interrupted at \d+ of \d+ bytes.*Calling again resumes/);
    const partial = await cache.getMeta(`${server.endpoint}/tiny-org/tiny-qwen3/resolve/main/model.safetensors`);
    expect(partial!.complete).toBe(false);
    expect(partial!.bytes).toBe(cutAt);

    const before = server.log.length;
    const { files, names } = await downloadModel('tiny-org/tiny-qwen3', { settings, cache, onProgress: (p) => seen.push(p) });
    const resumed = server.log.slice(before).filter((r) => r.path.endsWith('model.safetensors'));
    // The resume asked only for the missing bytes, through the CDN redirect.
    expect(resumed.map((r) => [r.status, r.range])).toEqual([[302, `bytes=${cutAt}-`], [206, `bytes=${cutAt}-`]]);
    expect(resumed[1].bytesSent).toBe(weights.length - cutAt);
    // Text files completed on the first visit were not fetched again.
    expect(server.log.slice(before).some((r) => r.path.endsWith('/config.json'))).toBe(false);
    expect(names).toEqual(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']);
    const got = await (await files('model.safetensors'))!.read(0, weights.length);
    expect(Buffer.from(got).equals(Buffer.from(weights))).toBe(true);
    // Progress is per file and reaches the full size.
    const last = seen.filter((p) => p.file === 'model.safetensors').at(-1)!;
    expect(last.fileBytes).toBe(weights.length);
    expect(last.fileSize).toBe(weights.length);

    // It loads through the same folder path as a dropped folder.
    const folder = await openModelFolder(files);
    let n = 0;
    await streamWeights(folder, () => void n++);
    expect(n).toBe(folder.files[0].tensors.length);

    // Second visit: nothing goes over the network.
    const before2 = server.log.length;
    const again: DownloadProgress[] = [];
    await downloadModel('tiny-org/tiny-qwen3', { settings, cache, onProgress: (p) => again.push(p) });
    expect(server.log.length - before2).toBe(1); // only the optional generation_config.json probe (404, not cached)
    expect(again.filter((p) => p.file === 'model.safetensors').every((p) => p.fromCache && p.networkBytes === 0)).toBe(true);
  });

  it('a file that changed on the server since the interruption is downloaded again from the start (ETag check)', async () => {
    const v1 = new Uint8Array(50_000).map((_, i) => i % 251);
    const v2 = new Uint8Array(60_000).map((_, i) => (i * 7) % 253);
    const repo = new Map<string, Uint8Array>([['notes.bin', v1]]);
    const local = await startHubServer({ 'org/changing': repo });
    try {
      const cache = memoryHubCache();
      const opts = { settings: { endpoint: local.endpoint, revision: 'main' }, cache, partBytes: 4096 };
      local.cutNext('notes.bin', 20_000);
      await expect(downloadFile('org/changing', 'notes.bin', opts)).rejects.toMatchObject({ resumable: true });
      repo.set('notes.bin', v2); // a new commit on the same revision
      const blob = await downloadFile('org/changing', 'notes.bin', opts);
      expect(Buffer.from(await blob!.arrayBuffer()).equals(Buffer.from(v2))).toBe(true);
      // The resume saw a different ETag on its 206, dropped it and fetched the whole new file.
      expect(local.log.slice(-2).map((r) => [r.range ?? null, r.status])).toEqual([['bytes=20000-', 206], [null, 200]]);
    } finally {
      await local.close();
    }
  });

  it('sharded weights come through the index', async () => {
    const { files, names } = await downloadModel('tiny-org/sharded', { settings: { endpoint: server.endpoint, revision: 'main' }, cache: memoryHubCache() });
    expect(names).toContain('model-00002-of-00002.safetensors');
    const folder = await openModelFolder(files);
    expect(folder.files.length).toBe(2);
    expect(folder.config.arch).toBe('qwen2');
  });

  it('a missing model or revision gives a clear 404 message', async () => {
    const opts = { settings: { endpoint: server.endpoint, revision: 'main' }, cache: memoryHubCache() };
    const err = await downloadModel('tiny-org/does-not-exist', opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubError);
    expect((err as HubError).status).toBe(404);
    expect((err as Error).message).toBe(
      `Not found (HTTP 404): ${server.endpoint}/tiny-org/does-not-exist/resolve/main/config.json. Check the model id "tiny-org/does-not-exist", the revision "main" and the hub endpoint setting (${server.endpoint}).`,
    );
    await expect(downloadModel('tiny-org/tiny-qwen3', { ...opts, settings: { endpoint: server.endpoint, revision: 'v9' } })).rejects.toThrow(/HTTP 404.*revision "v9"/);
    await expect(downloadModel('not a repo id', opts)).rejects.toThrow(/"not a repo id" is not a hub model id/);
  });
});
