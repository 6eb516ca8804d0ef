// LoRA adapters in PEFT's on-disk format (adapter_config.json + adapter_model.safetensors), so adapters trained
// here load in PyTorch/PEFT, TRL and vLLM and back. Key names follow PEFT's saved state dict:
//   base_model.model.model.layers.<l>.self_attn.q_proj.lora_A.weight   (r, in)
//   base_model.model.model.layers.<l>.self_attn.q_proj.lora_B.weight   (out, r)
//   base_model.model.score.weight                                        (1, C)  score head of a SEQ_CLS adapter
// The score head is what PEFT saves for a `modules_to_save` module: its ModulesToSaveWrapper holds the trained copy
// as `score.modules_to_save.default.weight`, and get_peft_model_state_dict saves it as `score.weight` (the wrapper's
// adapter_state_dict drops `modules_to_save.<adapter>`); set_peft_model_state_dict maps it back on load.

import { readText, type FileProvider } from './byte-source.ts';
import type { QwenConfig } from './config.ts';
import { readAllSafetensors, toFloat32, fromFloat32, writeSafetensors, type RawTensor } from './safetensors.ts';
import { memorySource } from './byte-source.ts';

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

/** LoRA hyper-parameters. Scale applied to B·A is alpha / r. */
export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  targets: LoraTarget[];
}

export class AdapterError extends Error {
  override name = 'AdapterError';
}

/** What does not fit when an adapter trained elsewhere meets a base model. */
export type AdapterMismatch = 'base_model' | 'task_type' | 'target_modules' | 'rank' | 'layers' | 'shape';

/**
 * An adapter that does not belong to this base model; `mismatch` says which part disagrees, so the studio and the
 * CLI can name it (and tests can check it) without parsing the message.
 */
export class AdapterMismatchError extends AdapterError {
  override name = 'AdapterMismatchError';
  constructor(readonly mismatch: AdapterMismatch, message: string) {
    super(`adapter mismatch (${mismatch.replace('_', ' ')}): ${message}`);
  }
}

/** Module path of a LoRA target inside a decoder layer. */
export function targetModulePath(target: LoraTarget): string {
  return target === 'gate_proj' || target === 'up_proj' || target === 'down_proj' ? `mlp.${target}` : `self_attn.${target}`;
}

/** PEFT state-dict key of a LoRA factor. */
export function peftKey(layer: number, target: LoraTarget, factor: 'A' | 'B'): string {
  return `base_model.model.model.layers.${layer}.${targetModulePath(target)}.lora_${factor}.weight`;
}

export const SCORE_HEAD_KEY = 'base_model.model.score.weight';
/** Parameter labels of PPO's critic adapter: critic.lora_A.<layer>.<target> (checkpoints keep them; a policy's files leave them out). */
export const CRITIC_LABEL_PREFIX = 'critic.';

/** (in, out) of each target's base projection. */
export function targetDims(cfg: QwenConfig, target: LoraTarget): { inDim: number; outDim: number } {
  const C = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const F = cfg.intermediateSize;
  switch (target) {
    case 'q_proj':
      return { inDim: C, outDim: q };
    case 'k_proj':
    case 'v_proj':
      return { inDim: C, outDim: kv };
    case 'o_proj':
      return { inDim: q, outDim: C };
    case 'gate_proj':
    case 'up_proj':
      return { inDim: C, outDim: F };
    case 'down_proj':
      return { inDim: F, outDim: C };
  }
}

/** An adapter in memory: its config, the raw config.json object (unknown PEFT fields preserved), and f32 tensors. */
export interface Adapter {
  lora: LoraConfig;
  configJson: Record<string, unknown>;
  /** PEFT key -> tensor, in file order. */
  tensors: Map<string, { shape: number[]; values: Float32Array; dtype: 'F32' | 'F16' | 'BF16' }>;
  metadata?: Record<string, string>;
}

