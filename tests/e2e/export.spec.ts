// Export in the studio, end to end in Chromium: train a short LoRA run on the tiny model, export it from the Export
// page as TRL, verl and ONNX zips, and check what is inside with tools we did not write: Python's zipfile and
// py_compile, bash -n, hyparquet for verl's parquet, onnxruntime-web (in Node) running the ONNX model. Then the
// import direction: the exported PEFT adapter folder, dropped on the Evaluate page, is evaluated on its base model,
// and the same folder with a wrong rank in adapter_config.json is refused with the rank named.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { parquetReadObjects } from 'hyparquet';
import { defaultGrpoConfig } from '../../src/train/grpo-config.ts';
import { defaultRmConfig } from '../../src/train/rm-config.ts';
import { adapterClaimingRank } from './helpers/adapter-files.ts';
import { exportZip } from './helpers/export-zip.ts';
import { seedRuns } from './helpers/seed-runs.ts';
import { openStudio, trainRun } from './helpers/train-page.ts';

const CONFIG = `model_name: builtin:tiny
train_file: [data/sft_data.jsonl]
eval_file: data/eval_data.jsonl
finetune: lora
lora:
  r: 4
  alpha: 8
  target_modules: [q_proj, v_proj]
chat_template: compact
prompt_tools: none
max_steps: 2
batch_size: 2
max_seq_len: 160
learning_rate: 0.01
warmup_steps: 0
logging_steps: 1
save_every: 2
eval_max_examples: 1
`;

const dir = mkdtempSync(join(tmpdir(), 'export-e2e-'));
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('trains a tiny LoRA run, exports it to TRL, verl and ONNX, and the files hold up', async ({ page }) => {
  test.setTimeout(900_000);
  await openStudio(page);
  await trainRun(page, CONFIG, { timeout: 500_000 });

  await page.getByTestId('nav-export').click();
  await expect(page.getByTestId('export-panel')).toBeVisible();
  await expect(page.getByTestId('export-run')).toContainText('SFT');

  // TRL: the script carries the run's settings and compiles; the data is the run's file; the adapter travels.
  const trl = await exportZip(page, dir, 'export', 'trl');
  expect(trl.name).toMatch(/-trl-step2\.zip$/);
  for (const f of ['train_sft.py', 'data/sft_train.jsonl', 'data/sft_eval.jsonl', 'adapter/adapter_config.json', 'adapter/adapter_model.safetensors', 'model/model.safetensors', 'reward.py', 'rl_reward.py', 'accelerate_zero3.yaml']) expect(trl.files, f).toContain(f);
  const script = readFileSync(join(trl.folder, 'train_sft.py'), 'utf8');
  expect(script).toContain('learning_rate=0.01,');
  expect(script).toContain('"r": 4');
  expect(script).toContain('PROMPT_TOOLS = False');
  execFileSync('python3', ['-m', 'py_compile', join(trl.folder, 'train_sft.py'), join(trl.folder, 'trl_data.py')]);
  expect(readFileSync(join(trl.folder, 'data/sft_train.jsonl'), 'utf8').trim().split('\n').length).toBe(readFileSync('public/data/sft_data.jsonl', 'utf8').trim().split('\n').length);
  expect(JSON.parse(readFileSync(join(trl.folder, 'adapter/adapter_config.json'), 'utf8'))).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj'] });

  // verl: the launch script parses, the parquet reads back with verl's columns, the reward runs.
  const verl = await exportZip(page, dir, 'export', 'verl');
  for (const f of ['run_verl.sh', 'data/train.parquet', 'data/val.parquet', 'verl_reward.py', 'verl_tools.py', 'tool_config.yaml']) expect(verl.files, f).toContain(f);
  execFileSync('bash', ['-n', join(verl.folder, 'run_verl.sh')]);
  expect(readFileSync(join(verl.folder, 'run_verl.sh'), 'utf8')).toContain('actor_rollout_ref.model.lora_rank=4');
  const pq = readFileSync(join(verl.folder, 'data/train.parquet'));
  const rows = await parquetReadObjects({ file: pq.buffer.slice(pq.byteOffset, pq.byteOffset + pq.byteLength) as ArrayBuffer });
  expect(rows.length).toBeGreaterThan(100);
  expect(Object.keys(rows[0])).toEqual(['data_source', 'prompt', 'ability', 'reward_model', 'extra_info']);
  const score = execFileSync('python3', ['-c', 'import sys, json\nsys.path.insert(0, sys.argv[1])\nimport verl_reward\ngt = sys.argv[2]\nsteps = json.loads(gt)["steps"]\nprint(verl_reward.compute_score("x", "no call", gt, {})["score"])', verl.folder, String(rows[0].reward_model.ground_truth)], { encoding: 'utf8' });
  expect(Number(score)).toBeLessThan(4);

  // ONNX: the layout transformers.js loads; onnxruntime-web opens it with past_key_values inputs.
  const onnx = await exportZip(page, dir, 'export', 'onnx');
  for (const f of ['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) expect(onnx.files, f).toContain(f);
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(readFileSync(join(onnx.folder, 'onnx/model.onnx')));
  expect(session.inputNames.slice(0, 3)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
  expect(session.inputNames).toContain('past_key_values.0.key');
  expect(session.outputNames[0]).toBe('logits');
  // One real forward: 5 tokens, empty cache; logits [1, 5, vocab], finite, and a present cache of 5 positions.
  const cfg = JSON.parse(readFileSync(join(onnx.folder, 'config.json'), 'utf8')) as { vocab_size: number; num_hidden_layers: number; num_key_value_heads: number; num_attention_heads: number; hidden_size: number; head_dim?: number };
  const headDim = cfg.head_dim ?? cfg.hidden_size / cfg.num_attention_heads;
  const T = 5;
  const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from([11n, 42n, 7n, 300n, 5n]), [1, T]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(T).fill(1n), [1, T]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n, 3n, 4n]), [1, T]),
  };
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    for (const kv of ['key', 'value']) feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, cfg.num_key_value_heads, 0, headDim]);
  }
  const out = await session.run(feeds);
  expect(out.logits.dims).toEqual([1, T, cfg.vocab_size]);
  const logits = out.logits.data as Float32Array;
  expect(logits.every(Number.isFinite)).toBe(true);
  expect(Math.max(...logits) - Math.min(...logits)).toBeGreaterThan(0);
  expect(out['present.0.key'].dims).toEqual([1, cfg.num_key_value_heads, T, headDim]);

  // Import: the adapter folder the TRL export carries loads on its base model for evaluation in the studio.
  await page.getByTestId('nav-evaluate').click();
  await page.locator('[data-testid=eval-model][data-key=builtin]').uncheck();
  await page.getByTestId('eval-folder-input').setInputFiles(['adapter_config.json', 'adapter_model.safetensors'].map((f) => join(trl.folder, 'adapter', f)));
  await page.getByTestId('eval-limit').fill('2');
  await page.getByTestId('eval-max-tokens').fill('8');
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('evaluation')).toHaveCount(1, { timeout: 300_000 });
  await expect(page.getByTestId('evaluation').first()).toHaveAttribute('data-model', /adapter on builtin:tiny/);
  await expect(page.getByTestId('model-eval-error')).toHaveCount(0);

  // The same adapter claiming another rank is refused, naming the rank and the tensor.
  const wrong = adapterClaimingRank(join(trl.folder, 'adapter'), join(dir, 'wrong-rank'), 8);
  await page.locator('[data-testid=eval-model]:checked').uncheck();
  await page.getByTestId('eval-folder-input').setInputFiles(wrong);
  await page.getByTestId('eval-run').click();
  await expect(page.getByTestId('model-eval-error')).toContainText(/has rank 4 .*adapter_config\.json says r=8/, { timeout: 120_000 });
  expect(JSON.parse(readFileSync(join(onnx.folder, 'tokenizer_config.json'), 'utf8')).chat_template).toContain('# Tools');
});

