// Imported models in the studio (src/worker/model-import.ts, src/store/imports.ts, rl-start.ts import:<id>), on a
// real in-memory IndexedDB and real WebGPU: an adapter exported from a (randomised) LoRA run on the tiny model is
// imported on builtin:tiny and builds, for chat / evaluation and as a start policy, exactly the model the CLI loads
// from the same folder (`--model DIR`), and an SFT run trained on it rebuilds and exports with it; an adapter stacked on an SFT run and on an imported model folder likewise;
// an imported SEQ_CLS adapter scores as the CLI's reward model; every refused folder (rank, layers, target modules,
// a reward model on an adapter base, no config) is a named error that writes nothing and leaves the list as it was.
import 'fake-indexeddb/auto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRewardModel, openStartPolicy, resolveModel } from '../../../src/cli/model-folders.ts';
import { readParams } from '../../../src/cli/model-output.ts';
import { Engine } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import type { QwenModel } from '../../../src/model/qwen.ts';
import { IdbCheckpointStore } from '../../../src/store/checkpoints.ts';
import { ImportStore } from '../../../src/store/imports.ts';
import { RunStore } from '../../../src/store/runs.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import type { Checkpoint, HostTensor } from '../../../src/train/checkpoint.ts';
import { checkpointFiles } from '../../../src/train/export.ts';
import { loadInferenceModel } from '../../../src/train/load-eval-model.ts';
import { loadTrainableModel } from '../../../src/train/load-model.ts';
import { loadPolicy } from '../../../src/train/load-policy.ts';
import { writeTensors } from '../../../src/train/loop.ts';
import { rewardModelParams, scoreConversations } from '../../../src/train/rm-score.ts';
import { Rng } from '../../../src/util/rng.ts';
import { importModel, ModelImportError } from '../../../src/worker/model-import.ts';
import { baseModelOf, RewardModelMismatchError, runPolicySource, StartPolicyError, startPolicySource, studioRewardModel } from '../../../src/worker/rl-start.ts';
import { TrainSessions } from '../../../src/worker/train-session.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { logits, maxDiff } from '../../helpers/model-logits.ts';