/**
 * adapter_config.json as PEFT writes it for our LoRA config. With the score head it is a SEQ_CLS adapter:
 * PeftModelForSequenceClassification adds ["classifier", "score"] to modules_to_save, and that list is what it saves.
 */
export function peftConfigJson(lora: LoraConfig, baseModel: string, withScoreHead: boolean): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: baseModel,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    modules_to_save: withScoreHead ? ['classifier', 'score'] : null,
    peft_type: 'LORA',
    r: lora.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...lora.targets],
    task_type: withScoreHead ? 'SEQ_CLS' : 'CAUSAL_LM',
    use_dora: false,
    use_rslora: false,
  };
}

/** Python's json.dumps(obj, indent=2, sort_keys=True), which PEFT uses for adapter_config.json. */
export function pythonJsonDumps(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(sortKeys(value), null, 2);
}

/** Serializes an adapter to the two PEFT files. */
export function saveAdapter(adapter: Adapter): { 'adapter_config.json': string; 'adapter_model.safetensors': Uint8Array } {
  const raw: RawTensor[] = [...adapter.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape, data: fromFloat32(t.values, t.dtype) }));
  return {
    'adapter_config.json': pythonJsonDumps(adapter.configJson),
    'adapter_model.safetensors': writeSafetensors(raw, adapter.metadata),
  };
}

/** Reads a PEFT LoRA adapter; when `model` is given, every tensor's shape is checked against it. */
export async function loadAdapter(files: FileProvider, model?: QwenConfig): Promise<Adapter> {
  const cfgSrc = await files('adapter_config.json');
  if (!cfgSrc) throw new AdapterError('adapter_config.json is missing (a PEFT adapter folder has adapter_config.json + adapter_model.safetensors)');
  let cj: Record<string, unknown>;
  try {
    cj = JSON.parse(await readText(cfgSrc));
  } catch (e) {
    throw new AdapterError(`adapter_config.json is not valid JSON (${(e as Error).message})`);
  }
  if (cj === null || typeof cj !== 'object' || Array.isArray(cj)) throw new AdapterError(`adapter_config.json must be a JSON object, got ${Array.isArray(cj) ? 'a list' : JSON.stringify(cj)}`);
  if (cj.peft_type !== 'LORA') throw new AdapterError(`adapter_config.json: field "peft_type" is ${JSON.stringify(cj.peft_type)}; only LORA adapters are supported`);
  if (!Number.isInteger(cj.r) || (cj.r as number) <= 0) throw new AdapterError(`adapter_config.json: field "r" must be a positive integer, got ${JSON.stringify(cj.r)}`);
  if (typeof cj.lora_alpha !== 'number') throw new AdapterError(`adapter_config.json: field "lora_alpha" must be a number, got ${JSON.stringify(cj.lora_alpha)}`);
  if (cj.use_dora === true) throw new AdapterError('adapter_config.json: field "use_dora" is true; DoRA adapters are not supported');
  if (cj.use_rslora === true) throw new AdapterError('adapter_config.json: field "use_rslora" is true; rsLoRA scaling is not supported');
  for (const field of ['rank_pattern', 'alpha_pattern'] as const) {
    const v = cj[field];
    if (v && typeof v === 'object' && Object.keys(v).length > 0) throw new AdapterError(`adapter_config.json: field "${field}" is ${JSON.stringify(v)}; per-module ranks and scales are not supported (one r and lora_alpha for every module)`);
  }
  if (Array.isArray(cj.layers_to_transform) || typeof cj.layers_to_transform === 'number') {
    throw new AdapterError(`adapter_config.json: field "layers_to_transform" is ${JSON.stringify(cj.layers_to_transform)}; adapters on a subset of layers are not supported`);
  }
  const tm = cj.target_modules;
  const targetList = typeof tm === 'string' ? [tm] : tm;
  if (!Array.isArray(targetList) || targetList.some((t) => !(LORA_TARGETS as readonly string[]).includes(t))) {
    throw new AdapterMismatchError('target_modules', `adapter_config.json: field "target_modules" is ${JSON.stringify(tm)}; supported: ${LORA_TARGETS.join(', ')}`);
  }
  const lora: LoraConfig = {
    r: cj.r as number,
    alpha: cj.lora_alpha,
    dropout: typeof cj.lora_dropout === 'number' ? cj.lora_dropout : 0,
    targets: targetList as LoraTarget[],
  };

  const wSrc = await files('adapter_model.safetensors');
  if (!wSrc) throw new AdapterError('adapter_model.safetensors is missing (adapter_model.bin pickles are not supported: convert with safetensors)');
  // Adapters are small (a few MB): reading them whole is fine.
  const { tensors, metadata } = await readAllSafetensors(memorySource('adapter_model.safetensors', await wSrc.read(0, wSrc.size)));
  const map: Adapter['tensors'] = new Map();
  for (const t of tensors) {
    if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') throw new AdapterError(`adapter_model.safetensors: tensor "${t.name}": dtype ${t.dtype} is not a float type`);
    map.set(t.name, { shape: t.shape, values: toFloat32(t), dtype: t.dtype });
  }
  const adapter: Adapter = { lora, configJson: cj, tensors: map, metadata };
  if (model) checkAdapterShapes(adapter, model);
  return adapter;
}

