// Models page in a real Chromium: the built-in tiny model, a hub download from a local server with the hub's
// URL layout (progress, persistent cache across a reload, clear 404), and a dropped model folder.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { startHubServer, type HubServer } from '../helpers/hub-server.ts';

const TINY = fileURLToPath(new URL('../../public/models/tiny/', import.meta.url));
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
let hub: HubServer;

test.beforeAll(async () => {
  hub = await startHubServer({ 'tiny-org/tiny-qwen': new Map(FILES.map((f) => [f, new Uint8Array(fs.readFileSync(TINY + f))])) });
});
test.afterAll(async () => hub.close());

test('built-in tiny model: config, tokenizer and the chat template with tools', async ({ page }) => {
  await page.goto('/#/models');
  await page.getByTestId('load-tiny').click();
  const summary = page.getByTestId('model-summary');
  await expect(summary).toBeVisible();
  await expect(summary.getByTestId('model-arch')).toHaveText('Qwen3ForCausalLM');
  await expect(summary.getByTestId('model-vocab')).toHaveText('3467 / 3467');
  await expect(summary.getByTestId('sample-prompt')).toContainText('# Tools\nqueryWeather(city, date?)');
  await expect(summary.getByTestId('sample-prompt')).toContainText('<tool_call>\n{"name": "queryWeather", "arguments": {"city": "Beijing", "date": "2025-06-03"}}\n</tool_call>');
  // The highlighted (trained) runs are exactly the two assistant turns.
  await expect(summary.locator('[data-trained=yes]')).toHaveText([
    '<tool_call>\n{"name": "queryWeather", "arguments": {"city": "Beijing", "date": "2025-06-03"}}\n</tool_call><|im_end|>',
    'No rain is expected in Beijing tomorrow.<|im_end|>',
  ]);
});

test('hub download from a local hub: resume after a dropped connection, cached across a reload, clear 404', async ({ page }) => {
  await page.goto('/#/models');
  await page.getByTestId('hub-id').fill('tiny-org/tiny-qwen');
  await page.locator('details summary').click();
  await page.getByTestId('hub-endpoint').fill(hub.endpoint);
  // The first attempt loses its connection part-way through the weights.
  hub.cutNext('model.safetensors', 300_000);
  await page.getByTestId('hub-download').click();
  await expect(page.getByTestId('model-error')).toContainText('interrupted at 300000 of');
  await page.getByTestId('hub-download').click();
  await expect(page.getByTestId('model-summary')).toHaveAttribute('data-source', 'hub');
  await expect(page.getByTestId('model-name')).toHaveText('tiny-org/tiny-qwen');
  await expect(page.getByTestId('model-progress')).toContainText('100%');
  const weightsFetched = () => hub.log.filter((r) => r.path.endsWith('model.safetensors') && r.status !== 302).length;
  // The retry asked only for the missing bytes.
  const weightRequests = hub.log.filter((r) => r.path.endsWith('model.safetensors') && r.status !== 302);
  expect(weightRequests.map((r) => [r.status, r.range ?? null])).toEqual([[200, null], [206, 'bytes=300000-']]);
  expect(weightsFetched()).toBe(2);

  // Second visit: the endpoint setting persisted, and nothing is downloaded again.
  await page.reload();
  await expect(page.getByTestId('hub-endpoint')).toHaveValue(hub.endpoint);
  await page.getByTestId('hub-id').fill('tiny-org/tiny-qwen');
  await page.getByTestId('hub-download').click();
  await expect(page.getByTestId('model-summary')).toBeVisible();
  expect(weightsFetched()).toBe(2);

  await page.getByTestId('hub-id').fill('tiny-org/missing');
  await page.getByTestId('hub-download').click();
  await expect(page.getByTestId('model-error')).toContainText('Not found (HTTP 404)');
  await expect(page.getByTestId('model-error')).toContainText('Check the model id "tiny-org/missing"');
});

test('dropped model folder', async ({ page }) => {
  await page.goto('/#/models');
  await page.getByTestId('model-file-input').setInputFiles(FILES.map((f) => TINY + f));
  await expect(page.getByTestId('model-summary')).toHaveAttribute('data-source', 'folder');
  await expect(page.getByTestId('model-params')).toHaveText('296,000');
  // A folder without weights says so.
  await page.getByTestId('model-file-input').setInputFiles([TINY + 'config.json', TINY + 'tokenizer.json']);
  await expect(page.getByTestId('model-error')).toContainText('neither model.safetensors nor model.safetensors.index.json');
});
