// Worker side of the Export page: a studio run (its config and newest checkpoint from IndexedDB, the datasets the
// user picks, the model the run trained) becomes the folder `npm run export` writes, as one zip: a TRL + accelerate
// or verl project for a GPU cluster (src/export/build.ts) or the model with its adapter merged as ONNX for
// transformers.js (src/export/onnx/), whatever the run started from (a base model, an SFT run, an imported model or
// adapter). CPU work only (no GPU), in the worker so the page stays responsive.
import { buildExport } from '../export/build.ts';
import { onnxFolderFromFiles } from '../export/onnx/onnx-folder.ts';
import type { DatasetExample } from '../data/conversation.ts';
import { parseRewardConfig, REWARD_PRESETS, type RewardConfig } from '../eval/reward.ts';
import { exportUnsupported, ExportError, type ExportFiles, type ExportMethod, type ExportRun, type RunExportTarget } from '../export/run.ts';
import { readText, type FileProvider } from '../model/byte-source.ts';
import type { HubSettings } from '../model/hub.ts';
import { TINY_MODEL_FILES } from '../model/load.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { IMPORT_PREFIX, ImportStore } from '../store/imports.ts';
import { RunStore } from '../store/runs.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { COMPACT_CHAT_TEMPLATE } from '../tokenizer/compact-template.ts';
import type { Checkpoint } from '../train/checkpoint.ts';
import { checkpointFiles, policyWeights } from '../train/export.ts';
import type { RunRecord } from '../train/metrics.ts';
import type { SftConfig } from '../train/sft-config.ts';
import { zipFiles } from '../util/zip.ts';
import type { DataSource } from './protocol.ts';
import { publicUrl } from './public-url.ts';
import { baseModelOf, runPolicySource, startPolicySource, type ModelFiles } from './rl-start.ts';
import { exportBaseName, startFiles } from './start-export.ts';
import { fetchText, modelFiles, readSource } from './train-session.ts';

export type ExportRunTarget = RunExportTarget;

export interface ExportRunRequest {
  runId: string;
  target: ExportRunTarget;
  train: DataSource;
  eval: DataSource | null;
  hub: HubSettings;
}

export interface ExportRunResult {
  /** The zip's file name: <run name>-<target>-step<N>.zip */
  name: string;
  zip: Uint8Array;
  /** The folder's paths, in the zip's order. */
  paths: string[];
  step: number;
}

/** A side file of a model folder, read whole (config, tokenizer, weights). */
export async function fileOf(files: FileProvider, name: string): Promise<Uint8Array> {
  const src = await files(name);
  if (!src) throw new ExportError(`the model folder has no ${name}`);
  return src.read(0, src.size);
}

const readFiles = async (files: FileProvider, names: readonly string[]) => Object.fromEntries(await Promise.all(names.map(async (f) => [f, await fileOf(files, f)] as const)));

/** What a model folder needs beside its weights for the cluster's engines to load it. */
const SIDE_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

export async function exportStudioRun(req: ExportRunRequest, onPhase: (phase: string) => void): Promise<ExportRunResult> {
  const run = await new RunStore().get(req.runId);
  if (!run) throw new ExportError(`run ${req.runId} does not exist`);
  const unsupported = exportUnsupported(run.method, req.target);
  if (unsupported) throw new ExportError(`run ${run.name}: ${unsupported}`);
  const ckpt = await new IdbCheckpointStore().latest(req.runId);
  if (!ckpt) throw new ExportError(`run ${run.name} has no checkpoint yet: train until the first save (save_every), or pause it`);
  onPhase('reading tools and data');
  const toolsFile = typeof run.config.tools_file === 'string' ? run.config.tools_file : 'tools/enterprise_tools.json';
  const toolsRes = await fetch(publicUrl(toolsFile));
  if (!toolsRes.ok) throw new ExportError(`tools file ${toolsFile}: HTTP ${toolsRes.status}`);
  const tools = (await toolsRes.json()) as ToolDefinition[];
  const train = await readSource(req.train, tools);
  const evalData = req.eval ? await readSource(req.eval, tools) : [];
  const ruleFile = await rewardRuleFile(run.method, run.config);
  const files = await runExportFiles({ run, ckpt, target: req.target, tools, train, eval: evalData, ruleFile, modelFiles: (name) => modelFiles(name, req.hub, () => {}) }, onPhase);
  onPhase('zipping');
  const safe = run.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'run';
  return { name: `${safe}-${req.target}-step${ckpt.step}.zip`, zip: zipFiles(files), paths: Object.keys(files), step: ckpt.step };
}

export interface RunExportInputs {
  run: RunRecord;
  ckpt: Checkpoint;
  target: ExportRunTarget;
  tools: ToolDefinition[];
  train: DatasetExample[];
  eval: DatasetExample[];
  modelFiles: ModelFiles;
  /** The reward YAML an RL run's reward.rule names (rewardRuleFile), for the cluster folder's reward. */
  ruleFile?: RewardConfig;
}

