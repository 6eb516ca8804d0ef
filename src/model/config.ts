// Qwen2 / Qwen3 `config.json` parsing: the typed architecture description every other model file uses.
// Validation is up front and names the field and the fix, because a bad config otherwise fails far away
// (a shape mismatch deep in a kernel).

/** Which Hugging Face architecture the weights come from. */
export type QwenArch = 'qwen2' | 'qwen3';

/**
 * What the checkpoint's head is: a causal LM's (Qwen*ForCausalLM), or one score per sequence
 * (Qwen*ForSequenceClassification with num_labels 1: a reward model, its head `score.weight` (1, C), no LM head).
 */
export type QwenTask = 'causal-lm' | 'seq-cls';

/** The architecture of a Qwen2/Qwen2.5 or Qwen3 model, as our model code needs it. */
export interface QwenConfig {
  arch: QwenArch;
  /** Absent: 'causal-lm'. */
  task?: QwenTask;
  /** Width of the residual stream C. */
  hiddenSize: number;
  /** Width of the SwiGLU hidden layer F. */
  intermediateSize: number;
  numLayers: number;
  /** Query heads H. */
  numHeads: number;
  /** Key/value heads Hkv (GQA: H is a multiple of Hkv). */
  numKvHeads: number;
  /** Per-head width D (Qwen3 sets it explicitly; Qwen2 uses hiddenSize / numHeads). */
  headDim: number;
  vocabSize: number;
  ropeTheta: number;
  rmsNormEps: number;
  /** LM head shares the embedding matrix. */
  tieWordEmbeddings: boolean;
  /** Qwen2: q/k/v projections carry biases. */
  attentionBias: boolean;
  /** Qwen3: RMSNorm over each head of q and k before RoPE. */
  qkNorm: boolean;
  maxPositionEmbeddings: number;
  /** Data type the checkpoint declares (informational; the safetensors header is authoritative). */
  torchDtype?: string;
  bosTokenId?: number;
  eosTokenId?: number | number[];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(source: string, field: string, problem: string, fix?: string) {
    super(`${source}: field "${field}" ${problem}${fix ? `. ${fix}` : ''}`);
  }
}

const ARCHITECTURES: Record<string, { arch: QwenArch; task: QwenTask }> = {
  Qwen2ForCausalLM: { arch: 'qwen2', task: 'causal-lm' },
  Qwen3ForCausalLM: { arch: 'qwen3', task: 'causal-lm' },
  Qwen2ForSequenceClassification: { arch: 'qwen2', task: 'seq-cls' },
  Qwen3ForSequenceClassification: { arch: 'qwen3', task: 'seq-cls' },
};

