// GRPO and PPO in the studio, end to end in Chromium on SwiftShader WebGPU: a short GRPO run from a (seeded) SFT
// run's checkpoint with the pipeline's rule reward and the mock executors (reward chart gets points, the completions
// table fills with text rendered as text, a reload mid-run resumes to the end, the run is a chat policy), and a
// short PPO run of the built-in tiny model (value-loss chart gets points, a pause inside a rollout resumes, held-out
// episodes are scored, its adapter exports without the critic).
import { expect, test, type Page } from '@playwright/test';
import { seedRuns } from './helpers/seed-runs.ts';
import { applyYaml, openStudio, reloadStudio } from './helpers/train-page.ts';

const SFT = { id: 'run-sft', name: 'tiny-sft', weights: 'tests/fixtures/models/tiny-sft-eval12/model.safetensors', step: 180 };

const RL_COMMON = `train_file: [data/ppo_data.jsonl]
eval_file: ''
prompt_tools: none
finetune: lora
lora: { r: 4, alpha: 8, dropout: 0, target_modules: [q_proj, v_proj] }
learning_rate: 0.001
logging_steps: 1
max_turns: 1
`;

// The SFT fixture was fit on the held-out split's first rows: on those prompts it writes real calls, so the
// completions table shows calls and results and the rewards are not all zero.
const GRPO = `model_name: builtin:tiny
${RL_COMMON.replace('data/ppo_data.jsonl', 'data/eval_data.jsonl')}num_generations: 4
per_device_train_batch_size: 8
max_completion_length: 48
max_steps: 4
save_every: 2
`;

// PPO also evaluates at the end by free-running episodes on a few held-out rows. The untrained tiny model scores 0 and
// never ends a turn in 16 tokens, so missing_eos_penalty gives every return a size (about -1) that the critic must learn.
const PPO = `model_name: builtin:tiny
${RL_COMMON.replace("eval_file: ''", 'eval_file: data/eval_data.jsonl\neval_max_examples: 4')}per_device_train_batch_size: 4
response_length: 16
num_ppo_epochs: 2
critic: adapter
missing_eos_penalty: 1
max_steps: 4
save_every: 4
`;

/** The stored metric rows of the (only) run of `method`, as the run store keeps them in IndexedDB. */
async function storedMetrics(page: Page, method: string): Promise<Array<{ step: number; loss: number; metrics?: Record<string, number> }>> {
  return page.evaluate(async (method) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('tool-use-studio-runs');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const all = <T,>(fn: (s: IDBObjectStore) => IDBRequest<T>) => new Promise<T>((resolve, reject) => {
      const req = fn(db.transaction('runs').objectStore('runs'));
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const keys = (await all((s) => s.getAllKeys())).map(String).filter((k) => k.startsWith(`metrics:${method}-`));
    if (keys.length !== 1) throw new Error(`expected one ${method} run, found ${keys.length}`);
    const rows = await all((s) => s.get(keys[0]));
    db.close();
    return rows;
  }, method);
}

const points = (page: Page, testid: string) => async () => Number(await page.getByTestId(testid).getAttribute('data-points'));

test('GRPO from an SFT run: reward chart, completions table, reload mid-run, resume to the end, chat with the result', async ({ page }) => {
  test.setTimeout(300_000);
  await openStudio(page);
  await seedRuns(page, [SFT]);
  await reloadStudio(page);

  await applyYaml(page, GRPO, 'grpo');
  // The start policy picker lists the finished SFT run and writes model_name: run:<id> (the YAML view follows).
  await page.getByTestId('rl-start-policy').selectOption(`run:${SFT.id}`);
  await expect(page.getByTestId('config-yaml')).toHaveValue(new RegExp(`model_name: run:${SFT.id}`));
  await page.getByTestId('train-start').click();

  await expect(page.getByTestId('train-log')).toContainText('checkpoint saved at step 2', { timeout: 150_000 });
  await expect.poll(points(page, 'reward-chart')).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('completion-row')).toHaveCount(8);

  // A reload ends the run mid-way (at once: steps 3-4 are two rollouts away); the run, its curves and its
  // completions come back from IndexedDB.
  await reloadStudio(page);
  const grpoRow = page.getByTestId('run-row').filter({ has: page.getByTestId('run-method').getByText('GRPO') });
  await expect(grpoRow.getByTestId('run-status')).toHaveText('paused');
  await expect.poll(points(page, 'reward-chart')).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('completion-row')).toHaveCount(8);
  // Model output is text: no element inside a rendered completion, whatever the model wrote.
  const texts = page.getByTestId('completion-text');
  expect(await texts.count()).toBeGreaterThanOrEqual(8);
  await expect(texts.first().locator('*')).toHaveCount(0);
  expect((await page.getByTestId('completion-prompt').first().textContent())?.length).toBeGreaterThan(5);
  await expect(page.getByTestId('completion-reward').first()).toHaveText(/^-?\d+\.\d{3}$/);

  await page.getByTestId('train-resume').click();
  await expect(page.getByTestId('train-log')).toContainText('resumed from checkpoint at step', { timeout: 60_000 });
  await expect(grpoRow.getByTestId('run-status')).toHaveText('done', { timeout: 200_000 });
  await expect.poll(points(page, 'rl-loss-chart')).toBeGreaterThanOrEqual(4);
  await expect.poll(points(page, 'reward-chart')).toBeGreaterThanOrEqual(4);
  await expect(grpoRow.getByTestId('run-final')).toContainText('reward');
  // Every step once (the resumed run repeats none), each with its rollout's reward (one rollout per step here).
  const rows4 = await storedMetrics(page, 'grpo');
  expect(rows4.map((r) => r.step)).toEqual([1, 2, 3, 4]);
  const rewards = rows4.map((r) => r.metrics?.reward);
  console.log(`GRPO rewards by step: ${rewards.map((x) => x?.toFixed(3)).join(' ')}; entropy ${rows4.map((r) => r.metrics?.entropy?.toFixed(3)).join(' ')}`);
  for (const r of rewards) expect(Number.isFinite(r)).toBe(true);
  // The SFT start earns some reward, and it differs across rollouts: the chart moves.
  expect(new Set(rewards).size).toBeGreaterThan(1);
  expect(Math.max(...(rewards as number[]))).toBeGreaterThan(0);

  // The finished run is a policy: the chat page loads it (its start's weights with the RL adapter merged).
  await page.goto('/#/chat');
  const picker = page.getByTestId('chat-model').first();
  const option = picker.locator('option', { hasText: '(grpo, step 4)' });
  await expect(option).toHaveCount(1);
  await picker.selectOption((await option.getAttribute('value'))!);
  await page.getByTestId('chat-load').first().click();
  await expect(page.getByTestId('chat-model-info').first()).toContainText('grpo, step 4');
  await expect(page.getByTestId('chat-error')).toHaveCount(0);
});

