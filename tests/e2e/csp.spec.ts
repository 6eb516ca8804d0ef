// The studio's Content-Security-Policy, sent and holding, in Chromium: the server sends it on the page and on
// the worker scripts; inline script, eval, new Function and wasm compilation are refused in the page and in
// the workers; connections go to the page's origin and the configured hub only (another local server is
// refused until it is configured as the hub, and then the one before it is refused); and the whole studio
// (every page, the GPU self-test, a dataset import in its worker, a chat reply in the engine worker) runs
// under it without a single violation.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page, type Worker } from '@playwright/test';

/** A local server that counts the requests that reach it (a blocked fetch never arrives). */
async function countingServer(): Promise<{ origin: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Listens for violations in the page and in every worker it starts; `all()` collects them. */
async function watchViolations(page: Page) {
  const fromWorkers: string[] = [];
  const hook = (w: Worker) =>
    void w.evaluate(() => {
      const g = self as unknown as { __cspViolations?: string[] };
      g.__cspViolations = [];
      self.addEventListener('securitypolicyviolation', (ev) => {
        const e = ev as SecurityPolicyViolationEvent;
        g.__cspViolations!.push(`${e.effectiveDirective} ${e.blockedURI}`);
      });
    }).catch(() => {});
  page.on('worker', hook);
  await page.addInitScript(() => {
    const w = window as unknown as { __cspViolations: string[] };
    w.__cspViolations = [];
    addEventListener('securitypolicyviolation', (ev) => {
      const e = ev as SecurityPolicyViolationEvent;
      w.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`);
    });
  });
  return {
    async all(): Promise<string[]> {
      for (const w of page.workers()) fromWorkers.push(...((await w.evaluate(() => (self as unknown as { __cspViolations?: string[] }).__cspViolations ?? []).catch(() => [])) as string[]));
      return [...(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)), ...fromWorkers];
    },
  };
}

/**
 * What the page (or a worker) may do under the policy. The attempts run in a timer callback: code that
 * DevTools evaluates directly is exempt from the eval rules, code the page's own event loop runs is not.
 */
const probe = (target: Page | Worker, url: string) => ('goto' in target ? target.evaluate(attempts, url) : target.evaluate(attempts, url));
async function attempts(url: string): Promise<Record<string, string>> {
  const g = globalThis as unknown as { __inline?: number };
  const tryIt = (f: () => unknown) => { try { f(); return 'ran'; } catch (e) { return (e as Error).name; } };
  const later = <T>(f: () => T) => new Promise<T>((r) => setTimeout(() => r(f()), 0));
  const out: Record<string, string> = {
    eval: await later(() => tryIt(() => (0, eval)('1 + 1'))),
    newFunction: await later(() => tryIt(() => new Function('return 1')())),
    // The smallest valid module: \0asm, version 1.
    wasm: await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(() => 'ran', (e) => (e as Error).name),
    fetch: await fetch(url).then(() => 'ok', () => 'blocked'),
  };
  if (typeof document !== 'undefined') {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.head.append(s);
    const img = document.createElement('img');
    img.setAttribute('onerror', 'window.__inline = 2');
    img.src = 'data:,x';
    document.body.append(img);
    await new Promise((r) => setTimeout(r, 200));
    out.inlineScript = g.__inline === undefined ? 'blocked' : `ran (${g.__inline})`;
    img.remove();
  }
  return out;
}

test('the policy is sent on the page and the worker scripts, and names only this origin and the hub', async ({ page, request }) => {
  const res = await page.goto('/');
  const csp = res!.headers()['content-security-policy'];
  expect(csp).toBeTruthy();
  const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
  expect(directives['script-src']).toEqual(["'self'"]);
  expect(directives['worker-src']).toEqual(["'self'", 'blob:']);
  expect(directives['connect-src']).toEqual(["'self'", 'https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co']);
  expect(directives['object-src']).toEqual(["'none'"]);
  expect(directives['frame-ancestors']).toEqual(["'none'"]);
  expect(directives['style-src']).toEqual(["'self'"]); // only style attributes may be inline
  expect(directives['default-src']).toEqual(["'self'"]);
  expect(csp).not.toMatch(/unsafe-eval/);
  expect(res!.headers()['x-content-type-options']).toBe('nosniff');
  // The page also carries it (for hosts that send no header): same script rules, any http(s) hub.
  const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  expect(meta).toContain("script-src 'self';");
  // Every script the page runs, the workers included, comes with the header (a worker's policy is its own response's).
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((n) => n.endsWith('.js')));
  expect(scripts.some((s) => /engine\.worker-.*\.js$/.test(s))).toBe(true);
  for (const url of scripts) expect((await request.get(url)).headers()['content-security-policy'], url).toBe(csp);
});

test('inline script, eval and wasm are refused in the page and the workers; connections only to this origin and the configured hub', async ({ page }) => {
  test.setTimeout(180_000);
  const [hubA, hubB] = [await countingServer(), await countingServer()];
  try {
    await page.goto('/#/models');
    await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
    const inPage = await probe(page, `${hubA.origin}/probe`);
    expect(inPage).toEqual({ eval: 'EvalError', newFunction: 'EvalError', wasm: 'CompileError', fetch: 'blocked', inlineScript: 'blocked' });
    expect(await page.evaluate(() => fetch('/').then((r) => r.status))).toBe(200);
    expect(page.workers().length).toBeGreaterThan(0);
    for (const w of page.workers()) expect(await probe(w, `${hubA.origin}/probe`)).toEqual({ eval: 'EvalError', newFunction: 'EvalError', wasm: 'CompileError', fetch: 'blocked' });
    expect(hubA.hits()).toBe(0);

    // Configure hub A on the Models page: the page reloads into a policy that allows A, and only A.
    await page.locator('details summary').click();
    await page.getByTestId('hub-endpoint').fill(hubA.origin);
    await page.getByTestId('hub-id').fill('tiny-org/absent');
    await page.getByTestId('hub-download').click();
    // After the reload the download reaches hub A (which answers "ok" to everything, not a config.json).
    await expect(page.getByTestId('model-error')).toContainText('config.json: field "(file)" is not valid JSON');
    expect(hubA.hits()).toBeGreaterThan(0);
    const afterA = (await page.reload())!.headers()['content-security-policy'];
    expect(afterA).toContain(`connect-src 'self' ${hubA.origin};`);
    await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
    expect((await probe(page, `${hubA.origin}/probe`)).fetch).toBe('ok');
    expect((await probe(page, `${hubB.origin}/probe`)).fetch).toBe('blocked');
    expect((await probe(page, 'https://huggingface.co/')).fetch).toBe('blocked');
    const engine = page.workers().find((w) => /engine\.worker/.test(w.url()))!;
    expect((await probe(engine, `${hubA.origin}/probe`)).fetch).toBe('ok');
    expect((await probe(engine, `${hubB.origin}/probe`)).fetch).toBe('blocked');
    expect(hubB.hits()).toBe(0);
  } finally {
    await hubA.close();
    await hubB.close();
  }
});

test('the studio runs under the policy without a single violation: every page, the self-test, an import worker, a chat reply', async ({ page }) => {
  test.setTimeout(300_000);
  const violations = await watchViolations(page);
  await page.goto('/');
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await page.getByTestId('run-selftest').click();
  await expect(page.getByTestId('selftest-result')).toContainText('Verified');
  for (const s of ['models', 'tools', 'datasets', 'train', 'evaluate', 'chat']) {
    await page.getByTestId(`nav-${s}`).click();
    await expect(page).toHaveURL(new RegExp(`#/${s}$`));
  }
  await page.getByTestId('nav-models').click();
  await page.getByTestId('load-tiny').click(); // the tokenizer (transformers.js) and the chat template
  await expect(page.getByTestId('model-summary')).toBeVisible();
  await page.getByTestId('nav-tools').click();
  await page.getByTestId('load-sample-tools').click();
  await page.locator('[data-testid=tool-item][data-name=queryWeather]').click();
  await page.getByTestId('nav-datasets').click();
  await page.getByTestId('check-tool-set').selectOption('sample'); // the argument checker under the policy (interpreter)
  await page.getByTestId('dataset-file-input').setInputFiles(fileURLToPath(new URL('../fixtures/data/sft_bad.jsonl', import.meta.url)));
  await expect(page.locator('[data-testid=import-card][data-file="sft_bad.jsonl"] [data-testid=report-problems]')).toContainText('unknown tool "bookFlight"');
  await page.getByTestId('nav-chat').click();
  await page.getByTestId('chat-load').click();
  await expect(page.getByTestId('chat-model-info')).toContainText('parameters', { timeout: 60_000 });
  await page.getByTestId('chat-input').fill('明天北京天气');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-assistant').first()).toBeVisible({ timeout: 240_000 });
  expect(await violations.all()).toEqual([]);
});
