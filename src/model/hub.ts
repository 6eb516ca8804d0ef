// Hugging Face hub downloads in the browser (and Node): `<endpoint>/<org>/<name>/resolve/<revision>/<file>`,
// with progress, resume through HTTP Range after an interruption, and a persistent cache so a second visit
// downloads nothing. The result is a FileProvider over cached Blobs, read lazily by the safetensors reader.

import { blobSource, type FileProvider } from './byte-source.ts';
import type { CachedFileMeta, HubCache } from './hub-cache.ts';

export interface HubSettings {
  /** Hub base URL; a mirror or a local test server may replace it. */
  endpoint: string;
  revision: string;
}

export const DEFAULT_HUB: HubSettings = { endpoint: 'https://huggingface.co', revision: 'main' };

export class HubError extends Error {
  override name = 'HubError';
  constructor(
    message: string,
    readonly status?: number,
    /** True when calling again resumes (network drop), false when retrying will not help (404, 401). */
    readonly resumable = false,
  ) {
    super(message);
  }
}

export interface DownloadProgress {
  file: string;
  /** Bytes of this file present (cached before + downloaded now). */
  fileBytes: number;
  fileSize?: number;
  /** Bytes fetched over the network in this call, all files. */
  networkBytes: number;
  /** Whole download so far and total, where sizes are known. */
  doneBytes: number;
  totalBytes?: number;
  fromCache: boolean;
}

