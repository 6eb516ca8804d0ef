// Hostile text everywhere the studio shows user-controlled text, in Chromium with the Content-Security-Policy
// bypassed (so what is measured is the rendering, not the policy that would also stop it): HTML, script, SVG,
// event-handler, javascript: URL, markdown-link and template strings in a dataset's fields, file and dataset
// names, tool names and descriptions, an OpenAPI document, model output (a predictions file), a run's name,
// config and log. Every page is visited. The test fails on any dialog, page error or console error, on any
// payload code running (window.__pwned), and on any element or attribute a payload could create (a
// MutationObserver from document start records elements carrying data-pwn, on* handler attributes,
// javascript: URLs, and script/iframe/object/embed elements the studio did not load itself).
import { expect, test } from '@playwright/test';

test.use({ bypassCSP: true });

const PAYLOADS = [
  '<img src=x data-pwn onerror="window.__pwned=1;alert(1)">',
  '<script data-pwn>window.__pwned=2;alert(2)</script>',
  '<svg data-pwn onload="window.__pwned=3;alert(3)"><circle r="9"/></svg>',
  '<a data-pwn href="javascript:window.__pwned=4;alert(4)">click me</a>',
  '[click me](javascript:window.__pwned=5;alert(5))',
  '![logo](javascript:alert(6))',
  '"><iframe data-pwn src="javascript:alert(7)"></iframe>',
  "'><details data-pwn open ontoggle=\"window.__pwned=8;alert(8)\">",
  '<style data-pwn>body{display:none}</style>',
  '{{constructor.constructor("window.__pwned=9;alert(9)")()}}',
  '${window.__pwned=10}',
  '<math data-pwn><mtext><table><mglyph><style><img src=x onerror="window.__pwned=11">',
  'javascript:alert(12)',
  '&lt;b data-pwn&gt;entity&lt;/b&gt;',
  '<b data-pwn onmouseover="window.__pwned=13">bold</b>',
  '\u202e<i data-pwn>reversed</i>',
  '<object data-pwn data="javascript:alert(14)"></object><embed data-pwn src="javascript:alert(15)">',
];
const P = (i: number) => PAYLOADS[i % PAYLOADS.length];

/**
 * Installed before any page script, on every navigation: reports at once (through an exposed function, so a
 * reload loses nothing) everything a payload could have created, and any payload code that runs.
 */
