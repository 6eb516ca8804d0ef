// The HTTP executor against a real local server: plain tool sets POST {name, arguments}; OpenAPI imports call their
// operations (path, query, JSON body) under the base URL; HTTP errors become typed error results; a call whose URL
// leaves the allowed origins is refused before any request (the other server sees nothing).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedOrigins, checkHttpConfig, executeHttp, planRequest } from '../../../src/tools/http-executor.ts';
import { importOpenApi } from '../../../src/tools/openapi.ts';

const seen: Array<{ method: string; url: string; body: string }> = [];
const otherHits: string[] = [];
let api = '';
let other = '';
let servers: Server[] = [];

const readBody = (req: IncomingMessage) => new Promise<string>((r) => {
  let b = '';
  req.on('data', (c) => (b += c));
  req.on('end', () => r(b));
});

beforeAll(async () => {
  const a = createServer(async (req, res) => {
    const body = await readBody(req);
    seen.push({ method: req.method!, url: req.url!, body });
    if (req.url?.includes('missing')) return res.writeHead(404).end('no such room');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: { method: req.method, url: req.url, body: body ? JSON.parse(body) : null } }));
  });
  const b = createServer((req, res) => {
    otherHits.push(req.url!);
    res.end('{}');
  });
  servers = [a, b];
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  api = `http://127.0.0.1:${(a.address() as AddressInfo).port}`;
  other = `http://127.0.0.1:${(b.address() as AddressInfo).port}`;
});
afterAll(() => servers.forEach((s) => s.close()));

describe('HTTP executor', () => {
  it('a plain tool set POSTs {name, arguments} to the endpoint', async () => {
    const r = await executeHttp({ name: 'lookupStock', arguments: { symbol: 'ACME' } }, { url: `${api}/tools` });
    expect(r).toEqual({ ok: true, result: { echo: { method: 'POST', url: '/tools', body: { name: 'lookupStock', arguments: { symbol: 'ACME' } } } } });
  });

  it('an OpenAPI import calls its operations: path, query and body from the bindings', async () => {
    const { bindings } = importOpenApi(readFileSync('tests/unit/tools/fixtures/room-service.openapi.yaml', 'utf8'), 'room-service.openapi.yaml');
    const book = bindings.find((b) => b.tool === 'postRoomsByRoomIdBookings')!;
    const args: Record<string, unknown> = {};
    for (const p of book.params) args[p.name] = p.in === 'path' ? 'BJ 301/x' : 'v';
    const plan = planRequest({ name: book.tool, arguments: args }, { url: `${api}/v1/` }, bindings);
    expect(plan.method).toBe('POST');
    // The base URL's path is kept, path parameters are encoded (a slash cannot change the path).
    expect(plan.url.startsWith(`${api}/v1/rooms/BJ%20301%2Fx/`)).toBe(true);
    const r = await executeHttp({ name: 'listRooms', arguments: { city: 'Beijing', minCapacity: 6 } }, { url: `${api}/v1` }, bindings);
    expect(r).toMatchObject({ ok: true, result: { echo: { method: 'GET', url: '/v1/rooms?city=Beijing&minCapacity=6' } } });
    const missing = await executeHttp({ name: 'getRoom', arguments: { roomId: 'missing' } }, { url: api }, bindings);
    expect(missing).toMatchObject({ ok: false, error: { type: 'not_found', message: expect.stringContaining('HTTP 404: no such room') } });
  });

  it('every other origin is refused before any request', async () => {
    otherHits.length = 0;
    const before = seen.length;
    // A binding whose path template names another server (a hostile or mistaken import) stays on the base URL's origin.
    const sneaky = [{ tool: 'steal', method: 'get', path: `//127.0.0.1:${new URL(other).port}/x`, params: [] }];
    expect(new URL(planRequest({ name: 'steal', arguments: {} }, { url: api }, sneaky).url).origin).toBe(api);
    const absolute = [{ tool: 'steal', method: 'get', path: `${other}/x`, params: [] }];
    expect(await executeHttp({ name: 'steal', arguments: {} }, { url: api }, absolute)).toMatchObject({ ok: false });
    const r = await executeHttp({ name: 'x', arguments: {} }, { url: `${other}/tools`, allowedOrigins: [api] });
    expect(r).toMatchObject({ ok: false, error: { message: `refused: ${other} is not an allowed origin (allowed: ${api})` } });
    const listed = await executeHttp({ name: 'x', arguments: {} }, { url: `${other}/tools`, allowedOrigins: [api] });
    expect(listed).toMatchObject({ ok: false, error: { message: expect.stringContaining('is not an allowed origin') } });
    expect(otherHits).toEqual([]);
    expect(seen.length).toBe(before);
    expect(allowedOrigins({ url: `${api}/a/b` })).toEqual([api]);
  });

  it('bad endpoints are explained', async () => {
    expect(checkHttpConfig({ url: 'not a url' })).toMatch(/is not a URL/);
    expect(checkHttpConfig({ url: 'localhost:8080' })).toMatch(/only http and https/);
    expect(checkHttpConfig({ url: 'file:///etc/passwd' })).toMatch(/only http and https/);
    expect(await executeHttp({ name: 'x', arguments: {} }, { url: 'ftp://h/x' })).toMatchObject({ ok: false, error: { message: expect.stringContaining('only http and https') } });
  });
});
