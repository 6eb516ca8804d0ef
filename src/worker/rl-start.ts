// The studio's models by name, resolved in the worker from IndexedDB: the start policy a run names in `model_name`
// (builtin:tiny, a hub id, `run:<id>`: the newest checkpoint of a policy run, an SFT run's full weights or its LoRA
// adapter merged into its base, or `import:<id>`: an imported model folder, or an imported PEFT adapter on its
// base), the reward model an RL run names in `reward_model` (`run:<id>` of a reward-model run, or `import:<id>` of
// an imported SEQ_CLS adapter / reward model), and a finished RL run's policy for chat and evaluation (its start
// with its RL adapter merged). A folder dropped once for evaluation resolves here the same way as an import.
import type { Engine } from '../engine/index.ts';
import { memorySource, mapProvider, readText, type FileProvider } from '../model/byte-source.ts';
import { loadAdapter, type Adapter } from '../model/peft.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { IMPORT_PREFIX, ImportStore } from '../store/imports.ts';
import { RunStore } from '../store/runs.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { Checkpoint } from '../train/checkpoint.ts';
import { checkpointFiles, policyWeights } from '../train/export.ts';
import type { RunRecord } from '../train/metrics.ts';
import type { RmConfig } from '../train/rm-config.ts';
import { loadRewardModel, rewardModelFromCheckpoint, type RewardModel } from '../train/rm-score.ts';

export { IMPORT_PREFIX };

/** The tool set an imported reward model renders when no run's tools are given (the studio's sample set). */
export const SAMPLE_TOOLS_FILE = 'tools/enterprise_tools.json';

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

/** The start policy `name` names: a base model, a policy run's newest checkpoint, or an imported model. */
export async function startPolicySource(name: string, modelFiles: ModelFiles, depth = 0): Promise<PolicySource> {
  if (depth > MAX_DEPTH) throw new StartPolicyError(`model_name ${name}: more than ${MAX_DEPTH} runs and imports started from each other (a loop?)`);
  if (name.startsWith(IMPORT_PREFIX)) return importPolicySource(name, modelFiles, depth);
  if (!name.startsWith(RUN_PREFIX)) return { baseName: name, files: await modelFiles(name), adapters: [], label: name };
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
  // A policy has no critic: PPO's (or a reward model's) score head and PPO's critic adapter stay out of it.
  const files = checkpointFiles({ ...ckpt, weights: policyWeights(ckpt.weights) }, { ...cfg, model_name: under.baseName });
  if (cfg.finetune === 'full') {
    if (under.adapters.length) throw new StartPolicyError(`run ${run.name}: full fine-tuning on a LoRA start policy cannot be rebuilt (RL with finetune: full needs a full model start)`);
    return { baseName: under.baseName, files: overlayWeights(under.files, files['model.safetensors']), adapters: [], label };
  }
  const adapter = await loadAdapter(mapProvider(new Map(Object.entries(files))));
  return { baseName: under.baseName, files: under.files, adapters: [...under.adapters, adapter], label };
}

/** `import:<id>` as a policy: the imported folder as folderPolicySource reads it; a reward model is refused. */
async function importPolicySource(name: string, modelFiles: ModelFiles, depth: number): Promise<PolicySource> {
  const rec = await new ImportStore().get(name.slice(IMPORT_PREFIX.length));
  if (!rec) throw new StartPolicyError(`model_name ${name}: no such imported model in this browser (removed?); import it again on the Models page`);
  if (rec.task === 'SEQ_CLS') {
    throw new StartPolicyError(`model_name ${name}: the imported "${rec.name}" is a reward model (SEQ_CLS: a score head, not a policy); use it as reward_model of a GRPO / PPO run`);
  }
  const files = await new ImportStore().files(rec.id);
  return folderPolicySource(files, rec.name, rec.kind === 'adapter' ? rec.base! : null, modelFiles, { self: name, depth });
}

/**
 * A model folder as a policy: a complete model (its own files), or a PEFT adapter merged onto `base` (a model name
 * as startPolicySource takes it; null: the adapter's own base_model_name_or_path, which must then be builtin:tiny
 * or a hub id). The one reading of a dropped folder: imports and a folder dropped once for evaluation both use it.
 */
export async function folderPolicySource(files: FileProvider, label: string, base: string | null, modelFiles: ModelFiles, o: { self?: string; depth?: number } = {}): Promise<PolicySource> {
  if (!(await files('adapter_config.json'))) return { baseName: o.self ?? `folder:${label}`, files, adapters: [], label };
  const adapter = await loadAdapter(files);
  const under = await startPolicySource(base ?? adapterBaseName(adapter, label), modelFiles, (o.depth ?? 0) + 1);
  return { baseName: under.baseName, files: under.files, adapters: [...under.adapters, adapter], label };
}

