// The JavaScript tool sandbox in a real Chromium, under the studio's own Content-Security-Policy (src/util/csp.ts, its
// <meta> copy), which by itself allows requests to any http origin: handlers run and return JSON; every way to
// reach a server (fetch, XMLHttpRequest, WebSocket, EventSource, importScripts, a nested Worker, the Cache API,
// fetch taken from the prototype chain, sendBeacon, eval'd code) fails inside the sandbox, and the probe server sees
// no request from it; the page itself can reach the same server (so the test could fail). Code using import is
// refused; a looping handler is stopped; a syntax error is reported with its line.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { studioCsp } from '../../../src/util/csp.ts';
import { chromium, type Browser } from '@playwright/test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The studio's policy as its <meta> copy carries it: the loosest one it ships (connections to any http(s) origin), so
// only the sandbox itself can stop the probe's requests.
const CSP = studioCsp({ hub: 'any-http', meta: true });
let browser: Browser;
let server: Server;
let probe: Server;
let base = '';
let probeUrl = '';
const probeHits: string[] = [];

beforeAll(async () => {
  const bundle = await build({
    entryPoints: ['src/worker/tool-sandbox.ts'], bundle: true, format: 'esm', write: false, target: 'es2022',
    plugins: [{ name: 'raw', setup(b) {
      b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: new URL(a.path.replace(/\?raw$/, ''), `file://${a.resolveDir}/`).pathname, namespace: 'raw' }));
      b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: readFileSync(a.path, 'utf8'), loader: 'text' }));
    } }],
  });
  const js = bundle.outputFiles[0].text;
  const page = `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${CSP}"></head><body><script type="module" src="/sandbox.js"></script></body></html>`;
  const hostJs = `${js}\nwindow.ToolSandbox = ToolSandbox; window.ready = true;`.replace(/export\s*\{[^}]*\};?/, '');
  server = createServer((req, res) => {
    if (req.url === '/sandbox.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(hostJs);
    if (req.url?.startsWith('/probe')) {
      probeHits.push(`same-origin ${req.url}`);
      return res.writeHead(200, { 'access-control-allow-origin': '*' }).end('hit');
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end(page);
  });
  probe = createServer((req, res) => {
    probeHits.push(`other-port ${req.url}`);
    res.writeHead(200, { 'access-control-allow-origin': '*', 'content-type': 'text/javascript' }).end('self.hit = 1;');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  probeUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  probe?.close();
});

/** Runs handler code in a fresh sandbox in the page and returns each call's result. */
async function inSandbox(code: string, calls: Array<{ name: string; arguments: Record<string, unknown> }>, timeoutMs = 3000) {
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true);
  const results = await page.evaluate(async ({ code, calls, timeoutMs }) => {
    const S = (window as unknown as { ToolSandbox: new (c: string, t: number) => { execute(c: unknown): Promise<unknown>; dispose(): void } }).ToolSandbox;
    try {
      const sb = new S(code, timeoutMs);
      const out = [];
      for (const c of calls) out.push(await sb.execute(c));
      sb.dispose();
      return out;
    } catch (e) {
      return [{ constructorError: (e as Error).message }];
    }
  }, { code, calls, timeoutMs });
  await page.close();
  return results as Array<{ ok: boolean; result?: unknown; error?: { message: string }; constructorError?: string }>;
}

describe('tool sandbox (Chromium, studio CSP)', () => {
  it('runs handlers: arguments in, JSON out, async and errors', async () => {
    const r = await inSandbox(`
      let calls = 0;
      handlers.add = ({ a, b }) => ({ sum: a + b, calls: ++calls });
      handlers.later = async ({ x }) => { await new Promise((r) => setTimeout(r, 10)); return [x, x]; };
      handlers.fail = () => { throw new Error('no such order'); };
    `, [{ name: 'add', arguments: { a: 2, b: 3 } }, { name: 'add', arguments: { a: 1, b: 1 } }, { name: 'later', arguments: { x: 'y' } }, { name: 'fail', arguments: {} }, { name: 'missing', arguments: {} }]);
    expect(r[0]).toEqual({ ok: true, result: { sum: 5, calls: 1 } });
    expect(r[1]).toEqual({ ok: true, result: { sum: 2, calls: 2 } });
    expect(r[2]).toEqual({ ok: true, result: ['y', 'y'] });
    expect(r[3]).toMatchObject({ ok: false, error: { message: 'the handler threw: no such order' } });
    expect(r[4]).toMatchObject({ ok: false, error: { message: expect.stringContaining('no handler for tool "missing"') } });
  });

  it('cannot reach any server, by any route; the page itself can (control)', async () => {
    probeHits.length = 0;
    const attempts = {
      fetch: `await fetch('${probeUrl}/fetch')`,
      sameOriginFetch: `await fetch('${base}/probe-same')`,
      protoFetch: `let o = globalThis; let f; while (o && !f) { f = Object.getOwnPropertyDescriptor(o, 'fetch')?.value; o = Object.getPrototypeOf(o); } await f('${probeUrl}/proto')`,
      xhr: `const x = new XMLHttpRequest(); x.open('GET', '${probeUrl}/xhr', false); x.send()`,
      websocket: `new WebSocket('ws://127.0.0.1:1/ws')`,
      eventSource: `new EventSource('${probeUrl}/sse')`,
      importScripts: `importScripts('${probeUrl}/scripts.js')`,
      nestedWorker: `new Worker('${probeUrl}/w.js')`,
      caches: `await (await caches.open('x')).add('${probeUrl}/cache')`,
      beacon: `navigator.sendBeacon('${probeUrl}/beacon', 'x')`,
      evalFetch: `eval("fetch('${probeUrl}/eval')")`,
      functionCtor: `(function(){}).constructor("return fetch")()('${probeUrl}/ctor')`,
      indexedDB: `indexedDB.open('tool-use-studio-datasets')`,
    };
    const code = Object.entries(attempts).map(([name, body]) => `handlers.${name} = async () => { try { ${body}; return 'REACHED'; } catch (e) { return 'blocked: ' + e.message; } };`).join('\n');
    const results = await inSandbox(code, Object.keys(attempts).map((name) => ({ name, arguments: {} })));
    results.forEach((r, i) => {
      const name = Object.keys(attempts)[i];
      expect(r.ok, name).toBe(true);
      expect(String(r.result), name).toMatch(/^blocked: /);
    });
    // Let any request that slipped out arrive.
    await new Promise((r) => setTimeout(r, 500));
    expect(probeHits).toEqual([]);

    // Control: the page, under the same CSP, reaches both servers.
    const page = await browser.newPage();
    await page.goto(base);
    const control = await page.evaluate(async ([a, b]) => [await (await fetch(`${a}/control`)).text(), await (await fetch(`${b}/probe-control`)).text()], [probeUrl, base]);
    await page.close();
    expect(control).toEqual(['self.hit = 1;', 'hit']);
    expect(probeHits).toEqual(['other-port /control', 'same-origin /probe-control']);
  });

  it('refuses import, stops a handler that never answers, reports a syntax error with its line', async () => {
    const [imp] = await inSandbox(`handlers.x = async () => (await import('${probeUrl}/m.js')).default;`, [{ name: 'x', arguments: {} }]);
    expect(imp.constructorError).toMatch(/cannot use import/);
    const [loop, after] = await inSandbox('let n = 0; handlers.spin = () => { for (;;) {} }; handlers.count = () => ++n;', [{ name: 'spin', arguments: {} }, { name: 'count', arguments: {} }], 1500);
    expect(loop).toMatchObject({ ok: false, error: { message: expect.stringContaining('did not answer within 1.5 s') } });
    expect(after).toEqual({ ok: true, result: 1 });
    const [syntax] = await inSandbox('handlers.a = () => 1;\nhandlers.b = () => {;', [{ name: 'a', arguments: {} }]);
    expect(syntax).toMatchObject({ ok: false, error: { message: expect.stringMatching(/the handler code does not run: .*\(line \d+ of the handler code\)/) } });
  });
});
