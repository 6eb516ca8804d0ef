// No request leaves the machine, in Chromium: every request of a whole pipeline (page, import worker, engine
// worker) is recorded while the studio imports datasets, trains with SFT, scores a predictions file and
// chats, and each must go to the page's own origin; a hub download from a local stand-in hub (another origin)
// is then asked for, and the hub may appear only after that click. Requests the workers make (the tiny model's
// weights, the sample data the trainer reads) must be in the record, so the record is known to cover workers.
//
// Pipeline steps are one entry each in PIPELINE (GRPO from the SFT run and the reward model are entries; the model
// evaluation on the Evaluate page would join the same way).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { startHubServer, type HubServer } from '../helpers/hub-server.ts';
import { applyYaml, openStudio, trainRun } from './helpers/train-page.ts';

const TINY = fileURLToPath(new URL('../../public/models/tiny/', import.meta.url));
const FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];

const SFT = `model_name: builtin:tiny
train_file: [data/sft_data.jsonl]
eval_file: data/eval_data.jsonl
finetune: full
max_steps: 3
batch_size: 4
max_seq_len: 256
learning_rate: 0.003
warmup_steps: 1
logging_steps: 1
save_every: 2
eval_max_examples: 2
`;

const GRPO = `model_name: builtin:tiny
train_file: [data/ppo_data.jsonl]
eval_file: ''
prompt_tools: none
finetune: lora
lora: { r: 4, alpha: 8, dropout: 0, target_modules: [q_proj, v_proj] }
num_generations: 4
per_device_train_batch_size: 4
max_completion_length: 16
max_steps: 2
learning_rate: 0.001
logging_steps: 1
save_every: 2
`;

const RM = `model_name: builtin:tiny
train_file: [data/rm_data.jsonl]
eval_file: data/rm_eval.jsonl
finetune: full
prompt_tools: none
max_steps: 2
batch_size: 4
max_seq_len: 256
learning_rate: 0.003
logging_steps: 1
save_every: 2
eval_max_examples: 4
`;