/** Parses and validates a Hugging Face config.json (text or parsed object). `source` names it in errors. */
export function parseQwenConfig(json: string | Record<string, unknown>, source = 'config.json'): QwenConfig {
  let raw: Record<string, unknown>;
  if (typeof json === 'string') {
    try {
      raw = JSON.parse(json) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError(source, '(file)', `is not valid JSON (${(e as Error).message})`);
    }
  } else raw = json;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(source, '(file)', 'must be a JSON object');

  const archs = raw.architectures;
  const archName = Array.isArray(archs) ? archs.find((a) => typeof a === 'string' && a in ARCHITECTURES) : undefined;
  const modelType = raw.model_type;
  const known = archName !== undefined ? ARCHITECTURES[archName as string] : undefined;
  const arch: QwenArch | undefined = known ? known.arch : modelType === 'qwen2' || modelType === 'qwen3' ? modelType : undefined;
  const task: QwenTask = known?.task ?? 'causal-lm';
  if (!arch) {
    throw new ConfigError(
      source,
      'architectures',
      `is ${JSON.stringify(archs ?? null)} (model_type ${JSON.stringify(modelType ?? null)})`,
      'Supported: Qwen2ForCausalLM (Qwen2, Qwen2.5) and Qwen3ForCausalLM (Qwen3 dense), and their ForSequenceClassification reward models',
    );
  }
  if (task === 'seq-cls') {
    const labels = raw.id2label && typeof raw.id2label === 'object' ? Object.keys(raw.id2label).length : typeof raw.num_labels === 'number' ? raw.num_labels : 2;
    if (labels !== 1) throw new ConfigError(source, 'id2label', `has ${labels} labels`, 'A reward model has one output (num_labels=1); a classifier with several labels is not supported');
  }

  const int = (field: string, fallback?: number): number => {
    const v = raw[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new ConfigError(source, field, `must be a positive integer, got ${JSON.stringify(v ?? null)}`);
    }
    return v;
  };
  const num = (field: string, fallback?: number): number => {
    const v = raw[field] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      throw new ConfigError(source, field, `must be a positive number, got ${JSON.stringify(v ?? null)}`);
    }
    return v;
  };

  const hiddenSize = int('hidden_size');
  const numHeads = int('num_attention_heads');
  const numKvHeads = int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new ConfigError(source, 'num_key_value_heads', `(${numKvHeads}) must divide num_attention_heads (${numHeads})`);
  }
  let headDim: number;
  if (raw.head_dim !== undefined && raw.head_dim !== null) headDim = int('head_dim');
  else {
    if (hiddenSize % numHeads !== 0) {
      throw new ConfigError(source, 'hidden_size', `(${hiddenSize}) is not a multiple of num_attention_heads (${numHeads})`, 'Set head_dim explicitly');
    }
    headDim = hiddenSize / numHeads;
  }
  if (headDim % 2 !== 0) throw new ConfigError(source, 'head_dim', `(${headDim}) must be even for rotary embeddings`);

  const ropeScaling = raw.rope_scaling;
  if (ropeScaling !== undefined && ropeScaling !== null) {
    throw new ConfigError(source, 'rope_scaling', `is ${JSON.stringify(ropeScaling)}`, 'RoPE scaling (YaRN, dynamic) is not supported; remove it for sequences within max_position_embeddings');
  }
  const slidingWindow = raw.use_sliding_window;
  if (slidingWindow === true) {
    throw new ConfigError(source, 'use_sliding_window', 'is true', 'Sliding-window attention is not supported; set it to false');
  }
  const tie = raw.tie_word_embeddings ?? false;
  if (typeof tie !== 'boolean') throw new ConfigError(source, 'tie_word_embeddings', `must be true or false, got ${JSON.stringify(tie)}`);
  const hiddenAct = raw.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu') throw new ConfigError(source, 'hidden_act', `is ${JSON.stringify(hiddenAct)}`, 'Qwen uses "silu" (SwiGLU)');

  // Qwen2 always has q/k/v biases; Qwen3 has `attention_bias` (false in every released checkpoint).
  let attentionBias = arch === 'qwen2';
  if (arch === 'qwen3') {
    const b = raw.attention_bias ?? false;
    if (typeof b !== 'boolean') throw new ConfigError(source, 'attention_bias', `must be true or false, got ${JSON.stringify(b)}`);
    attentionBias = b;
  }

  return {
    arch,
    ...(task === 'seq-cls' ? { task } : {}),
    hiddenSize,
    intermediateSize: int('intermediate_size'),
    numLayers: int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: int('vocab_size'),
    ropeTheta: num('rope_theta', 10000),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    tieWordEmbeddings: tie,
    attentionBias,
    qkNorm: arch === 'qwen3',
    maxPositionEmbeddings: int('max_position_embeddings', 32768),
    torchDtype: typeof raw.torch_dtype === 'string' ? raw.torch_dtype : undefined,
    bosTokenId: typeof raw.bos_token_id === 'number' ? raw.bos_token_id : undefined,
    eosTokenId: typeof raw.eos_token_id === 'number' || Array.isArray(raw.eos_token_id) ? (raw.eos_token_id as number | number[]) : undefined,
  };
}

/** The config.json a Hugging Face loader expects for `cfg` (used by the tiny-model builder). */
export function qwenConfigToJson(cfg: QwenConfig, dtype = 'float32'): Record<string, unknown> {
  const out: Record<string, unknown> = {
    architectures: [`${cfg.arch === 'qwen2' ? 'Qwen2' : 'Qwen3'}${cfg.task === 'seq-cls' ? 'ForSequenceClassification' : 'ForCausalLM'}`],
    model_type: cfg.arch,
    hidden_size: cfg.hiddenSize,
    intermediate_size: cfg.intermediateSize,
    num_hidden_layers: cfg.numLayers,
    num_attention_heads: cfg.numHeads,
    num_key_value_heads: cfg.numKvHeads,
    head_dim: cfg.headDim,
    vocab_size: cfg.vocabSize,
    rope_theta: cfg.ropeTheta,
    rms_norm_eps: cfg.rmsNormEps,
    tie_word_embeddings: cfg.tieWordEmbeddings,
    hidden_act: 'silu',
    max_position_embeddings: cfg.maxPositionEmbeddings,
    torch_dtype: dtype,
    use_sliding_window: false,
  };
  if (cfg.arch === 'qwen3') out.attention_bias = cfg.attentionBias;
  if (cfg.bosTokenId !== undefined) out.bos_token_id = cfg.bosTokenId;
  if (cfg.eosTokenId !== undefined) out.eos_token_id = cfg.eosTokenId;
  if (cfg.task === 'seq-cls') Object.assign(out, SEQ_CLS_LABELS);
  return out;
}

