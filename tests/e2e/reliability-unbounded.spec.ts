// Unbounded input in Chromium: a big dataset (200 MB in `npm run soak:reliability`, 20 MB in npm test) read
// and saved with the page responsive and the renderer's peak memory measured; a file of 1 MB lines; an
// OpenAPI document with 10,000 operations on the Tools page; a model folder whose config.json claims 10^12
// parameters, and one whose safetensors header claims more bytes than the file holds. The tab must never
// crash, and each refusal must say what is wrong. Figures are printed for docs/reliability.md.
import { mkdirSync, readFileSync, statSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Browser, type Page } from '@playwright/test';

const BIG_MB = Number(process.env.STUDIO_BIG_DATASET_MB ?? 20);
const TINY = fileURLToPath(new URL('../../public/models/tiny/', import.meta.url));
const dir = join(tmpdir(), `studio-unbounded-${process.pid}`);
mkdirSync(dir, { recursive: true });

/** Peak resident memory (VmHWM) of the browser's renderer processes, in MB, through the browser's process list. */
async function rendererPeakMB(browser: Browser): Promise<number> {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  await cdp.detach();
  let peak = 0;
  for (const p of processInfo.filter((x) => x.type === 'renderer')) {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      // the process ended
    }
  }
  return peak;
}

async function heartbeat(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { maxGap: number; last: number };
    w.maxGap = 0;
    w.last = performance.now();
    setInterval(() => {
      const now = performance.now();
      w.maxGap = Math.max(w.maxGap, now - w.last);
      w.last = now;
    }, 20);
  });
  return () => page.evaluate(() => (window as unknown as { maxGap: number }).maxGap);
}