function watch() {
  const report = (msg: string) => (window as unknown as { __studioInjected: (m: string) => void }).__studioInjected(msg);
  Object.defineProperty(window, '__pwned', { configurable: false, set: (v) => report(`payload code ran: __pwned = ${v}`), get: () => undefined });
  const check = (el: Element) => {
    const tag = el.tagName.toLowerCase();
    const why: string[] = [];
    if (el.hasAttribute('data-pwn')) why.push('data-pwn');
    for (const a of el.attributes) {
      if (/^on/i.test(a.name)) why.push(`handler ${a.name}`);
      if (/^\s*javascript:/i.test(a.value)) why.push(`${a.name}=javascript:`);
    }
    if (['iframe', 'object', 'embed', 'frame'].includes(tag)) why.push(tag);
    if (tag === 'script' && !(el as HTMLScriptElement).src.startsWith(location.origin)) why.push('script');
    if (why.length) report(`injected <${tag}> (${why.join(', ')}): ${el.outerHTML.slice(0, 120)}`);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes' && r.target instanceof Element) check(r.target);
      for (const n of r.addedNodes) {
        if (n instanceof Element) {
          check(n);
          n.querySelectorAll('*').forEach(check);
        }
      }
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
}

test('no payload runs and no element is injected, on any page', async ({ page }) => {
  test.setTimeout(240_000);
  const problems: string[] = [];
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  await page.exposeFunction('__studioInjected', (m: string) => problems.push(m));
  await page.addInitScript(watch);
  await page.goto('/');
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');

  // ---- a dataset: every field, call names, argument keys and values, tools carried by a record, a broken line
  const rows = [
    { instruction: P(0), input: P(1), output: JSON.stringify({ tool_call: { tool_name: 'queryWeather', parameters: { city: P(2), date: P(3) } } }) },
    { instruction: P(4), input: '', output: JSON.stringify({ tool_call: { tool_name: P(5), parameters: { [P(6)]: P(7) } } }) },
    { instruction: '订会议室', input: P(8), output: `bookRoom(room="${P(9).replace(/"/g, "'")}", note=${JSON.stringify(P(10))})` },
    { instruction: P(11), input: P(12), output: P(13) }, // a plain-text answer
    { messages: [{ role: 'system', content: P(14) }, { role: 'user', content: P(15) }, { role: 'assistant', content: P(16) }], tools: [{ type: 'function', function: { name: 'x', description: P(0), parameters: { type: 'object', properties: { [P(1)]: { type: 'string', description: P(2) } } } } }] },
  ];
  const jsonl = [...rows.map((r) => JSON.stringify(r)), `{"instruction": "${P(3).replace(/"/g, '\\"')}", "output": }`].join('\n');
  await page.getByTestId('nav-datasets').click();
  await page.getByTestId('dataset-file-input').setInputFiles({ name: `${P(0)}.jsonl`, mimeType: 'application/jsonl', buffer: Buffer.from(jsonl) });
  const card = page.getByTestId('import-card').first();
  await expect(card).toHaveAttribute('data-status', 'validated');
  await expect(card.getByTestId('report-problems')).toContainText('JSON syntax error');
  await card.getByTestId('draft-tools').click(); // payload tool names in the draft editor and its problems
  await expect(card.getByTestId('draft-problems')).toContainText('tool name must be an identifier');
  await card.getByTestId('import-name').fill(P(2));
  await card.getByTestId('import-save').click();
  await expect(card.getByTestId('import-saved')).toBeVisible();
  const row = page.getByTestId('dataset-row').first();
  await expect(row.getByTestId('dataset-count')).toHaveText('5');
  await row.getByTestId('dataset-preview').click();
  await expect(page.getByTestId('dataset-preview-panel').getByTestId('example').first()).toBeVisible();
  await row.getByTestId('dataset-rename').click();
  await page.getByTestId('rename-input').fill(P(1));
  await page.getByTestId('rename-ok').click();
  await expect(page.getByTestId('dataset-name').first()).toHaveText(P(1));

  // ---- a tool set: bad names, payload descriptions, parameter names, descriptions and enum values
  const tools = [
    { type: 'function', function: { name: P(0), description: P(1), parameters: { type: 'object', properties: {} } } },
    { type: 'function', function: { name: 'safe_name', description: P(3), parameters: { type: 'object', properties: { [P(4)]: { type: 'string', description: P(5), enum: [P(6), P(7)] }, date: { type: 'string', pattern: P(8) } }, required: [P(4)] } } },
  ];
  await page.getByTestId('nav-tools').click();
  await page.getByTestId('tools-file-input').setInputFiles({ name: `${P(9)}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tools)) });
  await expect(page.getByTestId('import-errors')).toContainText('tool name must be an identifier');
  await page.locator('[data-testid=tool-item][data-name=safe_name]').click();
  await expect(page.getByTestId('tool-detail')).toContainText(P(3));
  await page.getByTestId('tool-json').evaluate((el) => ((el.parentElement as HTMLDetailsElement).open = true));
  await page.getByTestId('try-args').fill(JSON.stringify({ [P(4)]: P(10) }));
  await page.getByTestId('try-run').click();
  await expect(page.getByTestId('try-outcome')).toBeVisible();

  // ---- an OpenAPI document: title, operation ids, summaries, parameter names and descriptions, a header
  const q = (s: string) => JSON.stringify(s); // YAML accepts JSON strings
  const openapi = [
    'openapi: 3.0.3',
    `info: { title: ${q(P(11))}, version: "1" }`,
    'paths:',
    `  ${q('/rooms/{id}')}:`,
    '    get:',
    `      operationId: ${q(P(12))}`,
    `      summary: ${q(P(13))}`,
    `      description: ${q(P(14))}`,
    '      parameters:',
    `        - { name: id, in: path, required: true, description: ${q(P(15))}, schema: { type: string } }`,
    `        - { name: ${q(P(16))}, in: query, schema: { type: string, enum: [${q(P(0))}] } }`,
    `        - { name: ${q(P(1))}, in: header, schema: { type: string } }`,
    `  ${q(`/x/${P(2)}`)}:`,
    '    post:',
    `      operationId: upload`,
    '      requestBody: { content: { multipart/form-data: { schema: { type: object, properties: { f: { type: string, format: binary } } } } } }',
  ].join('\n');
  await page.getByTestId('tools-file-input').setInputFiles({ name: `${P(3)}.yaml`, mimeType: 'application/yaml', buffer: Buffer.from(openapi) });
  await expect(page.locator('[data-testid=tool-set]').filter({ hasText: 'OpenAPI' })).toBeVisible();
  const opTool = page.locator('[data-testid=tool-set]').filter({ hasText: 'OpenAPI' }).getByTestId('tool-item').first();
  await opTool.click();
  await expect(page.getByTestId('tool-detail')).toBeVisible();
  await page.locator('[data-testid=import-warnings] summary').first().click();

  // ---- model output: a predictions file scored against a gold file, with payload ids, names and text
  await page.getByTestId('nav-evaluate').click();
  const gold = [
    { id: P(4), calls: [{ name: P(5), arguments: { [P(6)]: P(7) } }] },
    { id: 'r2', calls: [{ name: 'queryWeather', arguments: { city: 'Beijing' } }] },
  ];
  const pred = [
    { id: P(4), output: `${P(8)}\n<tool_call>\n${JSON.stringify({ name: P(9), arguments: { [P(10)]: P(11) } })}\n</tool_call>` },
    { id: 'r2', output: `<think>${P(12)}</think>${P(13)}` },
    { id: P(14), output: P(15) },
    `not json ${P(16)}`,
  ];
  const lines = (xs: unknown[]) => Buffer.from(xs.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n'));
  await page.getByTestId('gold-file-input').setInputFiles({ name: `${P(0)}.jsonl`, mimeType: 'application/jsonl', buffer: lines(gold) });
  await page.getByTestId('pred-file-input').setInputFiles({ name: `${P(1)}.jsonl`, mimeType: 'application/jsonl', buffer: lines(pred) });
  await page.getByTestId('run-eval').click();
  await expect(page.getByTestId('failures')).toContainText('step 1');
  await page.getByTestId('eval-problems').locator('summary').click().catch(() => {});

  // ---- a run: name, config, error and log lines as stored in IndexedDB
  await page.evaluate(async (p) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('tool-use-studio-runs');
      r.onupgradeneeded = () => r.result.createObjectStore('runs');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const tx = db.transaction('runs', 'readwrite');
    const os = tx.objectStore('runs');
    const id = 'sft-hostile';
    os.put({ id, method: 'sft', name: p[0], config: { model_name: p[1], train_file: [p[2]] }, status: 'failed', error: p[3], createdAt: Date.now(), updatedAt: Date.now(), totalSteps: 4, step: 2 }, `run:${id}`);
    os.put([{ step: 1, totalSteps: 4, epoch: 0, loss: 2, learningRate: 1e-3, gradNorm: 1, tokensPerSecond: 1, stepMs: 1, gpuBytes: 1, skipped: false, etaSeconds: 1 }], `metrics:${id}`);
    os.put([p[4], p[5], p[6]], `log:${id}`);
    await new Promise<void>((resolve) => (tx.oncomplete = () => resolve()));
    db.close();
  }, PAYLOADS);
  await page.getByTestId('nav-train').click();
  await page.getByTestId('runs').getByRole('button', { name: P(0) }).click();
  await expect(page.getByTestId('train-log')).toContainText(P(4));

  // ---- every page once more, after everything is stored, and after a reload
  for (const reload of [false, true]) {
    if (reload) await page.reload();
    for (const s of ['models', 'tools', 'datasets', 'train', 'evaluate', 'chat']) {
      await page.getByTestId(`nav-${s}`).click();
      await expect(page).toHaveURL(new RegExp(`#/${s}$`));
      await page.waitForTimeout(300);
    }
    await page.goto('/#/');
  }
  await page.getByTestId('nav-datasets').click();
  // The payloads are on the page, as text: the positive control that they were rendered at all.
  await expect(page.getByTestId('dataset-name').first()).toHaveText(P(1));
  expect(problems).toEqual([]);
});
