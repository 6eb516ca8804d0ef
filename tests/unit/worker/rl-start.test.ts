// The studio's RL models from IndexedDB (src/worker/rl-start.ts), on a real in-memory IndexedDB and real WebGPU:
// a LoRA SFT run's checkpoint as a start policy gives exactly the SFT model's logits under a fresh RL adapter (and
// with it switched off: the reference), a full SFT run's checkpoint likewise; an RL run on top of it loads for chat
// as start + RL adapter merged, equal to the trained policy; its export is a CAUSAL_LM adapter without the critic (head and adapter),
// with the start's adapter beside it; a reward-model run scores as the model it checkpointed; and every mismatch
// is a named error.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readParams } from '../../../src/cli/model-output.ts';
import { Engine } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import type { QwenModel } from '../../../src/model/qwen.ts';
import { memorySource } from '../../../src/model/byte-source.ts';
import { readAllSafetensors } from '../../../src/model/safetensors.ts';
import { IdbCheckpointStore } from '../../../src/store/checkpoints.ts';
import { RunStore } from '../../../src/store/runs.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import type { Checkpoint, HostTensor } from '../../../src/train/checkpoint.ts';
import { loadInferenceModel } from '../../../src/train/load-eval-model.ts';
import { loadTrainableModel } from '../../../src/train/load-model.ts';
import { loadPolicy } from '../../../src/train/load-policy.ts';
import { writeTensors } from '../../../src/train/loop.ts';
import type { RunRecord } from '../../../src/train/metrics.ts';
import { rewardModelParams, scoreConversations } from '../../../src/train/rm-score.ts';
import { Rng } from '../../../src/util/rng.ts';
import { RewardModelMismatchError, runPolicySource, StartPolicyError, startPolicySource, studioRewardModel } from '../../../src/worker/rl-start.ts';
import { TrainSessions } from '../../../src/worker/train-session.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { logits, maxDiff } from '../../helpers/model-logits.ts';

