// Evaluate models in Chromium: two runs' checkpoints (the untrained tiny model and the same model trained on the
// first sample rows) evaluated on the sample held-out split in the worker, with progress; the comparison table with
// deltas and tests, the fixed examples with both outputs; the HTML export; the reports kept across a reload.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { seedRuns } from './helpers/seed-runs.ts';

test('two checkpoints on the sample split: comparison, changed examples, export, kept across a reload', async ({ page }) => {
  test.setTimeout(600_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/');
  await seedRuns(page, [
    { id: 'run-base', name: 'tiny-untrained', weights: 'public/models/tiny/model.safetensors', step: 1 },
    { id: 'run-sft', name: 'tiny-sft', weights: 'tests/fixtures/models/tiny-sft-eval12/model.safetensors', step: 180 },
  ]);
  await page.goto('/#/evaluate');
  await page.reload();
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await expect(page.getByTestId('no-evaluations')).toBeVisible();

  // The baseline first: untick the built-in model, tick the untrained run, then the trained one.
  await page.locator('[data-testid=eval-model][data-key=builtin]').uncheck();
  await page.locator('[data-testid=eval-model][data-key="run:run-base"]').check();
  await page.locator('[data-testid=eval-model][data-key="run:run-sft"]').check();
  await page.getByTestId('eval-limit').fill('6');
  await page.getByTestId('eval-max-tokens').fill('40');
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('eval-progress')).toContainText('model 1 of 2', { timeout: 60_000 });
  await expect(page.getByTestId('model-eval-notice')).toContainText('2 evaluations done and kept', { timeout: 480_000 });

  const table = page.getByTestId('comparison-table');
  await expect(table).toBeVisible();
  const tool = table.locator('tr[data-metric=toolAccuracy]');
  await expect(tool.locator('td[data-model="0"]')).toHaveText('0.0%');
  const trained = Number((await tool.locator('td[data-model="1"]').textContent())!.replace('%', ''));
  expect(trained).toBeGreaterThan(50);
  await expect(tool.locator('td[data-test="1"]')).toContainText('95% [');
  await expect(table.locator('tr[data-metric=chainSuccess] td[data-test="1"]')).toContainText('McNemar:');
  const fixed = Number(await page.getByTestId('changed-fixed-count').textContent());
  expect(fixed).toBeGreaterThan(0);
  const example = page.locator('[data-testid=changed-examples] details[data-kind=fixed] .example').first();
  await expect(example.locator('.side')).toHaveCount(2);
  await expect(example.locator('.side').nth(1)).toContainText('queryOrderStatus({"orderId"');
  await expect(page.getByTestId('per-tool-deltas')).toBeVisible();
  await expect(page.getByTestId('failure-causes-table').locator('tr[data-model]')).toHaveCount(2);

  // One self-contained HTML file: the comparison is in it, no script.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-html').click()]);
  const html = readFileSync(await download.path(), 'utf8');
  expect(html).toContain('McNemar');
  expect(html).toContain('tiny-sft');
  expect(html).not.toMatch(/<script/i);

  // Kept in IndexedDB: after a reload both evaluations are listed and compare again.
  await page.reload();
  await expect(page.getByTestId('evaluation')).toHaveCount(2);
  await page.locator('[data-testid=evaluation][data-model^=tiny-untrained] [data-testid=evaluation-pick]').check();
  await page.locator('[data-testid=evaluation][data-model^=tiny-sft] [data-testid=evaluation-pick]').check();
  await expect(page.getByTestId('comparison-table').locator('tr[data-metric=toolAccuracy] td[data-model="1"]')).toHaveText(`${trained.toFixed(1)}%`);
  expect(pageErrors).toEqual([]);
});

test('an evaluation shows its ETA and stops when cancelled', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/#/evaluate');
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await page.getByTestId('eval-data').selectOption('sample:data/eval_chains.jsonl');
  await page.getByTestId('eval-limit').fill('40');
  await page.getByTestId('eval-max-tokens').fill('96');
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('eval-eta')).toContainText('ETA', { timeout: 120_000 });
  await page.getByTestId('eval-cancel').click();
  await expect(page.getByTestId('model-eval-error')).toContainText('the evaluation was cancelled', { timeout: 60_000 });
  await expect(page.getByTestId('eval-run')).toBeEnabled();
  await expect(page.getByTestId('no-evaluations')).toBeVisible();
});