/** Rewrites a seeded run's record as a run of another method with that method's config (what its Train page stores). */
async function setMethod(page: Page, id: string, method: string, config: Record<string, unknown>): Promise<void> {
  await page.evaluate(async ({ id, method, config }) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('tool-use-studio-runs');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const store = db.transaction('runs', 'readwrite').objectStore('runs');
    const rec = await new Promise<Record<string, unknown>>((resolve) => {
      const g = store.get(`run:${id}`);
      g.onsuccess = () => resolve(g.result as Record<string, unknown>);
    });
    await new Promise<void>((resolve, reject) => {
      const tx = store.put({ ...rec, method, config }, `run:${id}`);
      tx.onsuccess = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
  }, { id, method, config });
}

test('the Export page offers what the run\'s method supports: a reward model to TRL, not ONNX; a GRPO run to verl and ONNX', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await seedRuns(page, [
    { id: 'run-rm', name: 'tiny-rm', weights: 'public/models/tiny/model.safetensors', step: 3 },
    { id: 'run-grpo', name: 'tiny-grpo', weights: 'public/models/tiny/model.safetensors', step: 4 },
  ]);
  const common = { model_name: 'builtin:tiny', finetune: 'full', chat_template: 'compact', prompt_tools: 'none', tools_file: 'tools/enterprise_tools.json', eval_file: '' };
  await setMethod(page, 'run-rm', 'rm', { ...defaultRmConfig(), ...common, train_file: ['data/rm_data.jsonl'] });
  await setMethod(page, 'run-grpo', 'grpo', { ...defaultGrpoConfig(), ...common, beta: 0, train_file: ['data/ppo_data.jsonl'] });
  await page.goto('/#/export');

  await page.getByTestId('export-run').selectOption('run-rm');
  await expect(page.getByTestId('export-onnx')).toBeDisabled();
  await expect(page.getByTestId('export-onnx-unsupported')).toContainText('a reward model scores text');
  const rm = await exportZip(page, dir, 'export', 'trl');
  expect(rm.name).toBe('tiny-rm-trl-step3.zip');
  expect(rm.files).toContain('train_rm.py');
  expect(rm.files).toContain('model/model.safetensors');
  execFileSync('python3', ['-m', 'py_compile', join(rm.folder, 'train_rm.py')]);
  const prefs = readFileSync(join(rm.folder, 'data/rm_train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(prefs.length).toBe(readFileSync('public/data/rm_data.jsonl', 'utf8').trim().split('\n').length);
  expect(Object.keys(prefs[0])).toEqual(expect.arrayContaining(['prompt', 'chosen', 'rejected']));

  await page.getByTestId('export-run').selectOption('run-grpo');
  await expect(page.getByTestId('export-onnx')).toBeEnabled();
  await expect(page.getByTestId('export-onnx-unsupported')).toHaveCount(0);
  const grpo = await exportZip(page, dir, 'export', 'verl');
  expect(grpo.name).toBe('tiny-grpo-verl-step4.zip');
  const launch = readFileSync(join(grpo.folder, 'run_verl.sh'), 'utf8');
  expect(launch).toContain('algorithm.adv_estimator=grpo');
  execFileSync('bash', ['-n', join(grpo.folder, 'run_verl.sh')]);
  const onnx = await exportZip(page, dir, 'export', 'onnx');
  expect(onnx.name).toBe('tiny-grpo-onnx-step4.zip');
  expect(onnx.files).toContain('onnx/model.onnx');
});