/**
 * An RL config's reward.rule that names a reward YAML (not a preset or none): the file the studio serves, read as
 * training reads it. Undefined for presets and for SFT / RM configs (their export uses the GRPO defaults' preset).
 */
export async function rewardRuleFile(method: string, config: Record<string, unknown>): Promise<RewardConfig | undefined> {
  const rule = (config.reward as { rule?: unknown } | undefined)?.rule;
  if ((method !== 'grpo' && method !== 'ppo') || typeof rule !== 'string' || rule === '' || rule === 'none' || rule in REWARD_PRESETS) return undefined;
  return parseRewardConfig(await fetchText(rule, 'reward.rule'), rule);
}

/**
 * The export folder of a run at checkpoint `ckpt`, whatever it started from (rl-start.ts): a base model, an SFT
 * run, an imported model or adapter. ONNX: the policy as chat loads it (the start's adapters and the run's merged).
 * TRL / verl: the run's adapter named for its real base (start-export.ts), a LoRA start carried beside it as
 * adapter/start-adapter_* (merged first by merge_adapter.py), and a base without a hub id carried as model/.
 */
export async function runExportFiles(x: RunExportInputs, onPhase: (phase: string) => void): Promise<ExportFiles> {
  const { run, ckpt, target } = x;
  const config = run.config;
  onPhase('reading the model');
  const modelName = typeof config.model_name === 'string' ? config.model_name : 'builtin:tiny';
  const baseName = await exportBaseName(modelName);
  const under = await baseModelOf(modelName);
  const base = await x.modelFiles(under);
  const chatTemplate = config.chat_template === 'compact' ? COMPACT_CHAT_TEMPLATE : (JSON.parse(await readText((await base('tokenizer_config.json'))!)) as { chat_template?: unknown }).chat_template;
  if (typeof chatTemplate !== 'string') throw new ExportError(`model ${baseName}: tokenizer_config.json has no chat_template`);
  const full = config.finetune === 'full';

  if (target === 'onnx') {
    onPhase('merging the adapter and writing ONNX');
    const policy = await runPolicySource(run, ckpt, x.modelFiles);
    return onnxFolderFromFiles({ model: policy.files, startAdapters: policy.adapters, baseModel: null, chatTemplate });
  }

  onPhase(`writing the ${target === 'trl' ? 'TRL' : 'verl'} folder`);
  // A policy adapter has no critic (PPO's score head and critic adapter stay out, as in chat); a reward model's head is its output.
  const weights = run.method === 'rm' ? ckpt.weights : policyWeights(ckpt.weights);
  const trained = checkpointFiles({ ...ckpt, weights }, { ...(config as unknown as SftConfig), model_name: baseName });
  const start = full ? {} : await startFiles(run.name, modelName);
  const own = await ownModelFiles(under, base);
  // A full fine-tune is its own model, and so is the full SFT run a LoRA run started from: the base's side files with those weights.
  const fullWeights = full ? trained['model.safetensors'] : start['start-model.safetensors'];
  const carried = fullWeights ? withWeights(own ?? (await readFiles(base, SIDE_FILES)), fullWeights) : own;
  const startAdapter = start['start-adapter_config.json']
    ? { files: { 'adapter_config.json': start['start-adapter_config.json'], 'adapter_model.safetensors': start['start-adapter_model.safetensors'] }, label: (await startPolicySource(modelName, x.modelFiles)).label }
    : undefined;
  const exportRun: ExportRun = {
    method: run.method as ExportMethod, config, train: x.train, eval: x.eval, tools: x.tools, chatTemplate, baseModel: baseName,
    modelFiles: carried, adapter: full ? undefined : trained, startAdapter, ruleFile: x.ruleFile,
  };
  return buildExport(exportRun, target);
}

/** A model folder's files with its weights (one file or shards and their index) replaced by `weights`. */
function withWeights(files: Record<string, Uint8Array>, weights: Uint8Array): Record<string, Uint8Array> {
  const sides = Object.entries(files).filter(([name]) => !/\.safetensors(\.index\.json)?$/.test(name));
  return { ...Object.fromEntries(sides), 'model.safetensors': weights };
}

/** A base model no hub id can fetch, as files to carry: the built-in tiny model, an imported model folder. */
async function ownModelFiles(name: string, files: FileProvider): Promise<Record<string, Uint8Array> | undefined> {
  if (name === 'builtin:tiny') return readFiles(files, TINY_MODEL_FILES);
  if (!name.startsWith(IMPORT_PREFIX)) return undefined;
  const rec = await new ImportStore().get(name.slice(IMPORT_PREFIX.length));
  if (!rec) throw new ExportError(`model_name ${name}: no such imported model in this browser (removed?)`);
  return readFiles(files, rec.files.map((f) => f.name));
}
