// The Export page's folders (src/worker/export-session.ts runExportFiles) for runs on studio models, on a real
// in-memory IndexedDB and real WebGPU: an SFT run that started from an imported PEFT adapter exports to ONNX as the
// base with both adapters merged (onnxruntime-web, not ours, gives the trained policy's logits), and to TRL / verl as
// its adapter with the start adapter carried as adapter/start-adapter_* (merge_adapter.py finds it; the README says
// to merge it first); every base_model_name_or_path names the real base (builtin:tiny, an imported model's hub id or
// name), never import:<id>, on the Export page and in the Train page's "Export adapter" alike.
import 'fake-indexeddb/auto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/index.ts';
import { readParams } from '../../../src/cli/model-output.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import type { QwenModel } from '../../../src/model/qwen.ts';
import { positionIds } from '../../../src/model/qwen.ts';
import { IdbCheckpointStore } from '../../../src/store/checkpoints.ts';
import { RunStore } from '../../../src/store/runs.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import type { Checkpoint, HostTensor } from '../../../src/train/checkpoint.ts';
import { checkpointFiles, policyWeights } from '../../../src/train/export.ts';
import { loadInferenceModel } from '../../../src/train/load-eval-model.ts';
import { loadTrainableModel } from '../../../src/train/load-model.ts';
import { loadPolicy } from '../../../src/train/load-policy.ts';
import { writeTensors } from '../../../src/train/loop.ts';
import type { RunRecord } from '../../../src/train/metrics.ts';
import { defaultSftConfig } from '../../../src/train/sft-config.ts';
import { defaultGrpoConfig } from '../../../src/train/grpo-config.ts';
import { defaultPpoConfig } from '../../../src/train/ppo-config.ts';
import { parseRewardConfig } from '../../../src/eval/reward.ts';
import { Rng } from '../../../src/util/rng.ts';
import { runExportFiles, type RunExportInputs } from '../../../src/worker/export-session.ts';
import { importModel } from '../../../src/worker/model-import.ts';
import { startPolicySource } from '../../../src/worker/rl-start.ts';
import { exportBaseName } from '../../../src/worker/start-export.ts';
import { TrainSessions } from '../../../src/worker/train-session.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { maxDiff } from '../../helpers/model-logits.ts';
import { sampleExamples, writeFiles } from '../export/helpers.ts';

ort.env.wasm.numThreads = 1;