/**
 * Every (layer, target) has A (r, in) and B (out, r); nothing else except an optional score head. Each kind of
 * disagreement is an AdapterMismatchError that names it: a module the config does not list (target modules), a
 * factor whose rank is not `r` (rank), a layer the model does not have (layers), in/out widths of another model
 * (shape), a missing factor (target modules).
 */
export function checkAdapterShapes(adapter: Adapter, model: QwenConfig): void {
  const { r, targets } = adapter.lora;
  for (const [key, t] of adapter.tensors) {
    if (key === SCORE_HEAD_KEY) {
      if (t.shape.length !== 2 || t.shape[0] !== 1 || t.shape[1] !== model.hiddenSize) {
        throw new AdapterMismatchError('shape', `adapter_model.safetensors: tensor "${key}" (the score head) has shape ${JSON.stringify(t.shape)}, expected [1,${model.hiddenSize}] (hidden_size ${model.hiddenSize} of this base model)`);
      }
      continue;
    }
    const m = LORA_KEY.exec(key);
    if (!m) throw new AdapterMismatchError('target_modules', `adapter_model.safetensors: tensor "${key}" is not a LoRA factor of a decoder projection (supported modules: ${LORA_TARGETS.join(', ')})`);
    const layer = Number(m[1]);
    const target = m[3] as LoraTarget;
    const factor = m[4] as 'A' | 'B';
    if (!(LORA_TARGETS as readonly string[]).includes(target) || targetModulePath(target) !== `${m[2]}.${target}`) {
      throw new AdapterMismatchError('target_modules', `adapter_model.safetensors: tensor "${key}" adapts ${m[2]}.${target}, which a Qwen decoder layer does not have`);
    }
    if (!targets.includes(target)) {
      throw new AdapterMismatchError('target_modules', `adapter_model.safetensors: tensor "${key}" adapts ${target}, but adapter_config.json lists target_modules ${JSON.stringify(targets)}`);
    }
    if (layer >= model.numLayers) {
      throw new AdapterMismatchError('layers', `adapter_model.safetensors: tensor "${key}" is for layer ${layer}, but the base model has ${model.numLayers} layers (num_hidden_layers): the adapter was trained on another model`);
    }
    const { inDim, outDim } = targetDims(model, target);
    const expected = factor === 'A' ? [r, inDim] : [outDim, r];
    if (t.shape.length !== 2) throw new AdapterMismatchError('shape', `adapter_model.safetensors: tensor "${key}" has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(expected)}`);
    const rankAxis = factor === 'A' ? 0 : 1;
    if (t.shape[rankAxis] !== r) {
      throw new AdapterMismatchError('rank', `adapter_model.safetensors: tensor "${key}" has rank ${t.shape[rankAxis]} (shape ${JSON.stringify(t.shape)}), but adapter_config.json says r=${r}`);
    }
    if (t.shape[0] !== expected[0] || t.shape[1] !== expected[1]) {
      throw new AdapterMismatchError('shape', `adapter_model.safetensors: tensor "${key}" has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(expected)} (r=${r}; ${target} of this base model maps ${inDim} -> ${outDim}): the adapter was trained on another model`);
    }
  }
  for (let l = 0; l < model.numLayers; l++) {
    for (const t of targets) {
      for (const f of ['A', 'B'] as const) {
        if (!adapter.tensors.has(peftKey(l, t, f))) throw new AdapterMismatchError('target_modules', `adapter_model.safetensors: tensor "${peftKey(l, t, f)}" is missing (target_modules lists ${t}; layer ${l} of ${model.numLayers})`);
      }
    }
  }
}

