// The reward model in the studio, end to end in Chromium: train a short reward model on the tiny model with the
// sample pairs (its accuracy chart moves), score a pair in the reward inspector, reload and find the run. And a
// SEQ_CLS adapter trained elsewhere, imported on the Models page, loads in the inspector and scores the pairs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { applyYaml, openStudio } from './helpers/train-page.ts';
import { checkpointFiles } from '../../src/train/export.ts';
import type { HostTensor } from '../../src/train/checkpoint.ts';
import { Rng } from '../../src/util/rng.ts';

const CONFIG = `model_name: builtin:tiny
train_file: [data/rm_data.jsonl]
eval_file: data/rm_eval.jsonl
finetune: full
prompt_tools: none
max_steps: 6
batch_size: 4
max_seq_len: 256
learning_rate: 0.003
warmup_steps: 1
logging_steps: 1
save_every: 3
eval_every: 3
eval_max_examples: 6
`;

test('trains a reward model, scores a pair in the inspector, and keeps the run across a reload', async ({ page }) => {
  test.setTimeout(600_000);
  await openStudio(page);
  await page.getByTestId('method-rm').check();
  await page.getByText('YAML (import / export)').click();
  // The editor shows the reward model's defaults (TRL's RewardConfig keys) before ours replace them.
  await expect(page.getByTestId('config-yaml')).toHaveValue(/center_rewards_coefficient/);
  await applyYaml(page, CONFIG);

  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('charts')).toHaveAttribute('data-method', 'rm');
  // The accuracy chart moves: per-step train accuracy, then the held-out evaluations.
  const accuracy = page.getByTestId('rm-accuracy-chart');
  await expect.poll(async () => Number(await accuracy.getAttribute('data-points')), { timeout: 300_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('rm-margin-chart')).toBeVisible();
  await expect(page.getByTestId('rm-reward-chart')).toBeVisible();
  await expect(page.getByTestId('run-status').first()).toHaveText('done', { timeout: 400_000 });
  // 6 steps and the evaluations at steps 3 and 6.
  await expect.poll(async () => Number(await accuracy.getAttribute('data-points'))).toBe(8);
  await expect(page.getByTestId('run-method').first()).toHaveText('Reward model');
  await expect(page.getByTestId('run-final').first()).toContainText('held-out pair accuracy');

  // The reward inspector: load the run, score the first held-out pair's rejected side beside the rule reward.
  await page.getByTestId('nav-reward').click();
  await expect(page.getByTestId('reward-run')).toContainText('Reward model');
  await page.getByTestId('reward-load').click();
  await expect(page.getByTestId('reward-model-info')).toContainText('step 6', { timeout: 120_000 });
  await page.getByTestId('reward-row').fill('1');
  await page.getByTestId('reward-pick-rejected').click();
  await expect(page.getByTestId('reward-response')).not.toHaveValue('');
  await page.getByTestId('reward-score').click();
  await expect(page.getByTestId('reward-value')).toHaveText(/^-?\d+\.\d{4}$/, { timeout: 120_000 });
  const rejected = Number(await page.getByTestId('reward-value').textContent());
  await expect(page.getByTestId('reward-components')).toContainText('tool_name');
  await page.getByTestId('reward-pick-chosen').click();
  await page.getByTestId('reward-score').click();
  await expect.poll(async () => Number(await page.getByTestId('reward-value').textContent()), { timeout: 120_000 }).not.toBe(rejected);

  // After a reload the run is still listed, with its method, and its charts come back.
  await page.reload();
  await page.getByTestId('nav-train').click();
  await expect(page.getByTestId('run-method').first()).toHaveText('Reward model');
  await expect(page.getByTestId('run-status').first()).toHaveText('done');
  await expect.poll(async () => Number(await page.getByTestId('rm-accuracy-chart').getAttribute('data-points'))).toBe(8);
  await page.getByTestId('nav-reward').click();
  await expect(page.getByTestId('reward-run')).toContainText('step 6');
});

const dir = mkdtempSync(join(tmpdir(), 'reward-e2e-'));
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A SEQ_CLS PEFT adapter for the tiny model (hidden 64, 2 KV heads of 16): random LoRA on q/v and a random score head. */
function seqClsAdapter(): string[] {
  const rng = new Rng(21);
  const t = (shape: number[]): HostTensor => ({ shape, data: Float32Array.from({ length: shape[0] * shape[1] }, () => 0.2 * rng.normal()) });
  const weights: Record<string, HostTensor> = { 'score.weight': t([1, 64]) };
  for (let l = 0; l < 2; l++) {
    for (const [target, out] of [['q_proj', 64], ['v_proj', 32]] as const) {
      weights[`lora_A.${l}.${target}`] = t([4, 64]);
      weights[`lora_B.${l}.${target}`] = t([out, 4]);
    }
  }
  const ckpt = { runId: 'elsewhere', step: 1, weights, optimizer: { step: 1, m: {}, v: {} }, rng: new Rng(1).getState(), data: { epoch: 0, batch: 1 }, nonFiniteStreak: 0, createdAt: 1 };
  const files = checkpointFiles(ckpt, { finetune: 'lora', lora: { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj'] }, model_name: 'builtin:tiny' });
  const out = join(dir, 'rm-adapter');
  mkdirSync(out, { recursive: true });
  return Object.entries(files).map(([name, data]) => {
    writeFileSync(join(out, name), data);
    return join(out, name);
  });
}

test('an imported SEQ_CLS adapter loads in the reward inspector and scores a pair and a file of pairs', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/#/models');
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await page.getByTestId('import-file-input').setInputFiles(seqClsAdapter());
  await expect(page.getByTestId('import-base')).toHaveValue('builtin:tiny');
  await page.getByTestId('import-name').fill('rm from elsewhere');
  await page.getByTestId('import-confirm').click();
  await expect(page.getByTestId('import-notice')).toContainText('reward-model adapter', { timeout: 60_000 });
  const id = await page.getByTestId('import-row').getAttribute('data-id');

  await page.getByTestId('nav-reward').click();
  await expect(page.getByTestId('reward-run')).toContainText('rm from elsewhere (SEQ_CLS adapter on builtin:tiny)');
  await page.getByTestId('reward-run').selectOption(`import:${id}`);
  await page.getByTestId('reward-load').click();
  await expect(page.getByTestId('reward-model-info')).toHaveText('rm from elsewhere (imported)', { timeout: 120_000 });
  await page.getByTestId('reward-row').fill('1');
  await page.getByTestId('reward-pick-rejected').click();
  await page.getByTestId('reward-score').click();
  await expect(page.getByTestId('reward-value')).toHaveText(/^-?\d+\.\d{4}$/, { timeout: 120_000 });
  const rejected = Number(await page.getByTestId('reward-value').textContent());
  await page.getByTestId('reward-pick-chosen').click();
  await page.getByTestId('reward-score').click();
  await expect.poll(async () => Number(await page.getByTestId('reward-value').textContent()), { timeout: 120_000 }).not.toBe(rejected);
  await page.getByTestId('reward-score-pairs').click();
  await expect(page.getByTestId('reward-pairs-summary')).toContainText('pair accuracy', { timeout: 240_000 });
  expect(await page.getByTestId('reward-pair-row').count()).toBeGreaterThan(0);
  await expect(page.getByTestId('reward-error')).toHaveCount(0);
});
