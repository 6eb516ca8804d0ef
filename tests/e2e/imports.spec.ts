// Imported models in Chromium, on real IndexedDB: a LoRA adapter exported from a tiny SFT run trained here is imported
// on the Models page on builtin:tiny, is still listed after a reload (its name rendered as text), answers in Chat,
// and starts a short GRPO run and a short SFT run that finish; the same adapter claiming another rank is refused with the mismatch
// named, and the list stays as it was. The GRPO run on it exports from the Export page (TRL with the imported adapter
// carried as adapter/start-adapter_*, ONNX with it merged); removing the import asks first, listing both runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { adapterClaimingRank } from './helpers/adapter-files.ts';
import { exportZip } from './helpers/export-zip.ts';
import { applyYaml, openStudio, trainRun } from './helpers/train-page.ts';

const SFT = `model_name: builtin:tiny
train_file: [data/sft_data.jsonl]
eval_file: ''
finetune: lora
lora:
  r: 4
  alpha: 8
  target_modules: [q_proj, v_proj]
prompt_tools: none
max_steps: 2
batch_size: 2
max_seq_len: 160
learning_rate: 0.01
warmup_steps: 0
logging_steps: 1
save_every: 2
`;

const GRPO = `model_name: builtin:tiny
train_file: [data/eval_data.jsonl]
eval_file: ''
prompt_tools: none
finetune: lora
lora: { r: 2, alpha: 4, dropout: 0, target_modules: [q_proj] }
learning_rate: 0.001
logging_steps: 1
max_turns: 1
num_generations: 4
per_device_train_batch_size: 4
max_completion_length: 16
max_steps: 2
save_every: 2
`;

