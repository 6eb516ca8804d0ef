// The Reward page's worker session (src/worker/reward-session.ts) on imported reward models, on a real in-memory
// IndexedDB and real WebGPU: a SEQ_CLS adapter imported on builtin:tiny and an imported Qwen3ForSequenceClassification
// folder (trained with prompt_tools: none) load through the same loader as an RL run's reward_model
// (rl-start.ts importedRewardModel) and score (prompt, response) pairs exactly as the CLI's openRewardModel scores the
// same folders; a policy import is refused by name, and a removed one too.
import 'fake-indexeddb/auto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openRewardModel } from '../../../src/cli/model-folders.ts';
import { readParams } from '../../../src/cli/model-output.ts';
import type { Conversation, Turn } from '../../../src/data/conversation.ts';
import { Engine } from '../../../src/engine/index.ts';
import { seqClsConfigJson } from '../../../src/model/config.ts';
import { DEFAULT_HUB } from '../../../src/model/hub.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import type { QwenModel } from '../../../src/model/qwen.ts';
import { ImportStore } from '../../../src/store/imports.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import type { Checkpoint, HostTensor } from '../../../src/train/checkpoint.ts';
import { checkpointFiles } from '../../../src/train/export.ts';
import { loadTrainableModel } from '../../../src/train/load-model.ts';
import { writeTensors } from '../../../src/train/loop.ts';
import { rewardModelParams, scoreConversations } from '../../../src/train/rm-score.ts';
import { Rng } from '../../../src/util/rng.ts';
import { importModel } from '../../../src/worker/model-import.ts';
import { RewardSession } from '../../../src/worker/reward-session.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