export interface DownloadOptions {
  settings?: HubSettings;
  cache: HubCache;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Injected for tests; defaults to global fetch. */
  fetchImpl?: typeof fetch;
  /** Bytes buffered before a part is written to the cache (smaller = less lost on a crash). */
  partBytes?: number;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

export function resolveUrl(repo: string, file: string, settings: HubSettings = DEFAULT_HUB): string {
  if (!REPO_ID.test(repo)) throw new HubError(`"${repo}" is not a hub model id: expected "<org>/<name>", e.g. Qwen/Qwen2.5-0.5B-Instruct`);
  const base = settings.endpoint.replace(/\/+$/, '');
  return `${base}/${repo}/resolve/${encodeURIComponent(settings.revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

function statusMessage(status: number, url: string, repo: string, settings: HubSettings): string {
  if (status === 404) {
    return `Not found (HTTP 404): ${url}. Check the model id "${repo}", the revision "${settings.revision}" and the hub endpoint setting (${settings.endpoint}).`;
  }
  if (status === 401 || status === 403) {
    return `Access denied (HTTP ${status}): ${url}. The model "${repo}" does not exist, or is private or gated (accept its license on the hub; tokens are not supported here).`;
  }
  if (status === 416) return `The server refused the resume range for ${url} (HTTP 416); the cached part was discarded, try again.`;
  return `Download failed (HTTP ${status}): ${url}.`;
}

/**
 * One file, resumed from the cache when a partial download exists, stored in parts as it arrives.
 * Returns the complete file as a Blob, or null when `optional` and the server says 404.
 */
export async function downloadFile(
  repo: string,
  file: string,
  opts: DownloadOptions,
  report: (fileBytes: number, fileSize: number | undefined, networkDelta: number, fromCache: boolean) => void = () => {},
  optional = false,
): Promise<Blob | null> {
  const settings = opts.settings ?? DEFAULT_HUB;
  const url = resolveUrl(repo, file, settings);
  const doFetch = opts.fetchImpl ?? fetch;
  const partBytes = opts.partBytes ?? 4 << 20;
  let meta: CachedFileMeta | undefined = await opts.cache.getMeta(url);
  if (meta?.complete) {
    report(meta.bytes, meta.size, 0, true);
    return opts.cache.getBlob(url, meta.parts);
  }

  // Only a plain `Range: bytes=N-` (a CORS-safelisted header: no preflight against the hub or its CDN); a file
  // that changed since is detected by its ETag on the 206 response, and then downloaded again from the start.
  let res: Response;
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = meta && meta.bytes > 0 ? { Range: `bytes=${meta.bytes}-` } : {};
    try {
      res = await doFetch(url, { headers, signal: opts.signal });
    } catch (e) {
      throw new HubError(`Network error fetching ${url}: ${(e as Error).message}. Calling again resumes from the cache.`, undefined, true);
    }
    const changed = res.status === 206 && meta?.etag !== undefined && res.headers.get('etag') !== null && res.headers.get('etag') !== meta.etag;
    if (!changed || attempt > 0) break;
    await res.body?.cancel();
    await opts.cache.remove(url);
    meta = undefined;
  }
  if (res.status === 404 && optional) return null;
  if (res.status === 416 && meta) {
    await opts.cache.remove(url);
    throw new HubError(statusMessage(416, url, repo, settings), 416, true);
  }
  if (!res.ok) throw new HubError(statusMessage(res.status, url, repo, settings), res.status);

  const etag = res.headers.get('etag') ?? undefined;
  if (res.status === 200 || !meta) {
    // Full content: a fresh download, or the server ignored the range: start over.
    if (meta) await opts.cache.remove(url);
    const len = res.headers.get('content-length');
    meta = { url, size: len !== null ? Number(len) : undefined, etag, parts: 0, bytes: 0, complete: false };
  } else {
    const range = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(res.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== meta.bytes) {
      throw new HubError(`Resume of ${url} got Content-Range "${res.headers.get('content-range')}" for a request from byte ${meta.bytes}`, res.status);
    }
    if (range[3] !== '*') meta.size = Number(range[3]);
  }
  await opts.cache.setMeta(meta);
  report(meta.bytes, meta.size, 0, false);

  if (!res.body) throw new HubError(`Empty response body from ${url}`, res.status);
  const reader = res.body.getReader();
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    await opts.cache.putPart(url, meta!.parts, new Blob(pending as BlobPart[]));
    meta!.parts++;
    meta!.bytes += pendingBytes;
    pending = [];
    pendingBytes = 0;
    await opts.cache.setMeta(meta!);
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending.push(value);
      pendingBytes += value.byteLength;
      report(meta.bytes + pendingBytes, meta.size, value.byteLength, false);
      if (pendingBytes >= partBytes) await flush();
    }
  } catch (e) {
    // Keep what arrived: the next call resumes from here with a Range request.
    await flush();
    throw new HubError(`Download of ${file} interrupted at ${meta.bytes} of ${meta.size ?? '?'} bytes (${(e as Error).message}). Calling again resumes.`, undefined, true);
  }
  await flush();
  if (meta.size !== undefined && meta.bytes !== meta.size) {
    throw new HubError(`Download of ${file} ended at ${meta.bytes} of ${meta.size} bytes. Calling again resumes.`, undefined, true);
  }
  meta.size = meta.bytes;
  meta.complete = true;
  await opts.cache.setMeta(meta);
  return opts.cache.getBlob(url, meta.parts);
}

/** Files of a model folder needed to run it. */
const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/**
 * Downloads (or takes from the cache) everything a model needs: config, tokenizer files, and the weights
 * (model.safetensors, or the index and its shards). Returns a FileProvider over the cached files.
 */
export async function downloadModel(repo: string, opts: DownloadOptions): Promise<{ files: FileProvider; names: string[] }> {
  const blobs = new Map<string, Blob>();
  let networkBytes = 0;
  const known = new Map<string, { bytes: number; size?: number }>();
  const progress = (file: string) => (fileBytes: number, fileSize: number | undefined, delta: number, fromCache: boolean) => {
    networkBytes += delta;
    known.set(file, { bytes: fileBytes, size: fileSize });
    let doneBytes = 0;
    let totalBytes: number | undefined = 0;
    for (const k of known.values()) {
      doneBytes += k.bytes;
      totalBytes = k.size !== undefined && totalBytes !== undefined ? totalBytes + k.size : undefined;
    }
    opts.onProgress?.({ file, fileBytes, fileSize, networkBytes, doneBytes, totalBytes, fromCache });
  };
  for (const f of REQUIRED) blobs.set(f, (await downloadFile(repo, f, opts, progress(f)))!);
  const single = await downloadFile(repo, 'model.safetensors', opts, progress('model.safetensors'), true);
  if (single) blobs.set('model.safetensors', single);
  else {
    const index = await downloadFile(repo, 'model.safetensors.index.json', opts, progress('model.safetensors.index.json'), true);
    if (!index) {
      throw new HubError(`"${repo}" has neither model.safetensors nor model.safetensors.index.json (only safetensors weights are supported)`, 404);
    }
    blobs.set('model.safetensors.index.json', index);
    const map = (JSON.parse(await index.text()) as { weight_map?: Record<string, string> }).weight_map ?? {};
    for (const shard of [...new Set(Object.values(map))]) blobs.set(shard, (await downloadFile(repo, shard, opts, progress(shard)))!);
  }
  const generation = await downloadFile(repo, 'generation_config.json', opts, progress('generation_config.json'), true);
  if (generation) blobs.set('generation_config.json', generation);
  return {
    files: async (name) => {
      const b = blobs.get(name);
      return b ? blobSource(name, b) : null;
    },
    names: [...blobs.keys()],
  };
}