test('PPO of the tiny model (critic adapter): value-loss chart, pause and resume inside a rollout, held-out episodes, critic kept out of the exported adapter', async ({ page }) => {
  test.setTimeout(240_000);
  await openStudio(page);
  await applyYaml(page, PPO, 'ppo');
  await page.getByTestId('train-start').click();
  const ppoRow = page.getByTestId('run-row').filter({ has: page.getByTestId('run-method').getByText('PPO') });
  // Pause inside the first rollout (2 PPO epochs: 2 optimizer steps per rollout), then resume from that checkpoint.
  // The click goes in while rollout 1 samples or optimises (the progress line says which): the loop has passed its
  // first between-steps check, so the pause lands after step 1, or a step or two later should this page lag behind the
  // worker. (Clicking once step 1's point was drawn raced the worker: on a slow CI machine steps 2-4 ran out first.)
  await expect(page.getByTestId('train-phase')).toContainText('rollout 1:', { timeout: 120_000 });
  await page.getByTestId('train-pause').click();
  await expect(ppoRow.getByTestId('run-status')).toHaveText('paused', { timeout: 60_000 });
  const pausedAt = Number(/paused at step (\d+) of 4/.exec((await page.getByTestId('train-log').textContent()) ?? '')?.[1]);
  console.log(`PPO paused at step ${pausedAt} of 4`);
  expect(pausedAt).toBeGreaterThanOrEqual(1);
  expect(pausedAt).toBeLessThan(4);
  await page.getByTestId('train-resume').click();
  await expect(page.getByTestId('train-log')).toContainText('resumed from checkpoint at step', { timeout: 60_000 });
  await expect(ppoRow.getByTestId('run-status')).toHaveText('done', { timeout: 200_000 });
  await expect.poll(points(page, 'value-loss-chart')).toBe(4);
  await expect.poll(points(page, 'reward-chart')).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('completion-row')).toHaveCount(4);
  await expect.poll(points(page, 'acc-chart')).toBeGreaterThanOrEqual(1);
  const rows = await storedMetrics(page, 'ppo');
  expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 4]);
  console.log(`PPO value loss by step: ${rows.map((r) => r.metrics?.['loss/value_avg']?.toFixed(4)).join(' ')}; explained variance ${rows.map((r) => r.metrics?.vf_explained_var?.toFixed(3)).join(' ')}`);
  // The critic starts at 0 against returns near -1, and learns: each rollout's second epoch fits its returns better
  // than its first (steps 1-2 are rollout 1, steps 3-4 rollout 2), and rollout 2 starts below rollout 1.
  const vloss = rows.map((r) => r.metrics?.['loss/value_avg'] ?? Number.NaN);
  expect(vloss[0]).toBeGreaterThan(0.1);
  expect(vloss[1]).toBeLessThan(vloss[0]);
  expect(vloss[3]).toBeLessThan(vloss[2]);
  expect(vloss[2]).toBeLessThan(vloss[0]);

  const downloads: string[] = [];
  page.on('download', (d) => downloads.push(d.suggestedFilename()));
  const config = page.waitForEvent('download', (d) => d.suggestedFilename().endsWith('adapter_config.json'));
  await page.getByTestId('export-adapter').click();
  const file = await config;
  const text = await (await import('node:fs/promises')).readFile((await file.path())!, 'utf8');
  expect(JSON.parse(text).task_type).toBe('CAUSAL_LM');
});
