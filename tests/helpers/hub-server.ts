// A local stand-in for the Hugging Face hub: serves model folders under `/<org>/<name>/resolve/<revision>/<file>`,
// redirects weights to a /cdn/ path like the hub does for LFS files, honours Range/If-Range with ETags, and can
// cut a response after N bytes to simulate a dropped connection. Used by the hub download tests.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubServer {
  endpoint: string;
  /** Every request: path, Range header, status. */
  log: { path: string; range?: string; status: number; bytesSent: number }[];
  /** Cut the next response for `file` after this many body bytes (once). */
  cutNext(file: string, afterBytes: number): void;
  close(): Promise<void>;
}

/** `repos`: "org/name" -> file name -> bytes. */
export async function startHubServer(repos: Record<string, Map<string, Uint8Array>>, revision = 'main'): Promise<HubServer> {
  const cuts = new Map<string, number>();
  const log: HubServer['log'] = [];
  const etagOf = (b: Uint8Array) => `"${createHash('sha256').update(b).digest('hex').slice(0, 32)}"`;
  const server = http.createServer((req, res) => {
    // The studio fetches cross-origin, as it does from huggingface.co: answer CORS like the hub does.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Range, Content-Length, ETag, Accept-Ranges');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Headers': 'Range, If-Range', 'Access-Control-Allow-Methods': 'GET, HEAD' });
      res.end();
      return;
    }
    const path = decodeURIComponent((req.url ?? '').split('?')[0]);
    const entry = { path, range: req.headers.range, status: 200, bytesSent: 0 };
    log.push(entry);
    let m = /^\/cdn\/([^/]+\/[^/]+)\/(.+)$/.exec(path);
    let file: Uint8Array | undefined;
    let fileName = '';
    if (m) {
      fileName = m[2];
      file = repos[m[1]]?.get(fileName);
    } else {
      m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
      if (m && m[2] === revision) {
        fileName = m[3];
        file = repos[m[1]]?.get(fileName);
        // Like the hub, large (LFS) files answer with a redirect to a CDN location.
        if (file && fileName.endsWith('.safetensors')) {
          entry.status = 302;
          res.writeHead(302, { Location: `/cdn/${m[1]}/${fileName}` });
          res.end();
          return;
        }
      }
    }
    if (!file) {
      entry.status = 404;
      res.writeHead(404, { 'Content-Type': 'text/plain', 'X-Error-Code': 'EntryNotFound' });
      res.end('Entry not found');
      return;
    }
    const etag = etagOf(file);
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const ifRange = req.headers['if-range'];
    if (range && (!ifRange || ifRange === etag)) {
      start = Number(range[1]);
      if (start >= file.length) {
        entry.status = 416;
        res.writeHead(416, { 'Content-Range': `bytes */${file.length}` });
        res.end();
        return;
      }
      entry.status = 206;
      res.writeHead(206, { 'Content-Length': file.length - start, 'Content-Range': `bytes ${start}-${file.length - 1}/${file.length}`, ETag: etag, 'Accept-Ranges': 'bytes' });
    } else {
      res.writeHead(200, { 'Content-Length': file.length, ETag: etag, 'Accept-Ranges': 'bytes' });
    }
    const body = file.subarray(start);
    const cut = cuts.get(fileName);
    if (cut !== undefined) {
      cuts.delete(fileName);
      // Send part of the body, then drop the socket mid-response.
      res.write(body.subarray(0, cut), () => setTimeout(() => res.destroy(), 20));
      entry.bytesSent = cut;
      return;
    }
    entry.bytesSent = body.length;
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    cutNext: (file, afterBytes) => void cuts.set(file, afterBytes),
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}
