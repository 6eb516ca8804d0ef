// SFT in the studio, end to end in Chromium: tiny model + sample data, loss chart moves, reload, resume, export.
import { expect, test } from '@playwright/test';

const CONFIG = `model_name: builtin:tiny
train_file: [data/sft_data.jsonl]
eval_file: data/eval_data.jsonl
finetune: full
max_steps: 6
batch_size: 4
max_seq_len: 256
learning_rate: 0.003
warmup_steps: 1
logging_steps: 1
save_every: 2
eval_max_examples: 2
`;

test('trains, survives a reload, resumes from its checkpoint and exports the weights', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/#/train');
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await page.getByText('YAML (import / export)').click();
  await page.getByTestId('config-yaml').fill(CONFIG);
  await page.getByTestId('apply-yaml').click();
  await expect(page.getByTestId('config-errors')).toHaveCount(0);

  await page.getByTestId('train-start').click();
  const chart = page.getByTestId('loss-chart');
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('train-log')).toContainText('checkpoint saved at step 2', { timeout: 240_000 });
  const lossBefore = await page.getByTestId('train-stats').textContent();
  expect(lossBefore).toMatch(/loss \d+\.\d+/);

  // A reload ends the run mid-way (as a crashed tab would); the run and its curve are still there.
  await page.reload();
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await expect(page.getByTestId('run-status').first()).toHaveText('paused');
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(2);

  await page.getByTestId('train-resume').click();
  await expect(page.getByTestId('train-log')).toContainText('resumed from checkpoint at step', { timeout: 60_000 });
  await expect(page.getByTestId('run-status').first()).toHaveText('done', { timeout: 400_000 });
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBe(6);

  const download = page.waitForEvent('download');
  await page.getByTestId('export-adapter').click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/step6-model\.safetensors$/);
});