const TINY_DIR = 'public/models/tiny';
const TINY = folderProvider(TINY_DIR);
const modelFiles = (name: string) => {
  if (name !== 'builtin:tiny') throw new Error(`test: no model ${name}`);
  return TINY;
};
const RUN_LORA = { r: 2, alpha: 4, dropout: 0, target_modules: ['q_proj', 'o_proj', 'up_proj'] };
const IDS = [3440, 12, 400, 77, 1021, 5, 3441, 250, 9, 1800, 33];
const dir = mkdtempSync(join(tmpdir(), 'export-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const json = (b: string | Uint8Array) => JSON.parse(typeof b === 'string' ? b : new TextDecoder().decode(b)) as Record<string, unknown>;
const text = (b: string | Uint8Array | undefined) => (typeof b === 'string' ? b : new TextDecoder().decode(b));

async function logits(m: QwenModel): Promise<Float32Array> {
  m.training = false;
  const ids = Int32Array.from(IDS);
  const t = m.e.scope(() => m.forward({ ids, mask: new Uint8Array(ids.length).fill(1), B: 1, T: ids.length }).logits);
  const out = await t.read();
  t.release();
  return out;
}
const maxAbs = (a: Float32Array) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** onnx/model.onnx's logits on IDS, run by onnxruntime-web (one sequence, no past). */
async function onnxLogits(model: Uint8Array, layers: number, kvHeads: number, headDim: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model);
  const i64 = (v: ArrayLike<number>) => new ort.Tensor('int64', BigInt64Array.from(Array.from(v, (x) => BigInt(x))), [1, IDS.length]);
  const mask = new Uint8Array(IDS.length).fill(1);
  const past = Object.fromEntries(Array.from({ length: layers }, (_, l) => ['key', 'value'].map((k) => [`past_key_values.${l}.${k}`, new ort.Tensor('float32', new Float32Array(0), [1, kvHeads, 0, headDim])])).flat());
  const out = await session.run({ input_ids: i64(IDS), attention_mask: i64(mask), position_ids: i64(positionIds(mask, 1, IDS.length)), ...past });
  return out.logits.data as Float32Array;
}

const ckpt = (runId: string, weights: Record<string, HostTensor>): Checkpoint => ({
  runId, step: 3, weights, optimizer: { step: 3, m: {}, v: {} }, rng: new Rng(1).getState(), data: { epoch: 0, batch: 3 }, nonFiniteStreak: 0, createdAt: 1,
});

/** A LoRA SFT run on `modelName`, trained (randomised) on `policy`, stored with its checkpoint. */
async function storeSftRun(e: Engine, id: string, modelName: string, policy: QwenModel): Promise<RunRecord> {
  const rng = new Rng(11);
  const params = policy.trainableParams();
  const host = await readParams(params);
  for (const [k, t] of Object.entries(host)) host[k] = { shape: t.shape, data: Float32Array.from(t.data, (x) => x + 0.05 * rng.normal()) };
  writeTensors(e, params, params.map((p) => p.label), host, 'test');
  const config = { ...defaultSftConfig(), model_name: modelName, finetune: 'lora', lora: RUN_LORA, chat_template: 'model' };
  const run: RunRecord = { id, method: 'sft', name: `sft on ${modelName}`, config: config as unknown as Record<string, unknown>, status: 'done', createdAt: 1, updatedAt: 1, totalSteps: 3, step: 3 };
  await new RunStore().put(run);
  await new IdbCheckpointStore().save(ckpt(id, host), 2);
  return run;
}

function dropOf(d: string): { dir: string; blobs: Blob[]; names: string[] } {
  const names = readdirSync(d);
  return { dir: d, names, blobs: names.map((n) => new Blob([readFileSync(join(d, n))])) };
}

const inputs = (run: RunRecord, c: Checkpoint, target: RunExportInputs['target']): RunExportInputs => ({
  run, ckpt: c, target, tools: [...ENTERPRISE_TOOLS], train: sampleExamples('sft_data').slice(0, 20), eval: [], modelFiles,
});

describe.each(testAdapters())('Export page on %s: runs on imported models', (adapter) => {
  it('a GRPO run whose reward.rule names a reward YAML exports that reward (it was refused as unread before)', async () => {
    const e = new Engine(await gpuFor(adapter));
    const policy = await loadPolicy(e, TINY, { finetune: 'lora', lora: RUN_LORA, chatTemplate: 'model', seed: 5 });
    const host = await readParams(policy.model.trainableParams());
    const defaults = defaultGrpoConfig();
    const config = { ...defaults, model_name: 'builtin:tiny', finetune: 'lora', lora: RUN_LORA, chat_template: 'model', reward: { ...defaults.reward, rule: 'rewards/custom.yaml' } };
    const run: RunRecord = { id: `grpo-yaml-${adapter}`, method: 'grpo', name: 'grpo with a reward yaml', config: config as unknown as Record<string, unknown>, status: 'done', createdAt: 1, updatedAt: 1, totalSteps: 3, step: 3 };
    const c = ckpt(run.id, host);
    await expect(runExportFiles(inputs(run, c, 'trl'), () => {})).rejects.toThrow(/reward\.rule "rewards\/custom\.yaml" is not a preset .*its file was not read/);
    const yaml = 'name: custom_rule\nweights: { intent: 0.25, tool_name: 2, params: 3, execution: 0, format: 0 }\nrequire_think: false\n';
    const ruleFile = parseRewardConfig(yaml, 'rewards/custom.yaml');
    for (const target of ['trl', 'verl'] as const) {
      const files = await runExportFiles({ ...inputs(run, c, target), ruleFile }, () => {});
      const withRule = Object.entries(files).filter(([, b]) => text(b).includes('REWARD_RULE = '));
      expect(withRule.length, target).toBeGreaterThan(0);
      for (const [path, b] of withRule) {
        const rule = text(b).slice(text(b).indexOf('REWARD_RULE = ')).split('REWARD_WEIGHTS')[0];
        expect(rule, path).toContain('custom_rule');
        expect(rule.replace(/\s+/g, ''), path).toMatch(/["']params["']:3\b/);
      }
    }
  });

  it('a PPO run with a critic adapter exports the policy\'s adapter alone to TRL / verl (the critic adapter made it throw)', async () => {
    const e = new Engine(await gpuFor(adapter));
    const policy = await loadPolicy(e, TINY, { finetune: 'lora', lora: RUN_LORA, chatTemplate: 'model', seed: 6, critic: 'adapter' });
    const host = await readParams(policy.model.trainableParams());
    expect(Object.keys(host).some((k) => k.startsWith('critic.'))).toBe(true);
    expect(Object.keys(host)).toContain('score.weight');
    const config = { ...defaultPpoConfig(), model_name: 'builtin:tiny', finetune: 'lora', lora: RUN_LORA, chat_template: 'model', critic: 'adapter' };
    const run: RunRecord = { id: `ppo-critic-${adapter}`, method: 'ppo', name: 'ppo with a critic adapter', config: config as unknown as Record<string, unknown>, status: 'done', createdAt: 1, updatedAt: 1, totalSteps: 3, step: 3 };
    const c = ckpt(run.id, host);
    const policyOnly = checkpointFiles({ ...c, weights: policyWeights(host) }, { finetune: 'lora', lora: RUN_LORA, model_name: 'builtin:tiny' });
    for (const target of ['trl', 'verl'] as const) {
      const files = await runExportFiles(inputs(run, c, target), () => {});
      expect(files['adapter/adapter_model.safetensors'], target).toEqual(policyOnly['adapter_model.safetensors']);
      expect(text(files['adapter/adapter_model.safetensors']), target).not.toMatch(/critic|score/);
      expect(json(files['adapter/adapter_config.json']).modules_to_save ?? null, target).toBeNull();
    }
  });

  it('an SFT run on an imported PEFT adapter exports: ONNX merges base + import + run adapter; TRL / verl carry the start adapter, named for the real base', async () => {
    const e = new Engine(await gpuFor(adapter));
    // A PEFT adapter "trained elsewhere" (written without our code), recorded on a base the studio cannot fetch.
    const peftDir = join(dir, `peft-${adapter}`);
    execFileSync('python3', ['tests/unit/export/write_peft_adapter.py', peftDir, '2', '64', '32', '128', '4', '8', 'q_proj,v_proj,down_proj', '7', 'Qwen/Qwen3-tiny-elsewhere'], { encoding: 'utf8' });
    const drop = dropOf(peftDir);
    const rec = await importModel({ name: 'elsewhere adapter', files: drop.blobs, names: drop.names, base: 'builtin:tiny' }, modelFiles);
    expect(await exportBaseName(`import:${rec.id}`)).toBe('builtin:tiny');

    const start = await startPolicySource(`import:${rec.id}`, modelFiles);
    const policy = await loadPolicy(e, start.files, { finetune: 'lora', lora: RUN_LORA, chatTemplate: 'model', seed: 3, startAdapters: start.adapters });
    const run = await storeSftRun(e, `sft-on-adapter-${adapter}`, `import:${rec.id}`, policy.model);
    const trained = await logits(policy.model);
    const c = (await new IdbCheckpointStore().latest(run.id))!;
    // Both adapters matter: without the imported one the model is another.
    const runOnly = await loadInferenceModel(e, TINY, [folderProvider(writeTo(`run-only-${adapter}`, checkpointFiles(c, { finetune: 'lora', lora: RUN_LORA, model_name: 'builtin:tiny' })))], { chatTemplate: 'model' });
    expect(maxDiff(await logits(runOnly.model), trained)).toBeGreaterThan(1e-3);

    // ONNX: onnxruntime-web's logits are the trained policy's (base + imported adapter + the run's adapter).
    const onnx = await runExportFiles(inputs(run, c, 'onnx'), () => {});
    const got = await onnxLogits(onnx['onnx/model.onnx'] as Uint8Array, 2, 2, 16);
    expect(got.length).toBe(trained.length);
    expect(maxDiff(got, trained) / maxAbs(trained)).toBeLessThan(1e-4);

    // TRL: the run's adapter on builtin:tiny (carried as model/), the imported adapter as dropped beside it.
    const trl = await runExportFiles(inputs(run, c, 'trl'), () => {});
    expect(json(trl['adapter/adapter_config.json']).base_model_name_or_path).toBe('builtin:tiny');
    expect(json(trl['adapter/adapter_config.json']).r).toBe(RUN_LORA.r);
    expect(trl['adapter/start-adapter_model.safetensors']).toEqual(new Uint8Array(readFileSync(join(peftDir, 'adapter_model.safetensors'))));
    const startCfg = json(trl['adapter/start-adapter_config.json']);
    expect(startCfg).toMatchObject({ ...json(readFileSync(join(peftDir, 'adapter_config.json'))), base_model_name_or_path: 'builtin:tiny' });
    expect(trl['model/model.safetensors']).toEqual(new Uint8Array(readFileSync(join(TINY_DIR, 'model.safetensors'))));
    expect(json(trl['studio_config.json']).base_model).toBe('builtin:tiny');
    // Only the run's own config, kept as it was, still says where it started in this browser.
    expect(Object.entries(trl).filter(([, f]) => text(f).includes(`import:${rec.id}`)).map(([p]) => p)).toEqual(['studio_config.json']);
    expect(text(trl['README.md'])).toMatch(/started from a LoRA adapter, not from the base model[\s\S]*merge_adapter\.py --start-only --out start_model[\s\S]*train_sft\.py --model start_model/);
    expect(text(trl['README.md'])).toContain('elsewhere adapter');
    // merge_adapter.py finds the carried start adapter under PEFT's names (the part that runs without peft / torch).
    const out = join(dir, `trl-${adapter}`);
    writeFiles(out, trl);
    execFileSync('python3', ['-m', 'py_compile', join(out, 'merge_adapter.py')]);
    const found = execFileSync('python3', ['-c', [
      'import sys, os, tempfile', 'sys.path.insert(0, sys.argv[1])', 'import merge_adapter as m', 'tmp = tempfile.mkdtemp()',
      'got = m.start_adapter_dir(os.path.join(sys.argv[1], "adapter"), tmp)', 'print(sorted(os.listdir(got)))',
      'print(open(os.path.join(got, "adapter_model.safetensors"), "rb").read() == open(os.path.join(sys.argv[1], "adapter", "start-adapter_model.safetensors"), "rb").read())',
      'print(m.start_adapter_dir(tmp, tempfile.mkdtemp()))',
    ].join('\n'), out], { encoding: 'utf8' });
    expect(found.trim().split('\n')).toEqual(["['adapter_config.json', 'adapter_model.safetensors']", 'True', 'None']);

    // verl: the same adapters, and the launch script says where the run's training started.
    const verl = await runExportFiles(inputs(run, c, 'verl'), () => {});
    expect(verl['adapter/start-adapter_model.safetensors']).toEqual(trl['adapter/start-adapter_model.safetensors']);
    expect(text(verl['run_verl.sh'])).toContain('merge_adapter.py --start-only --out start_model');
    expect(text(verl['README.md'])).toContain('MODEL_PATH=$HERE/start_model bash run_verl.sh');

    // The Train page's "Export adapter" names the same base and carries the same start adapter.
    const train = await new TrainSessions(() => gpuFor(adapter), () => {}).exportAdapter(run.id);
    expect(json(train.files['adapter_config.json']).base_model_name_or_path).toBe('builtin:tiny');
    expect(train.files['start-adapter_config.json']).toEqual(trl['adapter/start-adapter_config.json']);
  });

  it('a LoRA run on a full SFT run carries the SFT weights as model/; a start stacked on a start is refused by name', async () => {
    const e = new Engine(await gpuFor(adapter));
    const sft = await loadTrainableModel(e, TINY, { finetune: 'full', lora: RUN_LORA, chatTemplate: 'model', seed: 1 });
    const rng = new Rng(5);
    const host = await readParams(sft.model.trainableParams());
    for (const [k, t] of Object.entries(host)) host[k] = { shape: t.shape, data: Float32Array.from(t.data, (x) => x + 0.01 * rng.normal()) };
    const sftId = `sft-full-${adapter}`;
    await new RunStore().put({ id: sftId, method: 'sft', name: 'full sft', config: { ...defaultSftConfig(), model_name: 'builtin:tiny', finetune: 'full', chat_template: 'model' } as unknown as Record<string, unknown>, status: 'done', createdAt: 1, updatedAt: 1, totalSteps: 3, step: 3 });
    await new IdbCheckpointStore().save(ckpt(sftId, host), 2);
    const start = await startPolicySource(`run:${sftId}`, modelFiles);
    const policy = await loadPolicy(e, start.files, { finetune: 'lora', lora: RUN_LORA, chatTemplate: 'model', seed: 3 });
    const run = await storeSftRun(e, `sft-on-full-${adapter}`, `run:${sftId}`, policy.model);
    const c = (await new IdbCheckpointStore().latest(run.id))!;
    const trl = await runExportFiles(inputs(run, c, 'trl'), () => {});
    const sftWeights = checkpointFiles(ckpt(sftId, host), { finetune: 'full', lora: RUN_LORA, model_name: 'builtin:tiny' })['model.safetensors'];
    expect(trl['model/model.safetensors']).toEqual(sftWeights);
    expect(Object.keys(trl).filter((k) => k.startsWith('model/')).sort()).toEqual(['model/config.json', 'model/model.safetensors', 'model/tokenizer.json', 'model/tokenizer_config.json', 'model/vocab-map.json']);
    expect(Object.keys(trl).filter((k) => k.startsWith('adapter/start-'))).toEqual([]);
    expect(json(trl['adapter/adapter_config.json']).base_model_name_or_path).toBe('builtin:tiny');

    // An SFT run on that LoRA run: its start (this run) sits on another start, which no one file set holds.
    const stacked = await storeSftRun(e, `sft-on-sft-${adapter}`, `run:${run.id}`, policy.model);
    const sc = (await new IdbCheckpointStore().latest(stacked.id))!;
    await expect(runExportFiles(inputs(stacked, sc, 'trl'), () => {})).rejects.toThrow(/starts from sft on run:sft-full-.*, an SFT run on run:sft-full-.*: export that start's adapter too/);
    // ONNX has no such limit: the policy as chat loads it.
    expect((await runExportFiles(inputs(stacked, sc, 'onnx'), () => {}))['onnx/model.onnx']).toBeInstanceOf(Uint8Array);
  });

  it('a run on an imported model folder names it by its config\'s hub id, else by its name, and carries it as model/; an adapter on it too', async () => {
    const e = new Engine(await gpuFor(adapter));
    const tiny = dropOf(TINY_DIR);
    const plain = await importModel({ name: 'my tiny copy', files: tiny.blobs, names: tiny.names, base: null }, modelFiles);
    expect(await exportBaseName(`import:${plain.id}`)).toBe('my tiny copy');
    // A folder written by save_pretrained records where it came from as _name_or_path.
    const named = writeTo(`named-${adapter}`, Object.fromEntries(tiny.names.map((n) => [n, readFileSync(join(TINY_DIR, n))])));
    writeFileSync(join(named, 'config.json'), JSON.stringify({ ...json(readFileSync(join(TINY_DIR, 'config.json'))), _name_or_path: 'acme/tiny-qwen3-tools' }));
    const hub = dropOf(named);
    const withId = await importModel({ name: 'acme tiny', files: hub.blobs, names: hub.names, base: null }, modelFiles);
    expect(await exportBaseName(`import:${withId.id}`)).toBe('acme/tiny-qwen3-tools');
    // An adapter imported on it is followed down to it.
    const adapterDir = join(dir, `on-acme-${adapter}`);
    execFileSync('python3', ['tests/unit/export/write_peft_adapter.py', adapterDir, '2', '64', '32', '128', '4', '8', 'q_proj', '5', '/home/someone/acme-tiny'], { encoding: 'utf8' });
    const onIt = dropOf(adapterDir);
    const onAcme = await importModel({ name: 'on acme', files: onIt.blobs, names: onIt.names, base: `import:${withId.id}` }, modelFiles);
    expect(await exportBaseName(`import:${onAcme.id}`)).toBe('acme/tiny-qwen3-tools');

    // An SFT run on the plain import: its adapter and scripts name "my tiny copy", whose files travel as model/.
    const files = (name: string) => (name.startsWith('import:') ? startPolicySource(name, modelFiles).then((s) => s.files) : modelFiles(name));
    const start = await startPolicySource(`import:${plain.id}`, modelFiles);
    const policy = await loadPolicy(e, start.files, { finetune: 'lora', lora: RUN_LORA, chatTemplate: 'model', seed: 4 });
    const run = await storeSftRun(e, `sft-on-folder-${adapter}`, `import:${plain.id}`, policy.model);
    const c = (await new IdbCheckpointStore().latest(run.id))!;
    const trl = await runExportFiles({ ...inputs(run, c, 'trl'), modelFiles: files }, () => {});
    expect(json(trl['adapter/adapter_config.json']).base_model_name_or_path).toBe('my tiny copy');
    expect(json(trl['studio_config.json']).base_model).toBe('my tiny copy');
    expect(text(trl['README.md'])).toContain('Base model: `my tiny copy` (carried in `model/`)');
    expect(Object.keys(trl).filter((k) => k.startsWith('model/')).sort()).toEqual(tiny.names.filter((n) => n !== 'README.md').map((n) => `model/${n}`).sort());
    expect(trl['adapter/start-adapter_config.json']).toBeUndefined();
    const train = await new TrainSessions(() => gpuFor(adapter), () => {}).exportAdapter(run.id);
    expect(json(train.files['adapter_config.json']).base_model_name_or_path).toBe('my tiny copy');
  });
});

/** Writes files into a fresh folder under the test's temp dir; returns its path. */
function writeTo(name: string, files: Record<string, string | Uint8Array>): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const [f, data] of Object.entries(files)) writeFileSync(join(d, f), data);
  return d;
}