const dir = mkdtempSync(join(tmpdir(), 'imports-e2e-'));
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('an adapter exported from a tiny run is imported once, survives a reload, chats, starts GRPO and SFT; a wrong rank is refused', async ({ page }) => {
  test.setTimeout(900_000);
  await openStudio(page);
  await trainRun(page, SFT, { method: 'sft', timeout: 400_000 });

  // The run's adapter as the Train page exports it: two PEFT files.
  const adapter = join(dir, 'adapter');
  mkdirSync(adapter);
  const saved: Promise<void>[] = [];
  page.on('download', (d) => {
    const name = ['adapter_config.json', 'adapter_model.safetensors'].find((n) => d.suggestedFilename().endsWith(n));
    if (name) saved.push(d.saveAs(join(adapter, name)));
  });
  await page.getByTestId('export-adapter').click();
  await expect.poll(() => saved.length).toBe(2);
  await Promise.all(saved);
  const files = ['adapter_config.json', 'adapter_model.safetensors'].map((f) => join(adapter, f));
  expect(JSON.parse(readFileSync(files[0], 'utf8'))).toMatchObject({ r: 4, base_model_name_or_path: 'builtin:tiny', task_type: 'CAUSAL_LM' });

  // Import on the Models page: the base its adapter_config.json records (builtin:tiny) is preselected.
  await page.getByTestId('nav-models').click();
  await expect(page.getByTestId('no-imports')).toBeVisible();
  await page.getByTestId('import-file-input').setInputFiles(files);
  await expect(page.getByTestId('import-base')).toHaveValue('builtin:tiny');
  const name = 'tiny <b>sft</b> adapter';
  await page.getByTestId('import-name').fill(name);
  await page.getByTestId('import-confirm').click();
  await expect(page.getByTestId('import-notice')).toContainText('Imported', { timeout: 60_000 });
  await expect(page.getByTestId('import-row')).toHaveCount(1);

  await page.reload();
  await expect(page.getByTestId('import-row')).toHaveCount(1);
  await expect(page.getByTestId('import-row-name')).toHaveText(name);
  await expect(page.getByTestId('import-list').locator('b')).toHaveCount(0);
  await expect(page.getByTestId('import-row')).toContainText('LoRA adapter r=4 on builtin:tiny');
  const id = await page.getByTestId('import-row').getAttribute('data-id');

  // The same adapter claiming rank 8 is refused by name; nothing is added.
  await page.getByTestId('import-file-input').setInputFiles(adapterClaimingRank(adapter, join(dir, 'wrong-rank'), 8));
  await page.getByTestId('import-base').selectOption('builtin:tiny');
  await page.getByTestId('import-confirm').click();
  await expect(page.getByTestId('import-error')).toContainText(/AdapterMismatchError: adapter mismatch \(rank\): .*has rank 4 .*adapter_config\.json says r=8/, { timeout: 60_000 });
  await expect(page.getByTestId('import-row')).toHaveCount(1);

  // Chat with it: base + adapter merged in the worker.
  await page.getByTestId('nav-chat').click();
  await page.getByTestId('chat-model').selectOption(`import:${id}`);
  await page.getByTestId('chat-load').click();
  await expect(page.getByTestId('chat-model-info')).toContainText('imported adapter on builtin:tiny', { timeout: 120_000 });
  await page.getByTestId('chat-input').fill('明天北京天气');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-assistant').first()).toBeVisible({ timeout: 240_000 });

  // Further training: GRPO from the imported adapter (merged, then a fresh RL adapter).
  await page.getByTestId('nav-train').click();
  await applyYaml(page, GRPO, 'grpo');
  await page.getByTestId('rl-start-policy').selectOption(`import:${id}`);
  await expect(page.getByTestId('config-yaml')).toHaveValue(new RegExp(`model_name: import:${id}`));
  await page.getByTestId('train-start').click();
  const grpoRow = page.locator('[data-testid=run-row][data-method=grpo]');
  await expect(grpoRow.getByTestId('run-status')).toHaveText('done', { timeout: 400_000 });
  await expect(page.getByTestId('train-log')).toContainText(`model import:${id}`);
  await expect(page.getByTestId('train-error')).toHaveCount(0);

  // And SFT from it: full fine-tuning cannot follow a LoRA start, so picking it switches the config to lora.
  await applyYaml(page, SFT.replace('finetune: lora', 'finetune: full'), 'sft');
  await page.getByTestId('rl-start-policy').selectOption(`import:${id}`);
  await expect(page.getByTestId('start-note')).toContainText('finetune set to lora');
  await expect(page.getByTestId('config-yaml')).toHaveValue(/finetune: lora/);
  await page.getByTestId('train-start').click();
  const sftRow = page.locator('[data-testid=run-row][data-method=sft]').first();
  await expect(sftRow).toContainText(`import:${id}`);
  await expect(sftRow.getByTestId('run-status')).toHaveText('done', { timeout: 400_000 });
  await expect(page.getByTestId('train-error')).toHaveCount(0);

  // The GRPO run on the import exports: TRL carries the imported adapter as dropped (named for builtin:tiny) beside
  // the run's own, and says to merge it first; ONNX (the merge of both) opens in onnxruntime-web.
  await page.getByTestId('nav-export').click();
  const grpoOption = page.getByTestId('export-run').locator('option', { hasText: 'GRPO' });
  await page.getByTestId('export-run').selectOption((await grpoOption.getAttribute('value'))!);
  const trl = await exportZip(page, dir, 'export', 'trl');
  expect(trl.files).toContain('adapter/start-adapter_config.json');
  expect(readFileSync(join(trl.folder, 'adapter/start-adapter_model.safetensors'))).toEqual(readFileSync(files[1]));
  expect(JSON.parse(readFileSync(join(trl.folder, 'adapter/adapter_config.json'), 'utf8'))).toMatchObject({ r: 2, base_model_name_or_path: 'builtin:tiny' });
  expect(JSON.parse(readFileSync(join(trl.folder, 'adapter/start-adapter_config.json'), 'utf8'))).toMatchObject({ r: 4, base_model_name_or_path: 'builtin:tiny' });
  expect(readFileSync(join(trl.folder, 'README.md'), 'utf8')).toContain('merge_adapter.py --start-only --out start_model');
  execFileSync('python3', ['-m', 'py_compile', join(trl.folder, 'merge_adapter.py'), join(trl.folder, 'train_grpo.py')]);
  const onnx = await exportZip(page, dir, 'export', 'onnx');
  expect(onnx.files).toContain('onnx/model.onnx');
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  expect((await ort.InferenceSession.create(readFileSync(join(onnx.folder, 'onnx/model.onnx')))).outputNames[0]).toBe('logits');
  await expect(page.getByTestId('export-error')).toHaveCount(0);

  // Removing the import asks first, naming the two runs that started from it; "Keep it" keeps it.
  await page.getByTestId('nav-models').click();
  await page.getByTestId('import-remove').click();
  const ask = page.getByTestId('import-remove-ask');
  await expect(ask).toContainText(`Remove "${name}"? These 2 runs use it`);
  await expect(ask.getByTestId('import-remove-runs').locator('li')).toHaveCount(2);
  await expect(ask.getByTestId('import-remove-runs')).toContainText('(grpo, step 2): start model');
  await expect(ask.getByTestId('import-remove-runs')).toContainText('(sft, step 2): start model');
  await expect(ask.locator('b')).toHaveCount(0);
  await page.getByTestId('import-remove-cancel').click();
  await expect(ask).toHaveCount(0);
  await expect(page.getByTestId('import-row')).toHaveCount(1);
  await page.getByTestId('import-remove').click();
  await page.getByTestId('import-remove-confirm').click();
  await expect(page.getByTestId('no-imports')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('no-imports')).toBeVisible();
});