function neverCrash(page: Page): string[] {
  const problems: string[] = [];
  page.on('crash', () => problems.push('the tab crashed'));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

test(`a ${BIG_MB} MB dataset is read and saved with the page responsive and the renderer's memory bounded`, async ({ page, browser }) => {
  test.setTimeout(Math.max(300_000, BIG_MB * 12_000));
  const problems = neverCrash(page);
  const file = join(dir, `big-${BIG_MB}mb.jsonl`);
  const out = createWriteStream(file);
  let lines = 0;
  let bytes = 0;
  while (bytes < BIG_MB * 2 ** 20) {
    const line = lines % 50_000 === 49_999
      ? '{"instruction": "broken", "output": }\n'
      : JSON.stringify({ instruction: '当前日期：2025-06-02（星期一），当前用户：马雨桐（E1001）', input: `第${lines}个问题：明天北京天气怎么样？请详细说明温度、湿度、风力和是否需要带伞。`.repeat(3), output: `{"tool_call": {"tool_name": "queryWeather", "parameters": {"city": "北京", "date": "2025-06-03"}}}` }) + '\n';
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
    bytes += Buffer.byteLength(line);
    lines++;
  }
  await new Promise<void>((r) => out.end(() => r()));
  const size = statSync(file).size;
  await page.goto('/#/datasets');
  const before = await rendererPeakMB(browser);
  const maxGap = await heartbeat(page);
  const t0 = Date.now();
  await page.getByTestId('dataset-file-input').setInputFiles(file);
  const card = page.getByTestId('import-card').first();
  await expect(card).toHaveAttribute('data-status', 'validated', { timeout: BIG_MB * 10_000 });
  const readSeconds = (Date.now() - t0) / 1000;
  const broken = Math.floor(lines / 50_000);
  await expect(card.getByTestId('report-summary')).toContainText(`${lines} records, ${lines - broken} valid, ${broken} invalid`);
  const t1 = Date.now();
  await card.getByTestId('import-save').click();
  await expect(card.getByTestId('import-saved')).toBeVisible({ timeout: BIG_MB * 10_000 });
  const saveSeconds = (Date.now() - t1) / 1000;
  await expect(page.locator('[data-testid=dataset-row] [data-testid=dataset-count]').first()).toHaveText(String(lines - broken));
  const gap = await maxGap();
  const peak = await rendererPeakMB(browser);
  console.log(`big dataset: ${(size / 2 ** 20).toFixed(0)} MB, ${lines} lines: read + validated in ${readSeconds.toFixed(1)} s, saved in ${saveSeconds.toFixed(1)} s; ` +
    `longest main-thread gap ${gap.toFixed(0)} ms; renderer peak RSS ${peak.toFixed(0)} MB (${before.toFixed(0)} MB before)`);
  expect(problems).toEqual([]);
  expect(gap).toBeLessThan(2000);
});

test('1 MB lines, a 10,000-operation OpenAPI document, a config claiming 10^12 parameters, a lying safetensors header', async ({ page, browser }) => {
  test.setTimeout(300_000);
  const problems = neverCrash(page);
  await page.goto('/#/datasets');
  const mb = 'x'.repeat(2 ** 20);
  const file = [
    JSON.stringify({ instruction: 'q', input: mb, output: 'queryWeather(city=北京)' }),
    JSON.stringify({ [mb]: 1 }),
    JSON.stringify({ instruction: 'q', output: JSON.stringify({ tool_call: { tool_name: mb, parameters: {} } }) }),
    `{"instruction": "${mb}`,
    JSON.stringify({ instruction: 'fine', output: 'queryWeather(city=上海)' }),
  ].join('\n');
  await page.getByTestId('dataset-file-input').setInputFiles({ name: 'mb-lines.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(file) });
  const card = page.getByTestId('import-card').first();
  await expect(card).toHaveAttribute('data-status', 'validated');
  await expect(card.getByTestId('report-summary')).toContainText('5 records, 1 valid, 4 invalid');
  const rows = card.locator('[data-testid=report-problems] tbody tr');
  await expect(rows).toHaveCount(4);
  for (const text of await rows.allTextContents()) expect(text.length).toBeLessThan(700);
  await expect(card.getByTestId('report-problems')).toContainText('longer than the context of 4096');

  // 10,000 operations: imported and listed.
  const paths: string[] = [];
  for (let i = 0; i < 5000; i++) {
    paths.push(`"/items${i}/{id}": {"get": {"operationId": "getItem${i}", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]}, "post": {"operationId": "addItem${i}", "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}}}`);
  }
  const spec = `{"openapi": "3.0.3", "info": {"title": "ten thousand"}, "paths": {${paths.join(', ')}}}`;
  await page.getByTestId('nav-tools').click();
  const maxGap = await heartbeat(page);
  const t0 = Date.now();
  await page.getByTestId('tools-file-input').setInputFiles({ name: 'big.json', mimeType: 'application/json', buffer: Buffer.from(spec) });
  await expect(page.locator('[data-testid=tool-set]')).toContainText('10000 tools', { timeout: 120_000 });
  // The list shows the first 200 and says how many more; the filter finds any of them.
  await expect(page.getByTestId('tool-item')).toHaveCount(200);
  await expect(page.getByTestId('tools-more')).toContainText('9800 more');
  await page.getByTestId('tool-filter').fill('addItem4999');
  await page.locator('[data-testid=tool-item][data-name=addItem4999]').click();
  await expect(page.getByTestId('tool-detail')).toHaveAttribute('data-name', 'addItem4999');
  console.log(`OpenAPI, 10,000 operations (${(spec.length / 2 ** 20).toFixed(1)} MB): imported and listed in ${((Date.now() - t0) / 1000).toFixed(1)} s, longest main-thread gap ${(await maxGap()).toFixed(0)} ms`);

  // A config.json that claims 10^12 parameters next to the tiny model's weights.
  const config = { ...JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8')), hidden_size: 8192, intermediate_size: 29568, num_hidden_layers: 1200, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 128, vocab_size: 152064 };
  const claimDir = join(dir, 'claims-1e12');
  mkdirSync(claimDir, { recursive: true });
  writeFileSync(join(claimDir, 'config.json'), JSON.stringify(config));
  for (const f of ['model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(claimDir, f), readFileSync(join(TINY, f)));
  await page.getByTestId('nav-models').click();
  await page.getByTestId('model-file-input').setInputFiles(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((f) => join(claimDir, f)));
  await expect(page.getByTestId('model-error')).toContainText(/config\.json describes 1\.1e12 parameters .* but the weights hold 296,000 in \d+: the config does not belong to these weights/);

  // A safetensors header that claims more bytes than the file holds (the file cut short).
  const cutDir = join(dir, 'truncated');
  mkdirSync(cutDir, { recursive: true });
  const weights = readFileSync(join(TINY, 'model.safetensors'));
  writeFileSync(join(cutDir, 'model.safetensors'), weights.subarray(0, Math.floor(weights.length / 2)));
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(cutDir, f), readFileSync(join(TINY, f)));
  await page.getByTestId('model-file-input').setInputFiles(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((f) => join(cutDir, f)));
  await expect(page.getByTestId('model-error')).toContainText(/model\.safetensors: tensor ".+": data ends at byte \d+ but the file has only \d+ bytes \(truncated file\)/);

  console.log(`renderer peak RSS after the hostile files: ${(await rendererPeakMB(browser)).toFixed(0)} MB`);
  expect(problems).toEqual([]);
});
