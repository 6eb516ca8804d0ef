// Which model the worker loads for evaluation and chat, and how: the built-in tiny model, a Hugging Face id (from
// the download cache), a folder the user dropped (a full model, or a PEFT adapter whose base is the tiny model or a
// hub id), or a studio run's newest checkpoint (SFT or RL, as the run's config loaded it). Inference only: adapters
// are merged. A reward-model run is a scorer, not a generator, and is refused here.
import type { Engine } from '../engine/index.ts';
import { mapProvider, readText, type FileProvider } from '../model/byte-source.ts';
import type { HubSettings } from '../model/hub.ts';
import type { LoadedModel } from '../model/load.ts';
import { loadAdapter } from '../model/peft.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { RunStore } from '../store/runs.ts';
import { loadInferenceModel, loadRunModel } from '../train/load-eval-model.ts';
import { modelFiles } from './train-session.ts';

export type ModelChoice =
  | { kind: 'builtin' }
  | { kind: 'hub'; id: string }
  | { kind: 'run'; runId: string }
  /** A dropped folder's files (matched by base name). */
  | { kind: 'files'; name: string; files: File[] };

export interface ModelInfo {
  label: string;
  /** Where it came from, as a stored evaluation names it: builtin:tiny, the hub id, run:<id>, folder:<name>. */
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
  if (c.kind === 'files') {
    const map = new Map<string, Blob>(c.files.map((f) => [f.name, f]));
    const files = mapProvider(map);
    const settings = await promptSettings(files);
    if (map.has('adapter_config.json')) {
      const adapter = await loadAdapter(files);
      const baseName = adapter.configJson.base_model_name_or_path;
      if (typeof baseName !== 'string' || !(baseName === 'builtin:tiny' || /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(baseName))) {
        throw new Error(`${c.name}/adapter_config.json: base_model_name_or_path is ${JSON.stringify(baseName)}; in the studio an adapter's base must be builtin:tiny or a Hugging Face id (drop a full model folder instead)`);
      }
      const base = await modelFiles(baseName, hub, progress('downloading base model'));
      const loaded = await loadInferenceModel(e, base, [adapter], { chatTemplate: settings.chatTemplate, onProgress: progress('loading model') });
      return { loaded, info: { label: `${c.name} (adapter on ${baseName})`, source: `folder:${c.name}`, listTools: settings.listTools, params: paramCount(loaded) } };
    }
    const loaded = await loadInferenceModel(e, files, [], { chatTemplate: settings.chatTemplate, onProgress: progress('loading model') });
    return { loaded, info: { label: c.name, source: `folder:${c.name}`, listTools: settings.listTools, params: paramCount(loaded) } };
  }
  const run = await new RunStore().get(c.runId);
  if (!run) throw new Error(`run ${c.runId} does not exist (deleted?)`);
  if (run.method === 'rm') throw new Error(`run ${run.name} trained a reward model: it scores answers, it does not write them; evaluate a policy (SFT, GRPO, PPO)`);
  const ckpt = await new IdbCheckpointStore().latest(c.runId);
  if (!ckpt) throw new Error(`run ${run.name} has no checkpoint yet: train until its first save (save_every), or pause it`);
  const cfg = run.config as { model_name: string; finetune: 'lora' | 'full'; lora: { r: number; alpha: number; dropout: number; target_modules: string[] }; chat_template: 'model' | 'compact'; prompt_tools?: string };
  const label = `${run.name} (${run.method}, step ${ckpt.step})`;
  const loaded = await loadRunModel(e, await modelFiles(cfg.model_name, hub, progress('downloading model')), {
    finetune: cfg.finetune, lora: cfg.lora, chatTemplate: cfg.chat_template, weights: ckpt.weights, label,
  }, progress('loading model'));
  return { loaded, info: { label, source: `run:${run.id}`, runId: run.id, listTools: cfg.prompt_tools !== 'none', params: paramCount(loaded) } };
}

/** A dropped train output may carry config.resolved.yaml: its prompt_tools and chat_template say how to prompt it. */
async function promptSettings(files: FileProvider): Promise<{ listTools: boolean; chatTemplate: 'model' | 'compact' }> {
  const src = await files('config.resolved.yaml');
  if (!src) return { listTools: true, chatTemplate: 'model' };
  const { parse } = await import('yaml');
  const cfg = (parse(await readText(src)) ?? {}) as Record<string, unknown>;
  return { listTools: cfg.prompt_tools !== 'none', chatTemplate: cfg.chat_template === 'compact' ? 'compact' : 'model' };
}

/** Gives a model's GPU memory back. */
export function releaseModel(l: LoadedModel): void {
  const m = l.model;
  for (const t of new Set([...m.baseTensors().map(([, x]) => x), ...m.trainableParams()])) t.release();
  m.e.pool.trim();
}
