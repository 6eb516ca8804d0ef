// SFT in the studio, end to end in Chromium: tiny model + sample data, loss chart moves, reload, resume, export.
import { expect, test } from '@playwright/test';
import { applyYaml, openStudio, reloadStudio, tinySftYaml } from './helpers/train-page.ts';

// 40 steps, not 6: the tiny model steps in about 0.3 s on a fast machine, and the reload below must land before
// the run ends (the killed-tab harness missed its kill that way with 10 steps in CI, 2026-12-06).
const STEPS = 40;
const CONFIG = tinySftYaml({ eval_file: 'data/eval_data.jsonl', eval_max_examples: 2, max_steps: STEPS });

test('trains, survives a reload, resumes from its checkpoint and exports the weights', async ({ page }) => {
  test.setTimeout(600_000);
  await openStudio(page);
  await applyYaml(page, CONFIG);

  await page.getByTestId('train-start').click();
  const chart = page.getByTestId('loss-chart');
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('train-log')).toContainText('checkpoint saved at step 2', { timeout: 240_000 });
  const lossBefore = await page.getByTestId('train-stats').textContent();
  expect(lossBefore).toMatch(/loss \d+\.\d+/);

  // A reload ends the run mid-way (as a crashed tab would); the run and its curve are still there.
  await reloadStudio(page);
  await expect(page.getByTestId('run-status').first()).toHaveText('paused');
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);

  await page.getByTestId('train-resume').click();
  await expect(page.getByTestId('train-log')).toContainText('resumed from checkpoint at step', { timeout: 60_000 });
  await expect(page.getByTestId('run-status').first()).toHaveText('done', { timeout: 400_000 });
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBe(STEPS);

  const download = page.waitForEvent('download');
  await page.getByTestId('export-adapter').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(new RegExp(`step${STEPS}-model\\.safetensors$`));
});