/** base_model.model.model.layers.<l>.<self_attn|mlp>.<proj>.lora_<A|B>.weight */
const LORA_KEY = /^base_model\.model\.model\.layers\.(\d+)\.(\w+)\.(\w+)\.lora_([AB])\.weight$/;

/** The last path segment of a model name, lower-cased: "Qwen/Qwen3-0.6B" and "/models/qwen3-0.6b/" name the same base. */
export function baseModelKey(name: string): string {
  return name.replace(/[\\/]+$/, '').split(/[\\/]/).pop()!.toLowerCase();
}

/**
 * The checks an adapter trained elsewhere must pass before it goes onto `model`: its task type is one we run
 * (CAUSAL_LM; SEQ_CLS with a one-label `score` head), its base_model_name_or_path names this base (compared by
 * the last path segment; pass `baseModel: null` to skip when the base is known only by its files), then every
 * tensor as checkAdapterShapes.
 */
export function checkAdapterFits(adapter: Adapter, model: QwenConfig, opts: { baseModel: string | null }): void {
  const task = adapter.configJson.task_type ?? 'CAUSAL_LM';
  if (task !== 'CAUSAL_LM' && task !== 'SEQ_CLS') {
    throw new AdapterMismatchError('task_type', `adapter_config.json: field "task_type" is ${JSON.stringify(task)}; supported: CAUSAL_LM (chat, SFT, RL) and SEQ_CLS (reward model with a score head)`);
  }
  const hasHead = adapter.tensors.has(SCORE_HEAD_KEY);
  if (task === 'SEQ_CLS' && !hasHead) {
    throw new AdapterMismatchError('task_type', `adapter_config.json says task_type SEQ_CLS but adapter_model.safetensors has no "${SCORE_HEAD_KEY}" (the score head PEFT saves under modules_to_save)`);
  }
  const saved = adapter.configJson.base_model_name_or_path;
  if (opts.baseModel !== null && typeof saved === 'string' && saved !== '' && baseModelKey(saved) !== baseModelKey(opts.baseModel)) {
    throw new AdapterMismatchError('base_model', `adapter_config.json: field "base_model_name_or_path" is ${JSON.stringify(saved)}, but the loaded base model is ${JSON.stringify(opts.baseModel)}; load ${JSON.stringify(saved)} first`);
  }
  checkAdapterShapes(adapter, model);
}

/** An adapter trained elsewhere, checked against the model it goes onto; ready for QwenModel.addLora(lora, rng, adapter). */
export async function loadAdapterFor(files: FileProvider, model: QwenConfig, opts: { baseModel: string | null }): Promise<Adapter> {
  const adapter = await loadAdapter(files);
  checkAdapterFits(adapter, model, opts);
  return adapter;
}
