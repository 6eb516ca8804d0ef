// LoRA adapters in PEFT's on-disk format (adapter_config.json + adapter_model.safetensors), so adapters trained
// here load in PyTorch/PEFT, TRL and vLLM and back. Key names follow PEFT's saved state dict:
//   base_model.model.model.layers.<l>.self_attn.q_proj.lora_A.weight   (r, in)
//   base_model.model.model.layers.<l>.self_attn.q_proj.lora_B.weight   (out, r)
//   base_model.model.score.weight                                        (1, C)  value head (modules_to_save)

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

/** Module path of a LoRA target inside a decoder layer. */
export function targetModulePath(target: LoraTarget): string {
  return target === 'gate_proj' || target === 'up_proj' || target === 'down_proj' ? `mlp.${target}` : `self_attn.${target}`;
}

/** PEFT state-dict key of a LoRA factor. */
export function peftKey(layer: number, target: LoraTarget, factor: 'A' | 'B'): string {
  return `base_model.model.model.layers.${layer}.${targetModulePath(target)}.lora_${factor}.weight`;
}

export const VALUE_HEAD_KEY = 'base_model.model.score.weight';

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

/** adapter_config.json as PEFT writes it for our LoRA config. */
export function peftConfigJson(lora: LoraConfig, baseModel: string, withValueHead: boolean): Record<string, unknown> {
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
    modules_to_save: withValueHead ? ['score'] : null,
    peft_type: 'LORA',
    r: lora.r,
    rank_pattern: {},
    revision: null,
    target_modules: [...lora.targets],
    task_type: withValueHead ? 'SEQ_CLS' : 'CAUSAL_LM',
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
  const tm = cj.target_modules;
  const targetList = typeof tm === 'string' ? [tm] : tm;
  if (!Array.isArray(targetList) || targetList.some((t) => !(LORA_TARGETS as readonly string[]).includes(t))) {
    throw new AdapterError(`adapter_config.json: field "target_modules" is ${JSON.stringify(tm)}; supported: ${LORA_TARGETS.join(', ')}`);
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

/** Every (layer, target) has A (r, in) and B (out, r); nothing else except an optional value head. */
export function checkAdapterShapes(adapter: Adapter, model: QwenConfig): void {
  const expected = new Map<string, number[]>();
  for (let l = 0; l < model.numLayers; l++) {
    for (const t of adapter.lora.targets) {
      const { inDim, outDim } = targetDims(model, t);
      expected.set(peftKey(l, t, 'A'), [adapter.lora.r, inDim]);
      expected.set(peftKey(l, t, 'B'), [outDim, adapter.lora.r]);
    }
  }
  expected.set(VALUE_HEAD_KEY, [1, model.hiddenSize]);
  for (const [key, t] of adapter.tensors) {
    const shape = expected.get(key);
    if (!shape) throw new AdapterError(`adapter_model.safetensors: tensor "${key}" is not a LoRA factor of targets ${adapter.lora.targets.join(',')} on a ${model.numLayers}-layer model`);
    if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
      throw new AdapterError(`adapter_model.safetensors: tensor "${key}" has shape ${JSON.stringify(t.shape)}, expected ${JSON.stringify(shape)} (r=${adapter.lora.r})`);
    }
  }
  for (const key of expected.keys()) {
    if (key !== VALUE_HEAD_KEY && !adapter.tensors.has(key)) throw new AdapterError(`adapter_model.safetensors: tensor "${key}" is missing`);
  }
}