/** One output, as transformers writes it for num_labels=1. */
const SEQ_CLS_LABELS = { id2label: { '0': 'LABEL_0' }, label2id: { LABEL_0: 0 } };

/**
 * The config.json of a reward model made from a causal LM's: the same fields, the ForSequenceClassification
 * architecture with one label, and the pad id the score is located with (as TRL sets model.config.pad_token_id).
 */
export function seqClsConfigJson(base: Record<string, unknown>, padTokenId?: number): Record<string, unknown> {
  const archs = Array.isArray(base.architectures) ? (base.architectures as unknown[]) : [];
  const name = archs.find((a): a is string => typeof a === 'string' && a in ARCHITECTURES);
  const arch = name ? ARCHITECTURES[name].arch : base.model_type === 'qwen2' ? 'qwen2' : 'qwen3';
  return {
    ...base,
    architectures: [`${arch === 'qwen2' ? 'Qwen2' : 'Qwen3'}ForSequenceClassification`],
    ...SEQ_CLS_LABELS,
    ...(padTokenId !== undefined ? { pad_token_id: padTokenId } : {}),
  };
}

/** One parameter tensor the architecture expects: its HF name and shape (row-major, PyTorch layout [out, in]). */
export interface ParamSpec {
  name: string;
  shape: number[];
}

/** Every weight of the base model with its HF name and shape, in file order. */
export function expectedParams(cfg: QwenConfig): ParamSpec[] {
  const C = cfg.hiddenSize;
  const F = cfg.intermediateSize;
  const qDim = cfg.numHeads * cfg.headDim;
  const kvDim = cfg.numKvHeads * cfg.headDim;
  const out: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [cfg.vocabSize, C] }];
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}.`;
    out.push({ name: `${p}input_layernorm.weight`, shape: [C] });
    out.push({ name: `${p}self_attn.q_proj.weight`, shape: [qDim, C] });
    out.push({ name: `${p}self_attn.k_proj.weight`, shape: [kvDim, C] });
    out.push({ name: `${p}self_attn.v_proj.weight`, shape: [kvDim, C] });
    if (cfg.attentionBias) {
      out.push({ name: `${p}self_attn.q_proj.bias`, shape: [qDim] });
      out.push({ name: `${p}self_attn.k_proj.bias`, shape: [kvDim] });
      out.push({ name: `${p}self_attn.v_proj.bias`, shape: [kvDim] });
    }
    if (cfg.qkNorm) {
      out.push({ name: `${p}self_attn.q_norm.weight`, shape: [cfg.headDim] });
      out.push({ name: `${p}self_attn.k_norm.weight`, shape: [cfg.headDim] });
    }
    out.push({ name: `${p}self_attn.o_proj.weight`, shape: [C, qDim] });
    out.push({ name: `${p}post_attention_layernorm.weight`, shape: [C] });
    out.push({ name: `${p}mlp.gate_proj.weight`, shape: [F, C] });
    out.push({ name: `${p}mlp.up_proj.weight`, shape: [F, C] });
    out.push({ name: `${p}mlp.down_proj.weight`, shape: [C, F] });
  }
  out.push({ name: 'model.norm.weight', shape: [C] });
  // A ForSequenceClassification checkpoint has the score head instead of an LM head.
  if (cfg.task === 'seq-cls') out.push({ name: 'score.weight', shape: [1, C] });
  else if (!cfg.tieWordEmbeddings) out.push({ name: 'lm_head.weight', shape: [cfg.vocabSize, C] });
  return out;
}

/**
 * Number of parameters of the base model, from the config alone (no tensor list is built, so a config that
 * claims a billion layers costs nothing to count). Equal to the sum over expectedParams (tested).
 */
export function paramCount(cfg: QwenConfig): number {
  const C = cfg.hiddenSize;
  const F = cfg.intermediateSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const perLayer = 2 * C + q * C + 2 * kv * C + (cfg.attentionBias ? q + 2 * kv : 0) + (cfg.qkNorm ? 2 * cfg.headDim : 0) + C * q + 3 * F * C;
  return cfg.vocabSize * C * (cfg.tieWordEmbeddings ? 1 : 2) + cfg.numLayers * perLayer + C;
}

/** Number of tensors expectedParams lists, without listing them. */
export function paramTensorCount(cfg: QwenConfig): number {
  return 2 + (cfg.tieWordEmbeddings ? 0 : 1) + cfg.numLayers * (9 + (cfg.attentionBias ? 3 : 0) + (cfg.qkNorm ? 2 : 0));
}
