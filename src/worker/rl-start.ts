// The studio's RL models, resolved in the worker from IndexedDB: the start policy a GRPO / PPO run names in
// `model_name` (builtin:tiny, a hub id, or `run:<id>`: the newest checkpoint of a policy run, an SFT run's full
// weights or its LoRA adapter merged into its base), the reward model it names in `reward_model` (`run:<id>` of a
// reward-model run), and a finished RL run's policy for chat and evaluation (its start with its RL adapter merged).
import type { Engine } from '../engine/index.ts';
import { memorySource, mapProvider, type FileProvider } from '../model/byte-source.ts';
import { loadAdapter, type Adapter } from '../model/peft.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { RunStore } from '../store/runs.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { Checkpoint } from '../train/checkpoint.ts';
import { checkpointFiles } from '../train/export.ts';
import type { RunRecord } from '../train/metrics.ts';
import type { RmConfig } from '../train/rm-config.ts';
import { rewardModelFromCheckpoint, type RewardModel } from '../train/rm-score.ts';

/** `model_name: run:<id>` / `reward_model: run:<id>`: a studio run's newest checkpoint. */
export const RUN_PREFIX = 'run:';

/** A start policy the studio cannot use as named (no such run, a reward model, no checkpoint, LoRA under full RL). */
export class StartPolicyError extends Error {
  override name = 'StartPolicyError';
}

/** The reward model a run names does not fit the policy (not a reward-model run, another base model). */
export class RewardModelMismatchError extends Error {
  override name = 'RewardModelMismatchError';
}

/** Files of a model by name (builtin:tiny or a hub id): train-session's modelFiles with the run's hub settings. */
export type ModelFiles = (name: string) => FileProvider | Promise<FileProvider>;

/** A policy as files: complete weights (a base model, or a full fine-tune's checkpoint over its base's files) and adapters merged onto them in order. */
export interface PolicySource {
  /** The base model under everything (builtin:tiny or a hub id). */
  baseName: string;
  files: FileProvider;
  adapters: Adapter[];
  label: string;
}

interface PolicyConfig {
  model_name: string;
  finetune: 'lora' | 'full';
  lora: { r: number; alpha: number; dropout: number; target_modules: string[] };
}

const POLICY_METHODS = ['sft', 'grpo', 'ppo'];
/** Nested run starts followed at most (RL on RL on SFT ...). */
const MAX_DEPTH = 8;

/** The start policy `name` names: a base model, or a policy run's newest checkpoint. */
export async function startPolicySource(name: string, modelFiles: ModelFiles, depth = 0): Promise<PolicySource> {
  if (!name.startsWith(RUN_PREFIX)) return { baseName: name, files: await modelFiles(name), adapters: [], label: name };
  if (depth > MAX_DEPTH) throw new StartPolicyError(`model_name ${name}: more than ${MAX_DEPTH} runs started from each other (a loop?)`);
  const runId = name.slice(RUN_PREFIX.length);
  const run = await new RunStore().get(runId);
  if (!run) throw new StartPolicyError(`model_name ${name}: no such run in this browser (deleted?); pick a finished SFT run or a base model`);
  if (!POLICY_METHODS.includes(run.method)) {
    throw new StartPolicyError(`model_name ${name}: run ${run.name} trained a ${run.method === 'rm' ? 'reward model' : run.method} (a scorer, not a policy): start from an SFT run, and use the reward model as reward_model`);
  }
  const ckpt = await new IdbCheckpointStore().latest(runId);
  if (!ckpt) throw new StartPolicyError(`model_name ${name}: run ${run.name} has no checkpoint yet: train it until its first save (save_every)`);
  return runPolicySource(run, ckpt, modelFiles, depth);
}

