// Which model the worker loads for evaluation and chat, and how: the built-in tiny model, a Hugging Face id (from
// the download cache), a folder the user dropped once (a full model, or a PEFT adapter whose base is the tiny model
// or a hub id), a model imported on the Models page (a full model, or a PEFT adapter on the base chosen there: the
// tiny model, a run, another import), or a studio run's newest checkpoint (SFT or RL, as the run's config loaded
// it). Inference only: adapters are merged. A reward model is a scorer, not a generator, and is refused here.
import type { Engine } from '../engine/index.ts';
import { mapProvider } from '../model/byte-source.ts';
import type { HubSettings } from '../model/hub.ts';
import type { LoadedModel } from '../model/load.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { IMPORT_PREFIX, ImportStore } from '../store/imports.ts';
import { RunStore } from '../store/runs.ts';
import { loadInferenceModel, loadRunModel } from '../train/load-eval-model.ts';
import { promptSettings } from './model-import.ts';
import { folderPolicySource, runPolicySource, startPolicySource, type PolicySource } from './rl-start.ts';
import { modelFiles } from './train-session.ts';

export type ModelChoice =
  | { kind: 'builtin' }
  | { kind: 'hub'; id: string }
  | { kind: 'run'; runId: string }
  /** A dropped folder's files (matched by base name). */
  | { kind: 'files'; name: string; files: File[] }
  /** A model imported on the Models page (IndexedDB). */
  | { kind: 'import'; importId: string; name: string };

export interface ModelInfo {
  label: string;
  /** Where it came from, as a stored evaluation names it: builtin:tiny, the hub id, run:<id>, folder:<name>, import:<id>. */
  source: string;
  runId?: string;
  /** Prompts list no tools when the model was trained with prompt_tools: none. */
  listTools: boolean;
  params: number;
}

export interface LoadedChoice {
  loaded: LoadedModel;
  info: ModelInfo;
}

const paramCount = (l: LoadedModel) => l.model.baseTensors().reduce((s, [, t]) => s + t.size, 0);

/** A short label for a model choice before it is loaded (progress lines). */
export function choiceLabel(c: ModelChoice): string {
  switch (c.kind) {
    case 'builtin':
      return 'builtin:tiny';
    case 'hub':
      return c.id;
    case 'run':
      return `run ${c.runId}`;
    case 'files':
    case 'import':
      return c.name;
  }
}

