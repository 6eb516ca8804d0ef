// Datasets page in a real Chromium: drop the sample files and a broken file, read the reports (broken
// lines by number), save to IndexedDB, and find the datasets again after a reload.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

const path = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const SAMPLES = ['sft_data.jsonl', 'rm_data.jsonl', 'ppo_data.jsonl', 'chains_data.jsonl'];

test('drop samples and a broken file, see the report, save, and keep the datasets across a reload', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/#/datasets');
  await expect(page.getByTestId('no-datasets')).toBeVisible();
  // Check the calls against the sample tool set (the default checks structure only).
  await page.getByTestId('check-tool-set').selectOption('sample');

  await page.getByTestId('dataset-file-input').setInputFiles([...SAMPLES.map((f) => path(`public/data/${f}`)), path('tests/fixtures/data/sft_bad.jsonl')]);
  const cards = page.getByTestId('import-card');
  await expect(cards).toHaveCount(5);
  for (let i = 0; i < 5; i++) await expect(cards.nth(i)).toHaveAttribute('data-status', 'validated');

  // Each file's kind is detected.
  const kindOf = (file: string) => page.locator(`[data-testid=import-card][data-file="${file}"] [data-testid=import-kind]`);
  await expect(kindOf('sft_data.jsonl')).toHaveText('sft');
  await expect(kindOf('rm_data.jsonl')).toHaveText('rm');
  await expect(kindOf('ppo_data.jsonl')).toHaveText('ppo');
  await expect(kindOf('chains_data.jsonl')).toHaveText('conversational');

  // The sample files are clean; the broken file lists its bad lines by number.
  const sftCard = page.locator('[data-testid=import-card][data-file="sft_data.jsonl"]');
  await expect(sftCard.getByTestId('report-summary')).toContainText('1200 valid');
  const broken = page.locator('[data-testid=import-card][data-file="sft_bad.jsonl"]');
  await expect(broken.getByTestId('report-summary')).toContainText('invalid');
  const lines = await broken.locator('[data-testid=report-problems] tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-line'))));
  expect(lines).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 13]);
  await expect(broken.getByTestId('report-problems')).toContainText('JSON syntax error at column 137');
  await expect(broken.getByTestId('report-problems')).toContainText('unknown tool "bookFlight"');
  await expect(broken.getByTestId('report-counts')).toContainText('duplicate 1');

  // Save every file's good examples.
  for (const file of [...SAMPLES, 'sft_bad.jsonl']) {
    const card = page.locator(`[data-testid=import-card][data-file="${file}"]`);
    await card.getByTestId('import-save').click();
    await expect(card.getByTestId('import-saved')).toBeVisible();
  }
  const rows = page.getByTestId('dataset-row');
  await expect(rows).toHaveCount(5);

  // A preview renders the examples as text.
  await page.locator('[data-testid=dataset-row][data-name="chains_data"]').getByTestId('dataset-preview').click();
  const previewed = page.getByTestId('dataset-preview-panel').getByTestId('example');
  await expect(previewed).toHaveCount(20);
  await expect(previewed.first()).toContainText(/当前日期|Current date/);
  await expect(previewed.first()).toContainText('"date":"2025-06-');

  // Rename one, delete one, then reload: the list survives.
  const sftBad = page.locator('[data-testid=dataset-row][data-name="sft_bad"]');
  await sftBad.getByTestId('dataset-rename').click();
  await page.getByTestId('rename-input').fill('hand-written bad file');
  await page.getByTestId('rename-ok').click();
  await expect(page.locator('[data-testid=dataset-row][data-name="hand-written bad file"]')).toHaveCount(1);
  await page.locator('[data-testid=dataset-row][data-name="ppo_data"]').getByTestId('dataset-delete').click();
  await expect(rows).toHaveCount(4);

  await page.reload();
  await expect(page.getByTestId('dataset-row')).toHaveCount(4);
  const names = await page.getByTestId('dataset-name').allTextContents();
  expect(names.sort()).toEqual(['chains_data', 'hand-written bad file', 'rm_data', 'sft_data']);
  await expect(page.locator('[data-testid=dataset-row][data-name="sft_data"] [data-testid=dataset-count]')).toHaveText('1200');
  await expect(page.locator('[data-testid=dataset-row][data-name="hand-written bad file"] [data-testid=dataset-kind]')).toHaveText('sft');

  // Export gives TRL conversational JSONL, one line per stored example.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('[data-testid=dataset-row][data-name="rm_data"]').getByTestId('dataset-export').click(),
  ]);
  expect(download.suggestedFilename()).toBe('rm_data.trl.jsonl');
  const exported = readFileSync((await download.path())!, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  expect(exported).toHaveLength(600);
  // TRL's three columns, and the pair's rejection kind, kept for per-kind reward-model accuracy.
  expect(Object.keys(exported[0])).toEqual(['prompt', 'chosen', 'rejected', 'rejection_kind']);
  expect(exported[0].prompt[0].role).toBe('system');

  // Dropping a file again says its examples are already stored.
  await page.getByTestId('dataset-file-input').setInputFiles(path('public/data/sft_data.jsonl'));
  await expect(page.getByTestId('import-same-content')).toContainText('already stored as “sft_data”');
  expect(pageErrors).toEqual([]);
});