/** A policy run's model at checkpoint `ckpt`: its start (for an RL run) with the checkpoint's weights on top. */
export async function runPolicySource(run: RunRecord, ckpt: Checkpoint, modelFiles: ModelFiles, depth = 0): Promise<PolicySource> {
  const cfg = run.config as unknown as PolicyConfig;
  const under = await startPolicySource(cfg.model_name, modelFiles, depth + 1);
  const label = `${run.name} (${run.method}, step ${ckpt.step})`;
  // A policy has no scalar head: a PPO critic's (or a reward model's) score head stays out of it.
  const weights = Object.fromEntries(Object.entries(ckpt.weights).filter(([k]) => k !== 'score.weight'));
  const files = checkpointFiles({ ...ckpt, weights }, { ...cfg, model_name: under.baseName });
  if (cfg.finetune === 'full') {
    if (under.adapters.length) throw new StartPolicyError(`run ${run.name}: full fine-tuning on a LoRA start policy cannot be rebuilt (RL with finetune: full needs a full model start)`);
    return { baseName: under.baseName, files: overlayWeights(under.files, files['model.safetensors']), adapters: [], label };
  }
  const adapter = await loadAdapter(mapProvider(new Map(Object.entries(files))));
  return { baseName: under.baseName, files: under.files, adapters: [...under.adapters, adapter], label };
}

/** A base model's files with model.safetensors replaced by a full fine-tune's weights (config and tokenizer kept). */
function overlayWeights(base: FileProvider, weights: Uint8Array): FileProvider {
  return async (file) => {
    if (file === 'model.safetensors') return memorySource(file, weights);
    if (file === 'model.safetensors.index.json') return null;
    return base(file);
  };
}

/** The files a run's own model config names as its base (builtin:tiny or a hub id), following run: starts. */
export async function baseModelOf(name: string, depth = 0): Promise<string> {
  if (!name.startsWith(RUN_PREFIX)) return name;
  if (depth > MAX_DEPTH) throw new StartPolicyError(`model_name ${name}: more than ${MAX_DEPTH} runs started from each other (a loop?)`);
  const run = await new RunStore().get(name.slice(RUN_PREFIX.length));
  if (!run) throw new StartPolicyError(`model_name ${name}: no such run in this browser (deleted?)`);
  return baseModelOf(String(run.config.model_name), depth + 1);
}

/**
 * The reward model `reward_model` names (a reward-model run's newest checkpoint), checked against the policy: the
 * same base model (TRL's PPOTrainer shares one tokenizer between policy and reward model; here both models also
 * share the GPU, and an RM trained on another base scores text it was never trained to read).
 */
export async function studioRewardModel(e: Engine, name: string, policyBase: string, modelFiles: ModelFiles, fetchTools: (file: string) => Promise<ToolDefinition[]>): Promise<RewardModel> {
  if (!name.startsWith(RUN_PREFIX)) {
    throw new RewardModelMismatchError(`reward_model "${name}": in the studio the reward model is a reward-model run (run:<id>; pick it in the list), or empty for none`);
  }
  const runId = name.slice(RUN_PREFIX.length);
  const run = await new RunStore().get(runId);
  if (!run) throw new RewardModelMismatchError(`reward_model ${name}: no such run in this browser (deleted?)`);
  if (run.method !== 'rm') throw new RewardModelMismatchError(`reward_model ${name}: run ${run.name} trained a ${run.method} policy, not a reward model`);
  const config = run.config as unknown as RmConfig;
  if (config.model_name !== policyBase) {
    throw new RewardModelMismatchError(`reward_model ${name}: run ${run.name} is a reward model on ${config.model_name}, but the policy's base model is ${policyBase}: train the reward model on ${policyBase}, or start from a ${config.model_name} policy`);
  }
  const ckpt = await new IdbCheckpointStore().latest(runId);
  if (!ckpt) throw new RewardModelMismatchError(`reward_model ${name}: run ${run.name} has no checkpoint yet: train it until its first save (save_every)`);
  return rewardModelFromCheckpoint(e, await modelFiles(config.model_name), config, ckpt, await fetchTools(config.tools_file), `${run.name} (step ${ckpt.step})`);
}