const PIPELINE: { name: string; run: (page: Page) => Promise<void> }[] = [
  {
    name: 'import the sample datasets',
    run: async (page) => {
      await page.getByTestId('nav-datasets').click();
      await page.getByTestId('load-samples').click();
      const cards = page.getByTestId('import-card');
      await expect(cards).toHaveCount(7);
      for (let i = 0; i < 7; i++) await expect(cards.nth(i)).toHaveAttribute('data-status', 'validated', { timeout: 120_000 });
      await page.locator('[data-testid=import-card][data-file="sft_data.jsonl"]').getByTestId('import-save').click();
      await expect(page.locator('[data-testid=import-card][data-file="sft_data.jsonl"]').getByTestId('import-saved')).toBeVisible();
    },
  },
  {
    name: 'SFT (3 steps, a checkpoint, evaluation by generation)',
    run: async (page) => {
      await page.getByTestId('nav-train').click();
      await trainRun(page, SFT, { timeout: 400_000 });
    },
  },
  {
    name: 'GRPO from the SFT run (2 steps, the rule reward on the mock world)',
    run: async (page) => {
      await applyYaml(page, GRPO, 'grpo');
      // The start policy: the SFT run just trained (the first run listed after the base model).
      await page.getByTestId('rl-start-policy').selectOption({ index: 1 });
      await page.getByTestId('train-start').click();
      await expect(page.getByTestId('run-status').first()).toHaveText('done', { timeout: 300_000 });
      await expect(page.getByTestId('completion-row').first()).toBeVisible();
    },
  },
  {
    name: 'reward model (2 steps on the sample pairs, a held-out evaluation)',
    run: async (page) => {
      await applyYaml(page, RM, 'rm');
      await page.getByTestId('train-start').click();
      await expect(page.getByTestId('charts')).toHaveAttribute('data-method', 'rm');
      await expect(page.getByTestId('run-status').first()).toHaveText('done', { timeout: 300_000 });
    },
  },
  {
    name: 'evaluate a predictions file',
    run: async (page) => {
      await page.getByTestId('nav-evaluate').click();
      await page.getByTestId('load-sample-gold').click();
      await page.getByTestId('pred-file-input').setInputFiles({ name: 'pred.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(JSON.stringify({ id: 'line-1', output: 'queryWeather(city=北京)' })) });
      await page.getByTestId('run-eval').click();
      await expect(page.getByTestId('eval-report')).toBeVisible();
    },
  },
  {
    name: 'chat (the tiny model answers in the engine worker)',
    run: async (page) => {
      await page.getByTestId('nav-chat').click();
      await page.getByTestId('chat-load').click();
      await expect(page.getByTestId('chat-model-info')).toContainText('parameters', { timeout: 60_000 });
      await page.getByTestId('chat-input').fill('明天北京天气');
      await page.getByTestId('chat-send').click();
      await expect(page.getByTestId('chat-assistant').first()).toBeVisible({ timeout: 240_000 });
    },
  },
];

let hub: HubServer;
test.beforeAll(async () => {
  hub = await startHubServer({ 'tiny-org/tiny-qwen': new Map(FILES.map((f) => [f, new Uint8Array(fs.readFileSync(TINY + f))])) });
});
test.afterAll(async () => hub.close());

test('a whole pipeline requests only the page origin, and the hub only after a download is asked for', async ({ page, context, baseURL }) => {
  test.setTimeout(900_000);
  const origin = new URL(baseURL!).origin;
  const requests: { url: string; step: string }[] = [];
  let step = 'open the studio';
  context.on('request', (r) => {
    if (!/^(data|blob):/.test(r.url())) requests.push({ url: r.url(), step });
  });
  await openStudio(page, '/');
  for (const s of PIPELINE) {
    step = s.name;
    await s.run(page);
  }
  const offOrigin = requests.filter((r) => new URL(r.url).origin !== origin);
  const counted = requests.length;
  // The record covers the workers: the engine worker fetched the tiny model and the trainer's sample files.
  expect(requests.some((r) => r.url.endsWith('/models/tiny/model.safetensors'))).toBe(true);
  expect(requests.some((r) => r.url.endsWith('/data/sft_data.jsonl') && r.step.startsWith('SFT'))).toBe(true);
  expect(requests.some((r) => r.url.endsWith('/data/ppo_data.jsonl') && r.step.startsWith('GRPO'))).toBe(true);
  expect(requests.some((r) => r.url.endsWith('/data/rm_data.jsonl') && r.step.startsWith('reward model'))).toBe(true);
  expect(hub.log).toEqual([]);

  // Now the user asks for a hub download: the hub appears, from that click on, and nothing else new.
  step = 'hub download';
  await page.getByTestId('nav-models').click();
  await page.locator('details summary').click();
  await page.getByTestId('hub-endpoint').fill(hub.endpoint);
  await page.getByTestId('hub-id').fill('tiny-org/tiny-qwen');
  const before = requests.length;
  expect(requests.filter((r) => r.url.startsWith(hub.endpoint))).toEqual([]);
  await page.getByTestId('hub-download').click();
  await expect(page.getByTestId('model-summary')).toHaveAttribute('data-source', 'hub', { timeout: 120_000 });
  const later = requests.slice(before).map((r) => new URL(r.url).origin);
  expect(later).toContain(hub.endpoint);
  expect([...new Set(later)].sort()).toEqual([hub.endpoint, origin].sort());

  console.log(`privacy: ${counted} requests over ${PIPELINE.length} pipeline steps (${PIPELINE.map((s) => s.name).join('; ')}), ${offOrigin.length} off the page's origin; ` +
    `then ${requests.length - before} for the hub download, to ${[...new Set(later)].join(' and ')}`);
  expect(offOrigin).toEqual([]);
});