const TINY_DIR = 'public/models/tiny';
const TINY = folderProvider(TINY_DIR);
const TOOLS = JSON.parse(readFileSync('public/tools/enterprise_tools.json', 'utf8')) as ToolDefinition[];
const LORA = { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj', 'down_proj'] };
const dir = mkdtempSync(join(tmpdir(), 'reward-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** The worker's I/O on this machine: builtin:tiny and imports as folders, the tools file from public/. */
const io = {
  modelFiles: (name: string) => {
    if (name !== 'builtin:tiny') throw new Error(`test: no model ${name}`);
    return TINY;
  },
  fetchTools: async (file: string) => JSON.parse(readFileSync(join('public', file), 'utf8')) as ToolDefinition[],
};

const ITEMS: Array<{ prompt: Conversation; response: Turn[] }> = [
  { prompt: { system: '当前用户：王伟（E1001）', turns: [{ role: 'user', content: 'list the people in IT Support' }] }, response: [{ role: 'assistant', content: '', calls: [{ name: 'search_employees', arguments: { department: 'IT Support' } }] }] },
  { prompt: { turns: [{ role: 'user', content: 'list the people in IT Support' }] }, response: [{ role: 'assistant', content: 'sure', calls: [] }] },
  { prompt: { turns: [{ role: 'user', content: '1公里等于多少米' }] }, response: [{ role: 'assistant', content: '1000米', calls: [] }] },
];

/** Reward-model parameters moved to random values (the score head and LoRA B too, so every part scores). */
async function randomize(e: Engine, m: QwenModel, seed: number, scale: number): Promise<Record<string, HostTensor>> {
  const params = rewardModelParams(m);
  const rng = new Rng(seed);
  const host = await readParams(params);
  for (const [k, t] of Object.entries(host)) host[k] = { shape: t.shape, data: Float32Array.from(t.data, (x) => x + scale * rng.normal()) };
  writeTensors(e, params, params.map((p) => p.label), host, 'test');
  return host;
}
const ckpt = (weights: Record<string, HostTensor>): Checkpoint => ({
  runId: 'x', step: 3, weights, optimizer: { step: 3, m: {}, v: {} }, rng: new Rng(1).getState(), data: { epoch: 0, batch: 3 }, nonFiniteStreak: 0, createdAt: 1,
});
function folder(name: string, files: Record<string, Uint8Array | string>): { dir: string; blobs: Blob[]; names: string[] } {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  for (const [f, data] of Object.entries(files)) writeFileSync(join(d, f), data);
  const names = readdirSync(d);
  return { dir: d, names, blobs: names.map((n) => new Blob([readFileSync(join(d, n))])) };
}

describe.each(testAdapters())('Reward page session on %s: imported reward models', (adapter) => {
  it('a SEQ_CLS adapter on builtin:tiny and a full *ForSequenceClassification folder score as the CLI loads them', async () => {
    const e = new Engine(await gpuFor(adapter));
    const session = new RewardSession(() => gpuFor(adapter), io);
    const models = io.modelFiles;

    // A SEQ_CLS adapter (LoRA + score head), imported on the base its adapter_config.json records.
    const lora = await loadTrainableModel(e, TINY, { finetune: 'lora', lora: LORA, chatTemplate: 'model', seed: 1, scoreHead: true });
    const rmDrop = folder(`rm-lora-${adapter}`, checkpointFiles(ckpt(await randomize(e, lora.model, 7, 0.05)), { finetune: 'lora', lora: LORA, model_name: 'builtin:tiny' }));
    const seqCls = await importModel({ name: 'my rm adapter', files: rmDrop.blobs, names: rmDrop.names, base: null }, models);
    expect(seqCls).toMatchObject({ kind: 'adapter', task: 'SEQ_CLS', base: 'builtin:tiny' });
    const info = await session.load(`import:${seqCls.id}`, DEFAULT_HUB);
    expect(info).toEqual({ model: `import:${seqCls.id}`, label: 'my rm adapter (imported)', step: null });
    const got = await session.score(ITEMS);
    const want = Array.from(await scoreConversations(await openRewardModel(e, rmDrop.dir, TOOLS, TINY_DIR), ITEMS));
    expect(maxDiff(got, want)).toBeLessThan(1e-5);
    expect(Math.max(...got) - Math.min(...got)).toBeGreaterThan(1e-4);

    // A fully fine-tuned reward model: Qwen3ForSequenceClassification weights, config and tokenizer, trained with
    // prompt_tools: none (its config.resolved.yaml says so; the import and the CLI both read it).
    const full = await loadTrainableModel(e, TINY, { finetune: 'full', lora: LORA, chatTemplate: 'model', seed: 2, scoreHead: true });
    const weights = checkpointFiles(ckpt(await randomize(e, full.model, 8, 0.01)), { finetune: 'full', lora: LORA, model_name: 'builtin:tiny' });
    const fullDrop = folder(`rm-full-${adapter}`, {
      ...weights,
      'config.json': JSON.stringify(seqClsConfigJson(JSON.parse(readFileSync(join(TINY_DIR, 'config.json'), 'utf8')))),
      'tokenizer.json': readFileSync(join(TINY_DIR, 'tokenizer.json')),
      'tokenizer_config.json': readFileSync(join(TINY_DIR, 'tokenizer_config.json')),
      'config.resolved.yaml': '# resolved RM config\nmodel_name: builtin:tiny\nprompt_tools: none\nchat_template: model\n',
    });
    const fullRec = await importModel({ name: 'my full rm', files: fullDrop.blobs, names: fullDrop.names, base: null }, models);
    expect(fullRec).toMatchObject({ kind: 'model', task: 'SEQ_CLS', listTools: false });
    expect((await session.load(`import:${fullRec.id}`, DEFAULT_HUB)).label).toBe('my full rm (imported)');
    const gotFull = await session.score(ITEMS);
    const wantFull = Array.from(await scoreConversations(await openRewardModel(e, fullDrop.dir, TOOLS), ITEMS));
    expect(maxDiff(gotFull, wantFull)).toBeLessThan(1e-5);
    expect(maxDiff(gotFull, got)).toBeGreaterThan(1e-4);

    // A policy import is no reward model; a removed import is named as removed.
    const policyDrop = folder(`policy-${adapter}`, checkpointFiles(ckpt(await readParams(lora.model.trainableParams().filter((p) => p.label !== 'score.weight'))), { finetune: 'lora', lora: LORA, model_name: 'builtin:tiny' }));
    const policy = await importModel({ name: 'a policy', files: policyDrop.blobs, names: policyDrop.names, base: null }, models);
    await expect(session.load(`import:${policy.id}`, DEFAULT_HUB)).rejects.toThrow(/"a policy" is a CAUSAL_LM adapter \(a policy\), not a reward model/);
    await new ImportStore().remove(seqCls.id);
    await expect(session.load(`import:${seqCls.id}`, DEFAULT_HUB)).rejects.toThrow(/no such imported model .*removed/);
    await expect(session.score(ITEMS)).rejects.toThrow(/no reward model is loaded/);
  });
});
