// Export a config (not trained here) from the Export page, end to end in Chromium: the SFT config edited on the Train
// page comes prefilled, a bad key is named with its line and blocks the export, the SFT config goes to TRL and the
// GRPO studio config to verl; each zip is unpacked with Python's zipfile and its Python files compile.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { exportZip } from './helpers/export-zip.ts';
import { applyYaml, openStudio } from './helpers/train-page.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-config-e2e-'));
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('exports an SFT config to TRL and a GRPO config to verl without training, and refuses a bad key by name', async ({ page }) => {
  test.setTimeout(300_000);
  // The Train page's SFT config, edited there, is what the Export page starts from.
  await openStudio(page);
  const trainYaml = (await page.getByTestId('config-yaml').inputValue()).replace(/^learning_rate: .*$/m, 'learning_rate: 0.0123');
  expect(trainYaml).toContain('learning_rate: 0.0123');
  await applyYaml(page, trainYaml);

  await page.getByTestId('nav-export').click();
  await expect(page.getByTestId('config-export-panel')).toBeVisible();
  await expect(page.getByTestId('config-export-onnx-note')).toContainText('needs trained weights');
  const yaml = page.getByTestId('config-export-yaml');
  await expect(yaml).toHaveValue(/learning_rate: 0\.0123/);
  await expect(page.getByTestId('config-export-panel')).toContainText('data/sft_data.jsonl');

  // A misspelt key: named with its line (and the key it probably meant); no export until it is fixed.
  const good = await yaml.inputValue();
  await yaml.fill(`${good}learning_rat: 0.1\n`);
  await expect(page.getByTestId('config-export-problems')).toContainText(new RegExp(`learning_rat \\(line ${good.split('\n').length}\\):.*learning_rate`));
  await expect(page.getByTestId('config-export-trl')).toBeDisabled();
  await page.getByTestId('config-export-from-train').click();
  await expect(page.getByTestId('config-export-problems')).toHaveCount(0);

  // SFT -> TRL: the script carries the config's settings and compiles; the data is the config's file; no adapter.
  const trl = await exportZip(page, dir, 'config-export', 'trl', 120_000);
  expect(trl.name).toBe('config-sft-trl.zip');
  for (const f of ['train_sft.py', 'trl_data.py', 'data/sft_train.jsonl', 'data/sft_eval.jsonl', 'model/model.safetensors', 'chat_template.jinja', 'accelerate_zero3.yaml', 'studio_config.json']) expect(trl.files, f).toContain(f);
  expect(trl.files.filter((f) => f.startsWith('adapter/') || f === 'merge_adapter.py')).toEqual([]);
  const script = readFileSync(join(trl.folder, 'train_sft.py'), 'utf8');
  expect(script).toContain('learning_rate=0.0123,');
  execFileSync('python3', ['-m', 'py_compile', join(trl.folder, 'train_sft.py'), join(trl.folder, 'trl_data.py'), join(trl.folder, 'rl_reward.py')]);
  expect(readFileSync(join(trl.folder, 'data/sft_train.jsonl'), 'utf8').trim().split('\n').length).toBe(readFileSync('public/data/sft_data.jsonl', 'utf8').trim().split('\n').length);

  // GRPO -> verl: the studio's GRPO config (the Train page's, untouched); the launch script parses, the Python compiles.
  await page.getByTestId('config-export-method').selectOption('grpo');
  await expect(yaml).toHaveValue(/num_generations: 4/);
  await expect(page.getByTestId('config-export-panel')).toContainText('data/ppo_data.jsonl');
  const verl = await exportZip(page, dir, 'config-export', 'verl', 120_000);
  expect(verl.name).toBe('config-grpo-verl.zip');
  for (const f of ['run_verl.sh', 'data/train.parquet', 'data/val.parquet', 'verl_reward.py', 'verl_tools.py', 'tool_config.yaml', 'model/config.json']) expect(verl.files, f).toContain(f);
  expect(verl.files.filter((f) => f.startsWith('adapter/'))).toEqual([]);
  execFileSync('bash', ['-n', join(verl.folder, 'run_verl.sh')]);
  expect(readFileSync(join(verl.folder, 'run_verl.sh'), 'utf8')).toContain('actor_rollout_ref.rollout.n=4');
  execFileSync('python3', ['-m', 'py_compile', ...verl.files.filter((f) => f.endsWith('.py')).map((f) => join(verl.folder, f))]);
  expect(JSON.parse(readFileSync(join(verl.folder, 'studio_config.json'), 'utf8'))).toMatchObject({ method: 'grpo', base_model: 'builtin:tiny' });
});