/** An adapter's recorded base as a studio model name: only builtin:tiny or a hub id can be found from it alone. */
export function adapterBaseName(adapter: Adapter, label: string): string {
  const saved = adapter.configJson.base_model_name_or_path;
  if (typeof saved === 'string' && (saved === 'builtin:tiny' || HUB_ID.test(saved))) return saved;
  throw new StartPolicyError(`${label}/adapter_config.json: base_model_name_or_path is ${JSON.stringify(saved ?? null)}; in the studio an adapter's base must be builtin:tiny or a Hugging Face id: import it on the Models page and choose its base (the built-in model, a run or an imported model)`);
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/** A base model's files with model.safetensors replaced by a full fine-tune's weights (config and tokenizer kept). */
function overlayWeights(base: FileProvider, weights: Uint8Array): FileProvider {
  return async (file) => {
    if (file === 'model.safetensors') return memorySource(file, weights);
    if (file === 'model.safetensors.index.json') return null;
    return base(file);
  };
}

/** The files a run's own model config names as its base (builtin:tiny, a hub id, an imported full model), following run: starts and imported adapters. */
export async function baseModelOf(name: string, depth = 0): Promise<string> {
  if (depth > MAX_DEPTH) throw new StartPolicyError(`model_name ${name}: more than ${MAX_DEPTH} runs started from each other (a loop?)`);
  if (name.startsWith(IMPORT_PREFIX)) {
    const rec = await new ImportStore().get(name.slice(IMPORT_PREFIX.length));
    if (!rec) throw new StartPolicyError(`model_name ${name}: no such imported model in this browser (removed?)`);
    return rec.kind === 'adapter' ? baseModelOf(rec.base!, depth + 1) : name;
  }
  if (!name.startsWith(RUN_PREFIX)) return name;
  const run = await new RunStore().get(name.slice(RUN_PREFIX.length));
  if (!run) throw new StartPolicyError(`model_name ${name}: no such run in this browser (deleted?)`);
  return baseModelOf(String(run.config.model_name), depth + 1);
}

/**
 * The reward model `reward_model` names (a reward-model run's newest checkpoint), checked against the policy: the
 * same base model (TRL's PPOTrainer shares one tokenizer between policy and reward model; here both models also
 * share the GPU, and an RM trained on another base scores text it was never trained to read).
 */
export async function studioRewardModel(e: Engine, name: string, policyBase: string, modelFiles: ModelFiles, fetchTools: (file: string) => Promise<ToolDefinition[]>, policyTools?: ToolDefinition[]): Promise<RewardModel> {
  if (name.startsWith(IMPORT_PREFIX)) return importedRewardModel(e, name, policyBase, modelFiles, policyTools ?? (await fetchTools(SAMPLE_TOOLS_FILE)));
  if (!name.startsWith(RUN_PREFIX)) {
    throw new RewardModelMismatchError(`reward_model "${name}": in the studio the reward model is a reward-model run (run:<id>) or an imported reward model (import:<id>; pick it in the list), or empty for none`);
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

/**
 * An imported reward model (`import:<id>`): a SEQ_CLS adapter on its base model, or an imported
 * Qwen*ForSequenceClassification folder, loaded as the CLI loads one (loadRewardModel). As an RL run's reward_model
 * (`policyBase` given) it is checked as a run's reward model is: the same base model as the policy (a full reward
 * model: the same tokenizer.json). On the Reward page (`policyBase` null) it loads on its own base. Its prompts
 * render `tools`, listed unless its config.resolved.yaml said prompt_tools: none.
 */
export async function importedRewardModel(e: Engine, name: string, policyBase: string | null, modelFiles: ModelFiles, tools: ToolDefinition[]): Promise<RewardModel> {
  const store = new ImportStore();
  const rec = await store.get(name.slice(IMPORT_PREFIX.length));
  if (!rec) throw new RewardModelMismatchError(`reward_model ${name}: no such imported model in this browser (removed?)`);
  if (rec.task !== 'SEQ_CLS') throw new RewardModelMismatchError(`reward_model ${name}: the imported "${rec.name}" is a ${rec.kind === 'adapter' ? 'CAUSAL_LM adapter' : 'causal LM'} (a policy), not a reward model (a SEQ_CLS adapter or a *ForSequenceClassification folder)`);
  const files = await store.files(rec.id);
  let base: string | null = null;
  if (rec.kind === 'adapter') {
    base = await baseModelOf(rec.base!);
    if (policyBase !== null && base !== policyBase) {
      throw new RewardModelMismatchError(`reward_model ${name}: the imported "${rec.name}" is a reward model on ${base}, but the policy's base model is ${policyBase}: start from a ${base} policy, or import a reward model of ${policyBase}`);
    }
  } else if (policyBase !== null && !(await sameTokenizer(files, await modelFiles(policyBase)))) {
    // A full reward model names no base: what must agree is the tokenizer, so that it reads the policy's text.
    throw new RewardModelMismatchError(`reward_model ${name}: the imported "${rec.name}" has another tokenizer.json than the policy's base model ${policyBase}: it would score token ids it was never trained to read`);
  }
  return loadRewardModel(e, { rm: files, base: base !== null ? await modelFiles(base) : undefined, label: rec.name }, { tools, promptTools: rec.listTools ? 'listed' : 'none', chatTemplate: rec.chatTemplate });
}

async function sameTokenizer(a: FileProvider, b: FileProvider): Promise<boolean> {
  const [x, y] = await Promise.all([a('tokenizer.json'), b('tokenizer.json')]);
  return !!x && !!y && (await readText(x)) === (await readText(y));
}