export async function loadChoice(e: Engine, c: ModelChoice, hub: HubSettings, onProgress: (phase: string, done: number, total: number) => void): Promise<LoadedChoice> {
  const progress = (phase: string) => (d: number, t: number) => onProgress(phase, d, t);
  if (c.kind === 'builtin' || c.kind === 'hub') {
    const name = c.kind === 'builtin' ? 'builtin:tiny' : c.id;
    const files = await modelFiles(name, hub, progress('downloading model'));
    const loaded = await loadInferenceModel(e, files, [], { chatTemplate: 'model', onProgress: progress('loading model') });
    return { loaded, info: { label: c.kind === 'builtin' ? 'builtin:tiny (untrained)' : name, source: name, listTools: true, params: paramCount(loaded) } };
  }
  if (c.kind === 'files' || c.kind === 'import') {
    // A folder dropped once and an imported one are read the same way (rl-start.ts folderPolicySource).
    const found = c.kind === 'files' ? await droppedFolder(c, hub, progress) : await importedModel(c.importId, hub, progress);
    const loaded = await loadInferenceModel(e, found.src.files, found.src.adapters, { chatTemplate: found.chatTemplate, onProgress: progress('loading model') });
    return { loaded, info: { label: found.label, source: found.source, listTools: found.listTools, params: paramCount(loaded) } };
  }
  const run = await new RunStore().get(c.runId);
  if (!run) throw new Error(`run ${c.runId} does not exist (deleted?)`);
  if (run.method === 'rm') throw new Error(`run ${run.name} trained a reward model: it scores answers, it does not write them; evaluate a policy (SFT, GRPO, PPO)`);
  const ckpt = await new IdbCheckpointStore().latest(c.runId);
  if (!ckpt) throw new Error(`run ${run.name} has no checkpoint yet: train until its first save (save_every), or pause it`);
  const cfg = run.config as { model_name: string; finetune: 'lora' | 'full'; lora: { r: number; alpha: number; dropout: number; target_modules: string[] }; chat_template: 'model' | 'compact'; prompt_tools?: string };
  const label = `${run.name} (${run.method}, step ${ckpt.step})`;
  if (run.method === 'grpo' || run.method === 'ppo' || /^(run|import):/.test(cfg.model_name)) {
    // An RL run's policy (or an SFT run's that started from a run or an import): its start (a base model, an SFT
    // run's weights / merged adapter, an imported model) with the run's adapter merged; PPO's critic (head or adapter) left out.
    const src = await runPolicySource(run, ckpt, (name) => modelFiles(name, hub, progress('downloading model')));
    const loaded = await loadInferenceModel(e, src.files, src.adapters, { chatTemplate: cfg.chat_template, onProgress: progress('loading model') });
    return { loaded, info: { label, source: `run:${run.id}`, runId: run.id, listTools: cfg.prompt_tools !== 'none', params: paramCount(loaded) } };
  }
  const loaded = await loadRunModel(e, await modelFiles(cfg.model_name, hub, progress('downloading model')), {
    finetune: cfg.finetune, lora: cfg.lora, chatTemplate: cfg.chat_template, weights: ckpt.weights, label,
  }, progress('loading model'));
  return { loaded, info: { label, source: `run:${run.id}`, runId: run.id, listTools: cfg.prompt_tools !== 'none', params: paramCount(loaded) } };
}

interface FoundFolder {
  src: PolicySource;
  label: string;
  source: string;
  listTools: boolean;
  chatTemplate: 'model' | 'compact';
}

/** A folder dropped for one evaluation: a full model, or an adapter on the base its adapter_config.json names. */
async function droppedFolder(c: Extract<ModelChoice, { kind: 'files' }>, hub: HubSettings, progress: (phase: string) => (d: number, t: number) => void): Promise<FoundFolder> {
  const files = mapProvider(new Map<string, Blob>(c.files.map((f) => [f.name, f])));
  const src = await folderPolicySource(files, c.name, null, (name) => modelFiles(name, hub, progress('downloading base model')));
  const adapterOn = src.adapters.length ? ` (adapter on ${src.baseName})` : '';
  return { src, label: `${c.name}${adapterOn}`, source: `folder:${c.name}`, ...(await promptSettings(files)) };
}

/** An imported model (Models page): its record says how it was trained to be prompted. */
async function importedModel(id: string, hub: HubSettings, progress: (phase: string) => (d: number, t: number) => void): Promise<FoundFolder> {
  const rec = await new ImportStore().get(id);
  if (!rec) throw new Error(`${IMPORT_PREFIX}${id}: no such imported model in this browser (removed?)`);
  if (rec.task === 'SEQ_CLS') throw new Error(`the imported "${rec.name}" is a reward model (SEQ_CLS): it scores answers, it does not write them; use it as an RL run's reward_model`);
  const src = await startPolicySource(`${IMPORT_PREFIX}${id}`, (name) => modelFiles(name, hub, progress('downloading base model')));
  const label = rec.kind === 'adapter' ? `${rec.name} (imported adapter on ${rec.baseLabel ?? rec.base})` : `${rec.name} (imported)`;
  return { src, label, source: `${IMPORT_PREFIX}${id}`, listTools: rec.listTools, chatTemplate: rec.chatTemplate };
}

/** Gives a model's GPU memory back. */
export function releaseModel(l: LoadedModel): void {
  const m = l.model;
  for (const t of new Set([...m.baseTensors().map(([, x]) => x), ...m.trainableParams()])) t.release();
  m.e.pool.trim();
}
