// The folders the Node commands accept as models: builtin:tiny, a local HF folder, or an output folder of `train`
// or a demo: a complete model (full fine-tuning), or a PEFT adapter whose base its adapter_config.json names (an
// adapter on an adapter: RL on a LoRA SFT output). One place resolves them for evaluation, RL start policies and
// reward models.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Engine } from '../engine/index.ts';
import type { LoadedModel } from '../model/load.ts';
import { folderProvider } from '../model/node-files.ts';
import { loadAdapter } from '../model/peft.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { loadPolicy, type PolicyOptions } from '../train/load-policy.ts';
import { loadRewardModel, type RewardModel } from '../train/rm-score.ts';
import { BUILTIN_TINY } from './cli-inputs.ts';

/** Settings a train output folder records in config.resolved.yaml (absent for folders made elsewhere). */
export function trainedWith(dir: string): Record<string, unknown> {
  const f = join(dir, 'config.resolved.yaml');
  return existsSync(f) ? ((parseYaml(readFileSync(f, 'utf8')) as Record<string, unknown>) ?? {}) : {};
}

/** Where a model's files are: the base folder, the adapter folders merged onto it in order, and how it was trained to be prompted. */
export interface ResolvedModel {
  base: string;
  adapters: string[];
  promptTools: 'listed' | 'none';
  chatTemplate: 'model' | 'compact';
}

const folderOf = (name: string) => (name === 'builtin:tiny' ? BUILTIN_TINY : name);

/**
 * Follows adapter folders down to a full model folder. A train output's config.resolved.yaml (beside the model)
 * says how its prompts were made (prompt_tools, chat_template); flags override it.
 */
export function resolveModel(name: string, opts: { base?: string; promptTools?: 'listed' | 'none'; chatTemplate?: 'model' | 'compact' } = {}): ResolvedModel {
  const adapters: string[] = [];
  let folder = folderOf(name);
  const settings = trainedWith(folder);
  for (let depth = 0; ; depth++) {
    if (depth > 8) throw new Error(`${name}: more than 8 adapter folders stacked on each other (a loop in base_model_name_or_path?)`);
    if (existsSync(join(folder, 'adapter_config.json'))) {
      adapters.unshift(folder);
      let next: string | undefined = depth === 0 ? opts.base : undefined;
      if (!next) {
        const cfg = JSON.parse(readFileSync(join(folder, 'adapter_config.json'), 'utf8')) as { base_model_name_or_path?: unknown };
        if (typeof cfg.base_model_name_or_path !== 'string' || cfg.base_model_name_or_path === '') {
          throw new Error(`${join(folder, 'adapter_config.json')}: field "base_model_name_or_path" is empty: give the base model folder with --base DIR`);
        }
        next = cfg.base_model_name_or_path;
      }
      const nextFolder = folderOf(next);
      if (!existsSync(nextFolder)) {
        throw new Error(`${folder} is an adapter of "${next}", which is not a folder here: download it (Models page, or huggingface-cli download) and give it with --base DIR`);
      }
      folder = nextFolder;
      continue;
    }
    if (existsSync(join(folder, 'config.json'))) break;
    throw new Error(`--model ${name}: ${folder} has neither config.json (a model folder) nor adapter_config.json (a PEFT adapter)`);
  }
  const pick = <T extends string>(flag: T | undefined, key: string, values: readonly T[], dflt: T): T => {
    if (flag) return flag;
    const v = settings[key];
    return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : dflt;
  };
  return {
    base: folder,
    adapters,
    promptTools: pick(opts.promptTools, 'prompt_tools', ['listed', 'none'], 'listed'),
    chatTemplate: pick(opts.chatTemplate, 'chat_template', ['model', 'compact'], 'model'),
  };
}

/** The RL start policy: a complete folder, or a base with its adapters merged in (load-policy.ts). */
export async function openStartPolicy(e: Engine, name: string, o: Omit<PolicyOptions, 'startAdapters'>): Promise<LoadedModel & { source: ResolvedModel }> {
  const source = resolveModel(name);
  // Their shapes are checked against the base in loadPolicy (named errors: rank, targets, layers, shape).
  const startAdapters = await Promise.all(source.adapters.map((a) => loadAdapter(folderProvider(a))));
  const loaded = await loadPolicy(e, folderProvider(source.base), { ...o, startAdapters });
  return { ...loaded, source };
}

/** A reward model folder that `train rm` or `demo:rm` wrote (an adapter on its base, or a full model). */
export async function openRewardModel(e: Engine, dir: string, tools: ToolDefinition[], base?: string): Promise<RewardModel & { base?: string }> {
  if (!existsSync(dir)) throw new Error(`reward model ${dir}: no such folder (train one with npm run train -- rm, or npm run demo:rm)`);
  const trained = trainedWith(dir);
  const baseFolder = existsSync(join(dir, 'adapter_config.json')) ? resolveModel(dir, { base }).base : undefined;
  const rm = await loadRewardModel(
    e,
    { rm: folderProvider(dir), base: baseFolder ? folderProvider(baseFolder) : undefined, label: dir },
    { tools, promptTools: trained.prompt_tools === 'none' ? 'none' : 'listed', chatTemplate: trained.chat_template === 'compact' ? 'compact' : 'model' },
  );
  return { ...rm, base: baseFolder };
}