const TINY = folderProvider('public/models/tiny');
const modelFiles = (name: string) => {
  if (name !== 'builtin:tiny') throw new Error(`test: no model ${name}`);
  return TINY;
};
const TOOLS = JSON.parse(readFileSync('public/tools/enterprise_tools.json', 'utf8')) as ToolDefinition[];
const fetchTools = async () => TOOLS;
const SFT_LORA = { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj', 'down_proj'] };
const RL_LORA = { r: 2, alpha: 4, dropout: 0, target_modules: ['q_proj', 'o_proj'] };

/** Every trainable tensor set to random values (LoRA B too, so the adapter changes the model). */
async function randomize(e: Engine, m: QwenModel, seed: number, scale = 0.05): Promise<Record<string, HostTensor>> {
  const rng = new Rng(seed);
  const params = m.trainableParams();
  const host = await readParams(params);
  for (const [k, t] of Object.entries(host)) host[k] = { shape: t.shape, data: Float32Array.from(t.data, (x) => x + scale * rng.normal()) };
  writeTensors(e, params, params.map((p) => p.label), host, 'test');
  return host;
}

const runs = new RunStore();
const ckpts = new IdbCheckpointStore();
async function storeRun(id: string, method: RunRecord['method'], config: Record<string, unknown>, weights: Record<string, HostTensor> | null): Promise<RunRecord> {
  const run: RunRecord = { id, method, name: id, config, status: 'done', createdAt: 1, updatedAt: 1, totalSteps: 3, step: 3 };
  await runs.put(run);
  if (weights) {
    const ckpt: Checkpoint = { runId: id, step: 3, weights, optimizer: { step: 3, m: {}, v: {} }, rng: new Rng(1).getState(), data: { epoch: 0, batch: 3 }, nonFiniteStreak: 0, createdAt: 1 };
    await ckpts.save(ckpt, 2);
  }
  return run;
}
const policyConfig = (model_name: string, finetune: 'lora' | 'full', lora = SFT_LORA) => ({ model_name, finetune, lora, chat_template: 'model', prompt_tools: 'none', tools_file: 'public/tools/enterprise_tools.json' });

describe.each(testAdapters())('studio RL models on %s', (adapter) => {
  it('a LoRA SFT run starts RL as the SFT model; an RL run on it loads for chat as the trained policy; its export leaves the critic out', async () => {
    const e = new Engine(await gpuFor(adapter));
    const sft = await loadTrainableModel(e, TINY, { finetune: 'lora', lora: SFT_LORA, chatTemplate: 'model', seed: 1 });
    const sftWeights = await randomize(e, sft.model, 2);
    const sftLogits = await logits(sft.model);
    await storeRun(`sft-lora-${adapter}`, 'sft', policyConfig('builtin:tiny', 'lora'), sftWeights);

    const start = await startPolicySource(`run:sft-lora-${adapter}`, modelFiles);
    expect(start.baseName).toBe('builtin:tiny');
    expect(start.adapters).toHaveLength(1);
    const policy = await loadPolicy(e, start.files, { finetune: 'lora', lora: RL_LORA, chatTemplate: 'model', seed: 3, startAdapters: start.adapters, critic: 'adapter' });
    // A fresh RL adapter (B = 0) and the reference (adapter off) are both exactly the SFT model.
    expect(maxDiff(await logits(policy.model), sftLogits)).toBeLessThan(1e-4);
    policy.model.adapterEnabled = false;
    expect(maxDiff(await logits(policy.model), sftLogits)).toBeLessThan(1e-4);
    policy.model.adapterEnabled = true;

    // Train-like: the RL adapter and the critic (its head and adapter) move; the chat / eval loader must rebuild
    // exactly this policy, and nothing of the critic.
    const rlWeights = await randomize(e, policy.model, 4);
    expect(Object.keys(rlWeights)).toContain('score.weight');
    const criticAdapter = Object.keys(rlWeights).filter((k) => k.startsWith('critic.lora_'));
    expect(criticAdapter.length).toBeGreaterThan(0);
    const rlLogits = await logits(policy.model);
    expect(maxDiff(rlLogits, sftLogits)).toBeGreaterThan(1e-3);
    const rlRun = await storeRun(`grpo-${adapter}`, 'ppo', policyConfig(`run:sft-lora-${adapter}`, 'lora', RL_LORA), rlWeights);
    const src = await runPolicySource(rlRun, (await ckpts.latest(rlRun.id))!, modelFiles);
    const chat = await loadInferenceModel(e, src.files, src.adapters, { chatTemplate: 'model' });
    expect(chat.model.scoreHead).toBeNull();
    expect(maxDiff(await logits(chat.model), rlLogits)).toBeLessThan(1e-4);

    const { files, step } = await new TrainSessions(() => gpuFor(adapter), () => {}).exportAdapter(rlRun.id);
    expect(step).toBe(3);
    const cfg = JSON.parse(new TextDecoder().decode(files['adapter_config.json']));
    expect(cfg.task_type).toBe('CAUSAL_LM');
    expect(cfg.base_model_name_or_path).toBe('builtin:tiny');
    expect(cfg.r).toBe(RL_LORA.r);
    const keys = (await readAllSafetensors(memorySource('a', files['adapter_model.safetensors']))).tensors.map((t) => t.name);
    expect(keys.some((k) => k.includes('score'))).toBe(false);
    expect(keys.length).toBe(Object.keys(rlWeights).length - 1 - criticAdapter.length);
    expect(JSON.parse(new TextDecoder().decode(files['start-adapter_config.json'])).r).toBe(SFT_LORA.r);
  });

  it('a full SFT run starts RL as its weights', async () => {
    const e = new Engine(await gpuFor(adapter));
    const sft = await loadTrainableModel(e, TINY, { finetune: 'full', lora: SFT_LORA, chatTemplate: 'model', seed: 1 });
    const weights = await randomize(e, sft.model, 5, 0.01);
    const ref = await logits(sft.model);
    await storeRun(`sft-full-${adapter}`, 'sft', policyConfig('builtin:tiny', 'full'), weights);
    const start = await startPolicySource(`run:sft-full-${adapter}`, modelFiles);
    expect(start.adapters).toHaveLength(0);
    const policy = await loadPolicy(e, start.files, { finetune: 'lora', lora: RL_LORA, chatTemplate: 'model', seed: 3 });
    expect(maxDiff(await logits(policy.model), ref)).toBeLessThan(1e-4);
    const base = await loadTrainableModel(e, TINY, { finetune: 'lora', lora: RL_LORA, chatTemplate: 'model', seed: 3 });
    expect(maxDiff(await logits(base.model), ref)).toBeGreaterThan(1e-3);
  });

  it('a reward-model run scores as the model it checkpointed; mismatches are named errors', async () => {
    const e = new Engine(await gpuFor(adapter));
    const rmCfg = { ...policyConfig('builtin:tiny', 'lora'), seed: 1 };
    const trained = await loadTrainableModel(e, TINY, { finetune: 'lora', lora: SFT_LORA, chatTemplate: 'model', seed: 1, scoreHead: true });
    const params = rewardModelParams(trained.model);
    const host = await readParams(params);
    const rng = new Rng(7);
    for (const [k, t] of Object.entries(host)) host[k] = { shape: t.shape, data: Float32Array.from(t.data, (x) => x + 0.05 * rng.normal()) };
    writeTensors(e, params, params.map((p) => p.label), host, 'test');
    await storeRun(`rm-${adapter}`, 'rm', rmCfg, host);
    const items = [
      { prompt: { turns: [{ role: 'user' as const, content: 'list the people in IT Support' }] }, response: [{ role: 'assistant' as const, content: 'sure', calls: [] }] },
      { prompt: { turns: [{ role: 'user' as const, content: '1公里等于多少米' }] }, response: [{ role: 'assistant' as const, content: '1000米', calls: [] }] },
    ];
    const want = await scoreConversations({ model: trained.model, tokenizer: trained.tokenizer, render: { tools: TOOLS, renderTools: [] }, label: 'ref' }, items as never);
    const rm = await studioRewardModel(e, `run:rm-${adapter}`, 'builtin:tiny', modelFiles, fetchTools);
    const got = await scoreConversations(rm, items as never);
    expect(maxDiff(got, want)).toBeLessThan(1e-4);
    expect(Math.abs(got[0] - got[1])).toBeGreaterThan(1e-5);

    await storeRun(`rm-other-${adapter}`, 'rm', { ...rmCfg, model_name: 'Qwen/Qwen3-0.6B' }, host);
    await expect(studioRewardModel(e, `run:rm-other-${adapter}`, 'builtin:tiny', modelFiles, fetchTools)).rejects.toThrow(RewardModelMismatchError);
    await expect(studioRewardModel(e, `run:rm-other-${adapter}`, 'builtin:tiny', modelFiles, fetchTools)).rejects.toThrow(/reward model on Qwen\/Qwen3-0.6B, but the policy's base model is builtin:tiny/);
    await expect(studioRewardModel(e, 'out/rm-demo', 'builtin:tiny', modelFiles, fetchTools)).rejects.toThrow(RewardModelMismatchError);
    await expect(studioRewardModel(e, `run:sft-full-${adapter}`, 'builtin:tiny', modelFiles, fetchTools)).rejects.toThrow(/not a reward model/);

    await expect(startPolicySource(`run:rm-${adapter}`, modelFiles)).rejects.toThrow(StartPolicyError);
    await expect(startPolicySource('run:no-such-run', modelFiles)).rejects.toThrow(/no such run/);
    await storeRun(`sft-empty-${adapter}`, 'sft', policyConfig('builtin:tiny', 'lora'), null);
    await expect(startPolicySource(`run:sft-empty-${adapter}`, modelFiles)).rejects.toThrow(/no checkpoint yet/);
  });
});