const TINY_DIR = 'public/models/tiny';
const TINY = folderProvider(TINY_DIR);
const modelFiles = (name: string) => {
  if (name !== 'builtin:tiny') throw new Error(`test: no model ${name}`);
  return TINY;
};
const TOOLS = JSON.parse(readFileSync('public/tools/enterprise_tools.json', 'utf8')) as ToolDefinition[];
const LORA = { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj', 'down_proj'] };
const SFT_LORA = { r: 2, alpha: 4, dropout: 0, target_modules: ['o_proj', 'up_proj'] };
const dir = mkdtempSync(join(tmpdir(), 'model-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Trainable tensors moved to random values (LoRA B too, so the adapter changes the model). */
async function randomize(e: Engine, m: QwenModel, params: ReturnType<QwenModel['trainableParams']>, seed: number): Promise<Record<string, HostTensor>> {
  const rng = new Rng(seed);
  const host = await readParams(params);
  for (const [k, t] of Object.entries(host)) host[k] = { shape: t.shape, data: Float32Array.from(t.data, (x) => x + 0.05 * rng.normal()) };
  writeTensors(e, params, params.map((p) => p.label), host, 'test');
  return host;
}

const ckpt = (runId: string, weights: Record<string, HostTensor>): Checkpoint => ({
  runId, step: 3, weights, optimizer: { step: 3, m: {}, v: {} }, rng: new Rng(1).getState(), data: { epoch: 0, batch: 3 }, nonFiniteStreak: 0, createdAt: 1,
});

/** Writes files into a folder (what the user drops) and returns the folder and the drop (Blobs with names). */
function folder(name: string, files: Record<string, Uint8Array | string>): { dir: string; blobs: Blob[]; names: string[] } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const [f, data] of Object.entries(files)) writeFileSync(join(d, f), data);
  return dropOf(d);
}
function dropOf(d: string): { dir: string; blobs: Blob[]; names: string[] } {
  const names = readdirSync(d);
  return { dir: d, names, blobs: names.map((n) => new Blob([readFileSync(join(d, n))])) };
}

const store = new ImportStore();

describe.each(testAdapters())('imported models on %s', (adapter) => {
  it('an adapter exported from a LoRA run, imported on builtin:tiny, is the model the CLI loads from the folder: for chat and as a start policy', async () => {
    const e = new Engine(await gpuFor(adapter));
    const run = await loadTrainableModel(e, TINY, { finetune: 'lora', lora: LORA, chatTemplate: 'model', seed: 1 });
    const weights = await randomize(e, run.model, run.model.trainableParams(), 2);
    const trained = await logits(run.model);
    const drop = folder(`lora-${adapter}`, checkpointFiles(ckpt('x', weights), { finetune: 'lora', lora: LORA, model_name: 'builtin:tiny' }));

    const rec = await importModel({ name: 'my adapter', files: drop.blobs, names: drop.names, base: 'builtin:tiny' }, modelFiles);
    expect(rec).toMatchObject({ kind: 'adapter', task: 'CAUSAL_LM', base: 'builtin:tiny', trainedOn: 'builtin:tiny', lora: { r: 4, alpha: 8 }, layers: 2, hidden: 64 });
    expect((await store.list()).map((r) => r.id)).toContain(rec.id);
    expect(await baseModelOf(`import:${rec.id}`)).toBe('builtin:tiny');

    // Chat / evaluation (model-source.ts): the import's policy source with its adapter merged.
    const src = await startPolicySource(`import:${rec.id}`, modelFiles);
    expect(src.baseName).toBe('builtin:tiny');
    const chat = await loadInferenceModel(e, src.files, src.adapters, { chatTemplate: 'model' });
    const cli = resolveModel(drop.dir);
    expect(cli.base).toBe(TINY_DIR);
    const cliModel = await loadInferenceModel(e, folderProvider(cli.base), cli.adapters.map(folderProvider), { chatTemplate: 'model' });
    const cliLogits = await logits(cliModel.model);
    const got = await logits(chat.model);
    expect(maxDiff(got, cliLogits)).toBeLessThan(1e-5);
    expect(maxDiff(got, trained)).toBeLessThan(1e-4);
    const base = await loadInferenceModel(e, TINY, [], { chatTemplate: 'model' });
    expect(maxDiff(got, await logits(base.model))).toBeGreaterThan(1e-3);

    // Further training (train-session.ts, SFT / GRPO / PPO): merged start + a fresh adapter = the CLI's start policy.
    const rl = { r: 2, alpha: 4, dropout: 0, target_modules: ['q_proj', 'o_proj'] };
    const policy = await loadPolicy(e, src.files, { finetune: 'lora', lora: rl, chatTemplate: 'model', seed: 3, startAdapters: src.adapters });
    const cliPolicy = await openStartPolicy(e, drop.dir, { finetune: 'lora', lora: rl, chatTemplate: 'model', seed: 3 });
    expect(maxDiff(await logits(policy.model), await logits(cliPolicy.model))).toBeLessThan(1e-5);
    expect(maxDiff(await logits(policy.model), trained)).toBeLessThan(1e-4);
    expect(policy.model.trainableParams().length).toBe(2 * 2 * 2);

    // An SFT run that started from the import: chat rebuilds start + its adapter; its export carries the start adapter.
    const sftWeights = await randomize(e, policy.model, policy.model.trainableParams(), 8);
    const sftLogits = await logits(policy.model);
    const sftId = `sft-on-import-${adapter}`;
    await new RunStore().put({ id: sftId, method: 'sft', name: 'sft on import', config: { model_name: `import:${rec.id}`, finetune: 'lora', lora: rl, chat_template: 'model' }, status: 'done', createdAt: 1, updatedAt: 1, totalSteps: 3, step: 3 });
    await new IdbCheckpointStore().save(ckpt(sftId, sftWeights), 2);
    const sftRun = (await new RunStore().get(sftId))!;
    const onImport = await runPolicySource(sftRun, (await new IdbCheckpointStore().latest(sftId))!, modelFiles);
    expect(onImport.adapters).toHaveLength(2);
    expect(maxDiff(await logits((await loadInferenceModel(e, onImport.files, onImport.adapters, { chatTemplate: 'model' })).model), sftLogits)).toBeLessThan(1e-4);
    const exported = await new TrainSessions(() => gpuFor(adapter), () => {}).exportAdapter(sftId);
    expect(JSON.parse(new TextDecoder().decode(exported.files['adapter_config.json'])).base_model_name_or_path).toBe('builtin:tiny');
    expect(exported.files['start-adapter_model.safetensors']).toEqual(new Uint8Array(readFileSync(join(drop.dir, 'adapter_model.safetensors'))));

    // Stored files read back byte for byte; removal takes the record and the files.
    const files = await store.files(rec.id);
    const cfg = (await files('adapter_config.json'))!;
    expect(new Uint8Array(await cfg.read(0, cfg.size))).toEqual(new Uint8Array(readFileSync(join(drop.dir, 'adapter_config.json'))));
    await store.remove(rec.id);
    expect(await store.get(rec.id)).toBeUndefined();
    expect((await store.allKeys()).filter((k) => k.includes(rec.id))).toEqual([]);
    await expect(startPolicySource(`import:${rec.id}`, modelFiles)).rejects.toThrow(/no such imported model/);
  });

  it('an adapter on an SFT run and an adapter on an imported model folder stack in order, as the run and the folder load', async () => {
    const e = new Engine(await gpuFor(adapter));
    // A LoRA SFT run (checkpoint in IndexedDB), and an adapter trained on top of it (exported elsewhere).
    const sft = await loadTrainableModel(e, TINY, { finetune: 'lora', lora: SFT_LORA, chatTemplate: 'model', seed: 1 });
    const sftWeights = await randomize(e, sft.model, sft.model.trainableParams(), 5);
    const runId = `sft-${adapter}`;
    await new RunStore().put({ id: runId, method: 'sft', name: 'my sft', config: { model_name: 'builtin:tiny', finetune: 'lora', lora: SFT_LORA, chat_template: 'model' }, status: 'done', createdAt: 1, updatedAt: 1, totalSteps: 3, step: 3 });
    await new IdbCheckpointStore().save(ckpt(runId, sftWeights), 2);
    sft.model.mergeLora();
    sft.model.addLora({ r: LORA.r, alpha: LORA.alpha, dropout: 0, targets: LORA.target_modules as never }, new Rng(9));
    const topWeights = await randomize(e, sft.model, sft.model.trainableParams(), 6);
    const stacked = await logits(sft.model);
    const top = folder(`top-${adapter}`, checkpointFiles(ckpt('y', topWeights), { finetune: 'lora', lora: LORA, model_name: 'builtin:tiny' }));

    const onRun = await importModel({ name: 'on my sft', files: top.blobs, names: top.names, base: `run:${runId}` }, modelFiles);
    expect(onRun.baseLabel).toBe('my sft (on builtin:tiny)');
    const src = await startPolicySource(`import:${onRun.id}`, modelFiles);
    expect(src.adapters).toHaveLength(2);
    const chat = await loadInferenceModel(e, src.files, src.adapters, { chatTemplate: 'model' });
    expect(maxDiff(await logits(chat.model), stacked)).toBeLessThan(1e-4);

    // The tiny model's own folder imported as a complete model; an adapter on it is the same as on builtin:tiny.
    const tiny = dropOf(TINY_DIR);
    const model = await importModel({ name: 'tiny copy', files: tiny.blobs, names: tiny.names, base: null }, modelFiles);
    expect(model).toMatchObject({ kind: 'model', task: 'CAUSAL_LM', arch: 'qwen3', layers: 2 });
    const onImport = await importModel({ name: 'on tiny copy', files: top.blobs, names: top.names, base: `import:${model.id}` }, modelFiles);
    expect(await baseModelOf(`import:${onImport.id}`)).toBe(`import:${model.id}`);
    const viaImport = await startPolicySource(`import:${onImport.id}`, modelFiles);
    const direct = await loadInferenceModel(e, TINY, [folderProvider(top.dir)], { chatTemplate: 'model' });
    expect(maxDiff(await logits((await loadInferenceModel(e, viaImport.files, viaImport.adapters, { chatTemplate: 'model' })).model), await logits(direct.model))).toBeLessThan(1e-5);
    // A base with an adapter on it is not removed under it.
    await expect(store.remove(model.id)).rejects.toThrow(/is the base of the imported adapter "on tiny copy": remove that first/);
    expect(await store.get(model.id)).toBeDefined();
  });

  it('an imported SEQ_CLS adapter is a reward model, scoring as the CLI loads it; it is no policy, and a policy is no reward model', async () => {
    const e = new Engine(await gpuFor(adapter));
    const trained = await loadTrainableModel(e, TINY, { finetune: 'lora', lora: LORA, chatTemplate: 'model', seed: 1, scoreHead: true });
    const weights = await randomize(e, trained.model, rewardModelParams(trained.model), 7);
    const rmDrop = folder(`rm-${adapter}`, checkpointFiles(ckpt('z', weights), { finetune: 'lora', lora: LORA, model_name: 'builtin:tiny' }));
    const rec = await importModel({ name: 'my rm', files: rmDrop.blobs, names: rmDrop.names, base: null }, modelFiles);
    expect(rec).toMatchObject({ kind: 'adapter', task: 'SEQ_CLS', base: 'builtin:tiny' });

    const items = [
      { prompt: { turns: [{ role: 'user' as const, content: 'list the people in IT Support' }] }, response: [{ role: 'assistant' as const, content: 'sure', calls: [] }] },
      { prompt: { turns: [{ role: 'user' as const, content: '1公里等于多少米' }] }, response: [{ role: 'assistant' as const, content: '1000米', calls: [] }] },
    ];
    const cli = await openRewardModel(e, rmDrop.dir, TOOLS, TINY_DIR);
    const want = await scoreConversations(cli, items as never);
    const rm = await studioRewardModel(e, `import:${rec.id}`, 'builtin:tiny', modelFiles, async () => TOOLS, TOOLS);
    const got = await scoreConversations(rm, items as never);
    expect(maxDiff(got, want)).toBeLessThan(1e-5);
    expect(Math.abs(got[0] - got[1])).toBeGreaterThan(1e-5);

    await expect(studioRewardModel(e, `import:${rec.id}`, 'Qwen/Qwen3-0.6B', modelFiles, async () => TOOLS)).rejects.toThrow(RewardModelMismatchError);
    await expect(startPolicySource(`import:${rec.id}`, modelFiles)).rejects.toThrow(StartPolicyError);
    const policy = (await store.list()).find((r) => r.task === 'CAUSAL_LM')!;
    await expect(studioRewardModel(e, `import:${policy.id}`, 'builtin:tiny', modelFiles, async () => TOOLS)).rejects.toThrow(/not a reward model/);
  });

  it('a folder that does not fit is a named error and writes nothing: rank, layers, target modules, a reward model on an adapter, no config', async () => {
    const before = await store.allKeys();
    const refuse = async (files: { blobs: Blob[]; names: string[] }, base: string | null, err: RegExp | typeof ModelImportError, mismatch?: string) => {
      const p = importModel({ name: 'bad', files: files.blobs, names: files.names, base }, modelFiles);
      await expect(p).rejects.toThrow(err);
      if (mismatch) await expect(p).rejects.toMatchObject({ name: 'AdapterMismatchError', mismatch });
    };
    // PEFT-written adapters (write_peft_adapter.py, nothing of ours): another rank in the config, another model's layers.
    const peft = (name: string, args: (string | number)[]) => {
      const d = join(dir, `${name}-${adapter}`);
      execFileSync('python3', ['tests/unit/export/write_peft_adapter.py', d, ...args.map(String)], { encoding: 'utf8' });
      return dropOf(d);
    };
    const fits = peft('peft-ok', [2, 64, 32, 128, 4, 8, 'q_proj,v_proj', 7, 'Qwen/Qwen3-tiny-elsewhere']);
    const wrongRank = folder(`wrong-rank-${adapter}`, {
      'adapter_config.json': JSON.stringify({ ...JSON.parse(readFileSync(join(fits.dir, 'adapter_config.json'), 'utf8')), r: 8 }),
      'adapter_model.safetensors': readFileSync(join(fits.dir, 'adapter_model.safetensors')),
    });
    await refuse(wrongRank, 'builtin:tiny', /adapter mismatch \(rank\): .*has rank 4 .*adapter_config\.json says r=8/, 'rank');
    await refuse(peft('peft-3-layers', [3, 64, 32, 128, 4, 8, 'q_proj', 7, 'Qwen/Qwen3-tiny-elsewhere']), 'builtin:tiny', /adapter mismatch \(layers\): .*base model has 2 layers/, 'layers');
    await refuse(peft('peft-wide', [2, 96, 32, 128, 4, 8, 'q_proj', 7, 'Qwen/Qwen3-tiny-elsewhere']), 'builtin:tiny', /adapter mismatch \(shape\)/, 'shape');
    const wrongTargets = folder(`wrong-targets-${adapter}`, {
      'adapter_config.json': JSON.stringify({ ...JSON.parse(readFileSync(join(fits.dir, 'adapter_config.json'), 'utf8')), target_modules: ['q_proj'] }),
      'adapter_model.safetensors': readFileSync(join(fits.dir, 'adapter_model.safetensors')),
    });
    await refuse(wrongTargets, 'builtin:tiny', /adapter mismatch \(target modules\): .*adapts v_proj/, 'target_modules');
    // Its own base (a hub id the test cannot fetch) when no base is chosen: the base's error, nothing stored.
    await refuse(fits, null, /no model Qwen\/Qwen3-tiny-elsewhere/);
    await refuse(fits, 'run:no-such-run', ModelImportError);
    await refuse({ blobs: [new Blob(['{}'])], names: ['tokenizer.json'] }, null, /neither config\.json .* nor adapter_config\.json/);
    await refuse(dropOf(TINY_DIR), 'builtin:tiny', /is a complete model .* no base to choose/);
    // The reward model of the test above, on the SFT run of the test before (itself an adapter on builtin:tiny).
    await refuse(dropOf(join(dir, `rm-${adapter}`)), `run:sft-${adapter}`, /is a reward model \(SEQ_CLS adapter\): its base must be a base model/);
    expect(await store.allKeys()).toEqual(before);

    // The PEFT adapter that fits is kept, under its chosen base (the name it records stays beside it).
    const ok = await importModel({ name: 'peft', files: fits.blobs, names: fits.names, base: 'builtin:tiny' }, modelFiles);
    expect(ok.trainedOn).toBe('Qwen/Qwen3-tiny-elsewhere');
    expect(await store.allKeys()).toHaveLength(before.length + 3);
  });
});