test('a dropped CSV gets one clear message and nothing to save', async ({ page }) => {
  await page.goto('/#/datasets');
  const dataTransfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['instruction,input,output\n明天北京天气,,queryWeather\n'], 'table.csv', { type: 'text/csv' }));
    return dt;
  });
  await page.getByTestId('dataset-drop').dispatchEvent('drop', { dataTransfer });
  const card = page.locator('[data-testid=import-card][data-file="table.csv"]');
  await expect(card.getByTestId('report-problems').locator('tbody tr')).toHaveCount(1);
  await expect(card.getByTestId('report-problems')).toContainText('looks like a CSV');
  await expect(card.getByTestId('import-save')).toHaveCount(0);
});

test('a large file is read in the worker with a progress bar while the page stays responsive', async ({ page }) => {
  await page.goto('/#/datasets');
  // ~35 MB of sft rows built in the page (distinct lines, one broken every 10,000).
  const file = await page.evaluateHandle(() => {
    const parts: string[] = [];
    for (let i = 0; i < 60_000; i++) {
      parts.push(
        i % 10_000 === 9_999
          ? '{"instruction": "broken", "output": }\n'
          : JSON.stringify({ instruction: `当前日期：2025-06-02（星期一），当前用户：马雨桐（E1001）`, input: `第${i}个问题：明天北京天气怎么样？请详细说明温度、湿度、风力和是否需要带伞。`.repeat(3), output: `{"tool_call": {"tool_name": "queryWeather", "parameters": {"city": "北京", "date": "2025-06-03"}}}` }) + '\n',
      );
    }
    const dt = new DataTransfer();
    dt.items.add(new File(parts, 'big.jsonl'));
    return dt;
  });
  const size = await file.evaluate((dt) => dt.files[0].size);
  expect(size).toBeGreaterThan(15_000_000);

  // A heartbeat on the main thread: the longest gap between 20 ms ticks while the worker reads.
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
  await page.getByTestId('dataset-drop').dispatchEvent('drop', { dataTransfer: file });
  const card = page.locator('[data-testid=import-card][data-file="big.jsonl"]');
  const progress = card.getByTestId('import-progress');
  await expect(progress).toBeVisible();
  await expect(card).toHaveAttribute('data-status', 'validated', { timeout: 120_000 });
  await expect(card.getByTestId('report-summary')).toContainText('60000 records, 59994 valid, 6 invalid');
  const lines = await card.locator('[data-testid=report-problems] tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-line'))));
  expect(lines).toEqual([10000, 20000, 30000, 40000, 50000, 60000]);
  const maxGap = await page.evaluate(() => (window as unknown as { maxGap: number }).maxGap);
  console.log(`large import: ${(size / 1e6).toFixed(1)} MB, longest main-thread gap ${maxGap.toFixed(0)} ms`);
  // Validating on the main thread would freeze it for the whole read (seconds); measured here: 36-88 ms.
  // The bound leaves room for a loaded CI machine.
  expect(maxGap).toBeLessThan(1000);
});
