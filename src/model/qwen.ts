// The Qwen2 / Qwen3 decoder on our engine's ops, in one file (nanoGPT-style): embedding, per layer
// RMSNorm -> attention (q/k/v [+bias], [q/k RMSNorm], RoPE, causal GQA with padding mask) -> o_proj -> residual,
// RMSNorm -> SwiGLU MLP -> residual; final RMSNorm; LM head (tied or not); optional scalar score head (hidden -> 1,
// no bias: the reward model's score read at each sequence's last real token, and PPO's critic read at every token).
// LoRA (rank r, alpha, dropout, any of q,k,v,o,gate,up,down) adds (alpha/r)·B(A(dropout(x))) to a frozen
// projection; the frozen base may be stored as packed f16. A static KV cache serves generation.
//
// Shapes: B batch, T tokens, C hidden, H query heads, Hkv key/value heads, D head dim, F MLP width, V vocab.
// Activations are kept flat as (B·T, features) for the linears and viewed as (B, T, heads, D) for attention.

import { Rng } from '../util/rng.ts';
import {
  add, attention, checkpoint, crossEntropy, dropoutSeeds, embedding, kvCacheWrite, linear, matmul, projection, reshape, rmsnorm, ropePair, ropeTables, scale,
  swiglu, type Engine, type RopeTables,
} from '../engine/index.ts';
import type { QwenConfig } from './config.ts';
import { CRITIC_LABEL_PREFIX, LORA_TARGETS, peftConfigJson, peftKey, SCORE_HEAD_KEY, targetDims, type Adapter, type LoraConfig, type LoraTarget } from './peft.ts';
import { f32ToF16, toFloat32, type RawTensor } from './safetensors.ts';
import { Storage, Tensor } from '../engine/tensor.ts';
import { streamWeights, type ModelFolder } from './weights.ts';

/** How the base weights live on the GPU. */
export interface BaseWeightOptions {
  /** 'f16': frozen projections as packed f16 (half the memory); norms and embedding stay f32. */
  storage: 'f32' | 'f16';
  /** Make every base weight a trainable parameter (full fine-tuning, gradient tests). Needs storage 'f32'. */
  trainable: boolean;
  /** Longest sequence the RoPE tables cover (default: min(config, 4096)). */
  maxPositions?: number;
}

/** One set of LoRA factors (A (r, in), B (out, r) per `<layer>.<target>`) with its scale alpha / r. */
interface LoraAdapters {
  config: LoraConfig;
  A: Map<string, Tensor>;
  B: Map<string, Tensor>;
  scale: number;
}

interface LayerWeights {
  inputNorm: Tensor; // (C)
  proj: Record<LoraTarget, Tensor>; // (out, in) each
  qBias?: Tensor; kBias?: Tensor; vBias?: Tensor; // Qwen2
  qNorm?: Tensor; kNorm?: Tensor; // Qwen3, (D)
  postNorm: Tensor; // (C)
}

/** One batch of token rows. Padding is marked in `mask`; positions default to the count of real tokens before. */
export interface TokenBatch {
  /** (B, T) */
  ids: Int32Array | Uint32Array;
  /** (B, T) 1 = real token, 0 = padding */
  mask: Uint8Array;
  B: number;
  T: number;
  /** (B, T) rotary positions */
  positions?: Int32Array;
}

export interface ForwardOutput {
  /** (B·T, V); absent when the forward was asked for no logits. */
  logits: Tensor;
  /** (B·T, 1) score head at every token (PPO's values), when the model has the head. */
  values?: Tensor;
  /** (B·T, C) final normed hidden state. */
  hidden: Tensor;
}

/** Per-layer key/value storage for generation, allocated once: (B, S, Hkv, D) each, plus the (B, S) mask. */
export interface KvCache {
  B: number;
  S: number;
  k: Tensor[];
  v: Tensor[];
  mask: Tensor;
  maskHost: Uint32Array;
}

const PROJ_NAME: Record<LoraTarget, string> = {
  q_proj: 'self_attn.q_proj', k_proj: 'self_attn.k_proj', v_proj: 'self_attn.v_proj', o_proj: 'self_attn.o_proj',
  gate_proj: 'mlp.gate_proj', up_proj: 'mlp.up_proj', down_proj: 'mlp.down_proj',
};

export function positionIds(mask: Uint8Array, B: number, T: number): Int32Array {
  const pos = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) pos[b * T + t] = mask[b * T + t] ? n++ : 0;
  }
  return pos;
}

/** Flat row (b·T + t) of each sequence's last real token: the rightmost t with mask 1. A row without one is an error. */
export function lastTokenRows(mask: Uint8Array, B: number, T: number): Uint32Array {
  const out = new Uint32Array(B);
  for (let b = 0; b < B; b++) {
    let t = T - 1;
    while (t >= 0 && !mask[b * T + t]) t--;
    if (t < 0) throw new Error(`sequence ${b} of the batch has no tokens (its mask is all padding)`);
    out[b] = b * T + t;
  }
  return out;
}

export class QwenModel {
  readonly rope: RopeTables;
  lora: LoraAdapters | null = null;
  /**
   * PPO's critic as its own LoRA adapter on the same frozen base (labels `critic.lora_A.<layer>.<target>`), read with
   * the score head: the value model without a second copy of the base weights. Used only inside withCritic.
   */
  criticLora: LoraAdapters | null = null;
  /** The score head (1, C), HF's `score` of *ForSequenceClassification; null when the model has none. */
  scoreHead: Tensor | null = null;
  /** Dropout randomness (the project's one RNG, so a seed reproduces a run). */
  dropoutRng = new Rng(0);
  /** Dropout applies only in training mode. */
  training = false;
  /** Recompute each layer in the backward pass instead of keeping its activations (long sequences, big models). */
  checkpointLayers = false;
  /**
   * false runs the frozen weights alone, as if the LoRA adapters were not attached: the RL reference policy is the
   * policy RL started from, held without a second copy of the base weights (see src/train/load-policy.ts).
   */
  adapterEnabled = true;
  /** mergeForDecode's merged projections and the adapters they were made from; null when none. */
  private decodeWeights: { lora: LoraAdapters; weights: Map<string, Tensor> } | null = null;

  private constructor(
    readonly e: Engine,
    readonly cfg: QwenConfig,
    readonly embed: Tensor, // (V, C)
    readonly layers: LayerWeights[],
    readonly finalNorm: Tensor, // (C)
    readonly lmHead: Tensor | null, // (V, C) when untied
    readonly base: BaseWeightOptions,
  ) {
    this.rope = ropeTables(e, Math.min(base.maxPositions ?? 4096, cfg.maxPositionEmbeddings), cfg.headDim, cfg.ropeTheta);
    e.keep(this.rope.cos);
    e.keep(this.rope.sin);
  }

  /** Builds the model from weights streamed one tensor at a time (nothing but the current tensor in JS memory). */
  static async load(e: Engine, folder: ModelFolder, base: BaseWeightOptions, onProgress?: (done: number, total: number) => void): Promise<QwenModel> {
    const tensors = new Map<string, Tensor>();
    await streamWeights(
      folder,
      (t: RawTensor) => {
        if (t.name === 'lm_head.weight' && folder.config.tieWordEmbeddings) return;
        tensors.set(t.name, QwenModel.upload(e, t.name, toFloat32(t), t.shape, base));
        // Submit as we go so upload staging memory is returned before the next tensor.
        e.flush();
      },
      onProgress,
    );
    return QwenModel.assemble(e, folder.config, tensors, base);
  }

  /**
   * From f32 arrays keyed by HF names (tests), or made one tensor at a time by `make` (random-weight benchmarks:
   * each array can be dropped as soon as it is uploaded).
   */
  static fromArrays(
    e: Engine, cfg: QwenConfig, weights: Map<string, Float32Array>, base: BaseWeightOptions, shapes: Map<string, number[]>,
    make?: (name: string, shape: number[]) => Float32Array,
  ): QwenModel {
    const tensors = new Map<string, Tensor>();
    for (const [name, shape] of shapes) {
      const data = weights.get(name) ?? make?.(name, shape);
      if (!data) throw new Error(`QwenModel.fromArrays: no data for "${name}"`);
      tensors.set(name, QwenModel.upload(e, name, data, shape, base));
    }
    return QwenModel.assemble(e, cfg, tensors, base);
  }

  private static upload(e: Engine, name: string, data: Float32Array, shape: number[], base: BaseWeightOptions): Tensor {
    const isPacked = shape.length === 2 && name.includes('.layers.') && base.storage === 'f16' && !base.trainable;
    if (base.trainable && base.storage === 'f16') throw new Error('QwenModel: trainable base weights need storage "f32" (packed f16 is frozen storage)');
    if (base.trainable) return e.param(data, shape, name);
    if (!isPacked) return exactTensor(e, shape, 'f32', data, name);
    // Packed f16 (two halves per u32, element i in half i & 1), packed here with a scratch-buffer converter:
    // a 0.5B model has 360M projection values, too many for a per-value allocation.
    const packed = new Uint32Array(Math.ceil(data.length / 2));
    for (let i = 0; i < data.length; i += 2) packed[i >> 1] = f32ToF16(data[i]) | (i + 1 < data.length ? f32ToF16(data[i + 1]) << 16 : 0);
    return exactTensor(e, shape, 'f16x2', packed, name);
  }

  private static assemble(e: Engine, cfg: QwenConfig, t: Map<string, Tensor>, base: BaseWeightOptions): QwenModel {
    const get = (name: string) => {
      const x = t.get(name);
      if (!x) throw new Error(`QwenModel: weight "${name}" was not loaded`);
      return x;
    };
    const layers: LayerWeights[] = [];
    for (let l = 0; l < cfg.numLayers; l++) {
      const p = `model.layers.${l}.`;
      const proj = Object.fromEntries(LORA_TARGETS.map((tg) => [tg, get(`${p}${PROJ_NAME[tg]}.weight`)])) as Record<LoraTarget, Tensor>;
      layers.push({
        inputNorm: get(`${p}input_layernorm.weight`),
        proj,
        qBias: cfg.attentionBias ? get(`${p}self_attn.q_proj.bias`) : undefined,
        kBias: cfg.attentionBias ? get(`${p}self_attn.k_proj.bias`) : undefined,
        vBias: cfg.attentionBias ? get(`${p}self_attn.v_proj.bias`) : undefined,
        qNorm: cfg.qkNorm ? get(`${p}self_attn.q_norm.weight`) : undefined,
        kNorm: cfg.qkNorm ? get(`${p}self_attn.k_norm.weight`) : undefined,
        postNorm: get(`${p}post_attention_layernorm.weight`),
      });
    }
    const m = new QwenModel(e, cfg, get('model.embed_tokens.weight'), layers, get('model.norm.weight'), cfg.tieWordEmbeddings || cfg.task === 'seq-cls' ? null : get('lm_head.weight'), base);
    // A ForSequenceClassification checkpoint brings its trained score head.
    if (cfg.task === 'seq-cls') m.scoreHead = get('score.weight');
    return m;
  }

  // ------------------------------------------------------------------ LoRA and score head

  /**
   * Adds LoRA adapters. Without `from`, PEFT's init: A ~ U(-1/sqrt(in), 1/sqrt(in)) (kaiming-uniform, a=sqrt(5)),
   * B = 0, so the model starts unchanged. `from` loads a saved adapter (its score head too, if present).
   */
  addLora(config: LoraConfig, rng: Rng, from?: Adapter): void {
    if (this.lora) throw new Error('QwenModel: LoRA adapters are already attached');
    this.lora = this.makeLora(config, rng, '', from);
    const head = from?.tensors.get(SCORE_HEAD_KEY);
    if (head) this.addScoreHead(rng, head.values);
  }

  /** Adds PPO's critic adapter (PEFT's init: the critic starts reading the frozen base's hidden states). */
  addCriticLora(config: LoraConfig, rng: Rng): void {
    if (this.criticLora) throw new Error('QwenModel: the critic adapter is already attached');
    if (this.base.trainable) throw new Error('QwenModel: a critic adapter needs frozen base weights (finetune: lora)');
    this.criticLora = this.makeLora(config, rng, CRITIC_LABEL_PREFIX);
  }

  /** Runs fn with the critic's adapter in the policy adapter's place (PPO's value forward). */
  withCritic<R>(fn: () => R): R {
    if (!this.criticLora) throw new Error('QwenModel.withCritic: no critic adapter (addCriticLora first)');
    const policy = this.lora;
    this.lora = this.criticLora;
    try {
      return fn();
    } finally {
      this.lora = policy;
    }
  }

  private makeLora(config: LoraConfig, rng: Rng, labelPrefix: string, from?: Adapter): LoraAdapters {
    if (!(config.r > 0) || !Number.isInteger(config.r)) throw new Error(`LoRA: r must be a positive integer, got ${config.r}`);
    if (!(config.dropout >= 0 && config.dropout < 1)) throw new Error(`LoRA: dropout must be in [0, 1), got ${config.dropout}`);
    const A = new Map<string, Tensor>();
    const Bm = new Map<string, Tensor>();
    for (let l = 0; l < this.cfg.numLayers; l++) {
      for (const t of config.targets) {
        const { inDim, outDim } = targetDims(this.cfg, t);
        const a = from?.tensors.get(peftKey(l, t, 'A'))?.values ?? rng.floats(config.r * inDim, -1 / Math.sqrt(inDim), 1 / Math.sqrt(inDim));
        const b = from?.tensors.get(peftKey(l, t, 'B'))?.values ?? new Float32Array(outDim * config.r);
        A.set(`${l}.${t}`, this.e.param(a, [config.r, inDim], `${labelPrefix}lora_A.${l}.${t}`));
        Bm.set(`${l}.${t}`, this.e.param(b, [outDim, config.r], `${labelPrefix}lora_B.${l}.${t}`));
      }
    }
    return { config, A, B: Bm, scale: config.alpha / config.r };
  }

  /**
   * The scalar score head hidden -> 1, no bias (reward model / critic), trainable, labelled `score.weight` as in HF.
   * Init N(0, 1/C) unless values are given (HF draws N(0, initializer_range²); any small init trains the same).
   */
  addScoreHead(rng: Rng, values?: Float32Array): void {
    const C = this.cfg.hiddenSize;
    if (values && values.length !== C) throw new Error(`score head: ${values.length} values for a hidden size of ${C}`);
    const w = values ?? Float32Array.from({ length: C }, () => rng.normal() / Math.sqrt(C));
    this.scoreHead?.release();
    this.scoreHead = this.e.param(w, [1, C], 'score.weight');
  }

  /** Tensors that receive gradients and optimizer state: LoRA factors (the critic's too), score head (and base weights if trainable). */
  trainableParams(): Tensor[] {
    const out: Tensor[] = [];
    if (this.base.trainable) out.push(...this.baseTensors().map(([, t]) => t));
    for (const lora of [this.lora, this.criticLora]) if (lora) for (const key of lora.A.keys()) out.push(lora.A.get(key)!, lora.B.get(key)!);
    if (this.scoreHead) out.push(this.scoreHead);
    return out;
  }

  /** PPO's critic: the score head and the critic adapter's factors (a subset of trainableParams). */
  criticParams(): Tensor[] {
    const out: Tensor[] = this.scoreHead ? [this.scoreHead] : [];
    if (this.criticLora) for (const key of this.criticLora.A.keys()) out.push(this.criticLora.A.get(key)!, this.criticLora.B.get(key)!);
    return out;
  }

  /** Every base weight with its HF name. */
  baseTensors(): [string, Tensor][] {
    const out: [string, Tensor][] = [['model.embed_tokens.weight', this.embed]];
    this.layers.forEach((L, l) => {
      const p = `model.layers.${l}.`;
      out.push([`${p}input_layernorm.weight`, L.inputNorm]);
      for (const t of LORA_TARGETS) out.push([`${p}${PROJ_NAME[t]}.weight`, L.proj[t]]);
      if (L.qBias) out.push([`${p}self_attn.q_proj.bias`, L.qBias], [`${p}self_attn.k_proj.bias`, L.kBias!], [`${p}self_attn.v_proj.bias`, L.vBias!]);
      if (L.qNorm) out.push([`${p}self_attn.q_norm.weight`, L.qNorm], [`${p}self_attn.k_norm.weight`, L.kNorm!]);
      out.push([`${p}post_attention_layernorm.weight`, L.postNorm]);
    });
    out.push(['model.norm.weight', this.finalNorm]);
    if (this.lmHead) out.push(['lm_head.weight', this.lmHead]);
    return out;
  }

  /** GPU bytes of the frozen base weights (held outside the engine's pool, so not in its stats). */
  baseBytes(): number {
    return this.base.trainable ? 0 : this.baseTensors().reduce((sum, [, t]) => sum + t.storage.bytes, 0);
  }

  /** Reads the adapters (and score head) back into PEFT form for saving. */
  async exportAdapter(baseModel: string): Promise<Adapter> {
    if (!this.lora) throw new Error('exportAdapter: the model has no LoRA adapters');
    const tensors: Adapter['tensors'] = new Map();
    for (let l = 0; l < this.cfg.numLayers; l++) {
      for (const t of this.lora.config.targets) {
        const a = this.lora.A.get(`${l}.${t}`)!;
        const b = this.lora.B.get(`${l}.${t}`)!;
        tensors.set(peftKey(l, t, 'A'), { shape: [...a.shape], values: await a.read(), dtype: 'F32' });
        tensors.set(peftKey(l, t, 'B'), { shape: [...b.shape], values: await b.read(), dtype: 'F32' });
      }
    }
    if (this.scoreHead) tensors.set(SCORE_HEAD_KEY, { shape: [1, this.cfg.hiddenSize], values: await this.scoreHead.read(), dtype: 'F32' });
    return { lora: this.lora.config, configJson: peftConfigJson(this.lora.config, baseModel, !!this.scoreHead), tensors, metadata: { format: 'pt' } };
  }

  /**
   * Folds the adapters into the base weights (W += alpha/r · B A) and drops them: inference then costs what the
   * base model costs. f16-packed projections become f32 (the sum is not rounded back to f16).
   */
  mergeLora(): void {
    if (!this.lora) return;
    // Replaced weights live outside the pool: they are destroyed only after the merge commands are submitted.
    const replaced: Tensor[] = [];
    for (const [key, A] of this.lora.A) {
      const [l, t] = key.split('.') as [string, LoraTarget];
      const L = this.layers[Number(l)];
      replaced.push(L.proj[t], A, this.lora.B.get(key)!);
      L.proj[t] = this.mergedWeight(this.lora, key);
    }
    this.e.flush();
    for (const t of replaced) t.release();
    this.lora = null;
  }

  /**
   * Merged copies W + alpha/r · B A of the adapted projections, for a decode session to run instead of the three
   * matmuls of a LoRA projection (TRL merges the adapter for generation the same way when it samples with vLLM).
   * A decode step is dispatch-bound on a small model: the copies cut it from 3 dispatches to 1 per adapted projection.
   * They cost the adapted projections' size in f32, so they are made only within `maxBytes`; false when not made.
   * Used only while the tape is off, the adapters enabled and the same adapters attached (see project); the adapters
   * themselves are not touched, so training goes on from exactly the same weights.
   */
  mergeForDecode(maxBytes: number): boolean {
    const lora = this.lora;
    if (!lora || this.decodeWeights) return false;
    let bytes = 0;
    for (const key of lora.A.keys()) {
      const [l, t] = key.split('.') as [string, LoraTarget];
      bytes += 4 * this.layers[Number(l)].proj[t].size;
    }
    if (bytes > maxBytes) return false;
    const weights = new Map<string, Tensor>();
    for (const key of lora.A.keys()) weights.set(key, this.mergedWeight(lora, key));
    this.decodeWeights = { lora, weights };
    return true;
  }

  /** Drops mergeForDecode's copies back into the pool (in command order, like any released tensor). */
  releaseDecodeWeights(): void {
    if (!this.decodeWeights) return;
    for (const t of this.decodeWeights.weights.values()) t.release();
    this.decodeWeights = null;
  }

  /** W + alpha/r · B A of one adapted projection ("layer.target"), as a kept f32 tensor; off the tape. */
  private mergedWeight(lora: LoraAdapters, key: string): Tensor {
    const e = this.e;
    const [l, t] = key.split('.') as [string, LoraTarget];
    const W = this.layers[Number(l)].proj[t];
    const A = lora.A.get(key)!;
    const Bm = lora.B.get(key)!;
    return e.keep(
      e.scope(() => {
        const prev = e.tape;
        e.tape = null;
        try {
          // B A: (out, r)·(r, in). An f16-packed base is unpacked to f32 through I·W (matmul reads f16x2 operands).
          const delta = scale(matmul(Bm, A), lora.scale);
          const w = W.dtype === 'f16x2' ? matmul(identity(e, Bm.shape[0]), W) : W;
          return add(w, delta);
        } finally {
          e.tape = prev;
        }
      }),
    );
  }

  // ------------------------------------------------------------------ forward

  /**
   * One projection of layer l: base linear (+bias) (+residual) plus the LoRA path when the target is adapted, fused
   * into one op (1 dispatch, 3 with LoRA). In training, LoRA dropout is drawn on the GPU from the forward's seed, the
   * layer and the target (counter-based: a recomputed layer gets the same mask, and nothing is drawn on the CPU).
   */
  private project(l: number, t: LoraTarget, x: Tensor, seed: number, bias?: Tensor, residual?: Tensor): Tensor {
    const lora = this.lora;
    const w = this.layers[l].proj[t];
    const merged = this.decodeWeights;
    if (merged && merged.lora === lora && this.adapterEnabled && !this.e.tape) {
      const m = merged.weights.get(`${l}.${t}`);
      if (m) return projection(x, m, { bias, residual });
    }
    if (!lora || !this.adapterEnabled || !lora.config.targets.includes(t)) return projection(x, w, { bias, residual });
    const p = this.training ? lora.config.dropout : 0;
    const [s1, s2] = dropoutSeeds(seed, l, LORA_TARGETS.indexOf(t));
    const dropout = p > 0 ? { p, seed: s1, seed2: s2 } : undefined;
    return projection(x, w, { bias, residual, lora: { A: lora.A.get(`${l}.${t}`)!, B: lora.B.get(`${l}.${t}`)!, scale: lora.scale, dropout } });
  }

  /** Tokens (B, Tq) through all layers. With a cache, their keys/values are written at rows [start, start+Tq). */
  private trunk(ids: Tensor, positions: Tensor, mask: Tensor, B: number, Tq: number, cache?: { kv: KvCache; start: number }): Tensor {
    let x = embedding(this.embed, ids); // (B·Tq, C)
    // One dropout seed per training forward, drawn only when dropout is on: evaluation and generation (training off)
    // leave the RNG where it was, so a checkpoint's RNG state gives a resumed run the same masks.
    const seed = this.training && this.lora && this.lora.config.dropout > 0 ? this.dropoutRng.nextU32() : 0;
    for (let l = 0; l < this.cfg.numLayers; l++) {
      const run = (xin: Tensor) => this.layer(l, xin, positions, mask, B, Tq, seed, cache);
      x = this.checkpointLayers && this.e.tape && !cache ? checkpoint(run, [x]) : run(x);
    }
    return rmsnorm(x, this.finalNorm, this.cfg.rmsNormEps);
  }

  /** One decoder layer: x (B·Tq, C) -> (B·Tq, C). */
  private layer(l: number, x: Tensor, positions: Tensor, mask: Tensor, B: number, Tq: number, seed: number, cache?: { kv: KvCache; start: number }): Tensor {
    const { numHeads: H, numKvHeads: Hkv, headDim: D, rmsNormEps: eps } = this.cfg;
    const L = this.layers[l];
    const h = rmsnorm(x, L.inputNorm, eps);
    let q = reshape(this.project(l, 'q_proj', h, seed, L.qBias), [B, Tq, H, D]);
    let k = reshape(this.project(l, 'k_proj', h, seed, L.kBias), [B, Tq, Hkv, D]);
    const v = reshape(this.project(l, 'v_proj', h, seed, L.vBias), [B, Tq, Hkv, D]);
    if (L.qNorm) {
      q = rmsnorm(q, L.qNorm, eps); // per head, over D
      k = rmsnorm(k, L.kNorm!, eps);
    }
    [q, k] = ropePair(q, k, positions, this.rope); // one dispatch for both
    let o: Tensor; // (B, Tq, H, D)
    if (cache) {
      this.writeCache(cache.kv.k[l], k, cache.start);
      this.writeCache(cache.kv.v[l], v, cache.start);
      o = attention(q, cache.kv.k[l], cache.kv.v[l], cache.kv.mask, { validKeys: cache.start + Tq });
    } else {
      o = attention(q, k, v, mask);
    }
    const x2 = this.project(l, 'o_proj', reshape(o, [B * Tq, H * D]), seed, undefined, x); // x + o_proj(o)
    const h2 = rmsnorm(x2, L.postNorm, eps);
    const a = swiglu(this.project(l, 'gate_proj', h2, seed), this.project(l, 'up_proj', h2, seed)); // (B·Tq, F)
    return this.project(l, 'down_proj', a, seed, undefined, x2); // x2 + down_proj(a)
  }

  /** Writes new keys/values (B, Tq, Hkv, D) into the cache (B, S, Hkv, D) at rows [start, start+Tq): one dispatch. */
  private writeCache(cache: Tensor, fresh: Tensor, start: number): void {
    kvCacheWrite(this.e, cache, fresh, start);
  }

  private lmLogits(hidden: Tensor): Tensor {
    if (this.cfg.task === 'seq-cls' && !this.cfg.tieWordEmbeddings) throw new Error('this is a sequence-classification (reward) model: it has no LM head to generate with');
    return linear(hidden, this.lmHead ?? this.embed); // (N, V)
  }

  /**
   * Full forward over a padded batch (training, scoring). Records on the engine's tape when one is active.
   * `logits: false` skips the LM head (use lmLoss on `hidden` for big vocabularies).
   */
  forward(batch: TokenBatch, opts: { logits?: boolean } = {}): ForwardOutput {
    const { B, T } = batch;
    const e = this.e;
    const ids = e.tensor(toU32(batch.ids, this.cfg.vocabSize), [B * T], 'u32', 'ids');
    const pos = e.tensor(Uint32Array.from(batch.positions ?? positionIds(batch.mask, B, T)), [B * T], 'u32', 'positions');
    const mask = e.tensor(Uint32Array.from(batch.mask), [B, T], 'u32', 'mask');
    const hidden = this.trunk(ids, pos, mask, B, T);
    const logits = opts.logits === false ? undefined : this.lmLogits(hidden);
    const values = this.scoreHead ? linear(hidden, this.scoreHead) : undefined;
    return { logits: logits!, values, hidden };
  }

  /**
   * One score per sequence, as HF's *ForSequenceClassification pools it: the score head read at each row's last
   * real token (the rightmost position the mask marks; left- and right-padded batches alike). hidden (B·T, C) from
   * `forward`, mask (B, T) -> (B, 1). HF finds that position from input_ids != pad_token_id; the attention mask gives
   * the same position whenever padding is pad tokens, and also when the pad id occurs in the text (Qwen's pad may be
   * <|im_end|>).
   */
  sequenceScores(hidden: Tensor, mask: Uint8Array, B: number, T: number): Tensor {
    return this.scoresAt(hidden, lastTokenRows(mask, B, T));
  }

  /** The score head at the given flat rows of hidden (N, C): (rows, 1). The gather's backward scatters into hidden. */
  scoresAt(hidden: Tensor, rows: Uint32Array): Tensor {
    if (!this.scoreHead) throw new Error('the model has no score head (addScoreHead, or load a SEQ_CLS adapter)');
    const idx = this.e.tensor(Uint32Array.from(rows), [rows.length], 'u32', 'scoreRows');
    return linear(embedding(hidden, idx), this.scoreHead); // gather (rows, C), then (rows, 1)
  }

  /**
   * Mean next-token cross-entropy from the final hidden state without materialising all logits: only rows that
   * have a target go through the LM head (in SFT most rows are prompt or padding, and the head is most of a small
   * model's compute), gathered in chunks, each under activation checkpointing, so at most `chunkRows` x V logits
   * exist at once (forward and backward). hidden (N, C), targets (N) with IGNORE_TARGET for rows without loss.
   */
  lmLoss(hidden: Tensor, targets: Uint32Array, chunkRows = 1024): Tensor {
    const e = this.e;
    const V = this.cfg.vocabSize;
    // A chunk's logits (rows, V) must fit one storage binding.
    const maxRows = Math.floor(e.device.limits.maxStorageBufferBindingSize / (V * 4) / 1.5);
    chunkRows = Math.max(1, Math.min(chunkRows, maxRows));
    const counted: number[] = [];
    targets.forEach((t, i) => {
      if (t < V) counted.push(i);
    });
    const total = counted.length;
    if (total === 0) throw new Error('lmLoss: no row has a target');
    let loss: Tensor | null = null;
    for (let r0 = 0; r0 < total; r0 += chunkRows) {
      const picked = counted.slice(r0, r0 + chunkRows);
      const rows = e.tensor(Uint32Array.from(picked), [picked.length], 'u32', 'rows');
      const tgt = e.tensor(Uint32Array.from(picked, (i) => targets[i]), [picked.length], 'u32', 'targets');
      // Row gather (its backward scatters into the hidden gradient); each chunk's mean is reweighted so the
      // sum over chunks is the mean over all counted rows.
      const part = checkpoint((h: Tensor) => scale(crossEntropy(this.lmLogits(embedding(h, rows)), tgt), picked.length / total), [hidden]);
      loss = loss ? add(loss, part) : part;
    }
    return loss!;
  }

  // ------------------------------------------------------------------ generation support

  /** A cache for B rows of up to S tokens; allocated once and reused by every step. */
  createCache(B: number, S: number): KvCache {
    const { numKvHeads: Hkv, headDim: D } = this.cfg;
    if (S > this.rope.maxPositions) throw new Error(`KV cache of ${S} tokens exceeds the RoPE table (${this.rope.maxPositions} positions)`);
    const k: Tensor[] = [];
    const v: Tensor[] = [];
    for (let l = 0; l < this.cfg.numLayers; l++) {
      k.push(this.e.keep(this.e.zeros([B, S, Hkv, D], `kcache.${l}`)));
      v.push(this.e.keep(this.e.zeros([B, S, Hkv, D], `vcache.${l}`)));
    }
    const maskHost = new Uint32Array(B * S);
    const mask = this.e.keep(this.e.tensor(maskHost, [B, S], 'u32', 'kvmask'));
    return { B, S, k, v, mask, maskHost };
  }

  releaseCache(c: KvCache): void {
    for (const t of [...c.k, ...c.v, c.mask]) t.release();
  }

  /**
   * Runs new tokens (B, Tq) at cache rows [start, start+Tq) and returns the logits of each row's last token
   * (B, V). `mask` (B, Tq) marks real tokens; `positions` (B, Tq) their rotary positions.
   */
  step(cache: KvCache, ids: Uint32Array, mask: Uint8Array, positions: Int32Array, start: number, Tq: number): Tensor {
    const e = this.e;
    const B = cache.B;
    if (start + Tq > cache.S) throw new Error(`KV cache full: ${start + Tq} tokens for ${cache.S} slots`);
    for (let b = 0; b < B; b++) for (let t = 0; t < Tq; t++) cache.maskHost[b * cache.S + start + t] = mask[b * Tq + t];
    e.batch.upload(cache.maskHost, cache.mask.buffer);
    const idsT = e.tensor(toU32(ids, this.cfg.vocabSize), [B * Tq], 'u32', 'ids');
    const pos = e.tensor(Uint32Array.from(positions), [B * Tq], 'u32', 'positions');
    const hidden = this.trunk(idsT, pos, cache.mask, B, Tq, { kv: cache, start });
    // Last token of each row: a gather through the embedding op.
    const lastIdx = e.tensor(Uint32Array.from({ length: B }, (_, b) => b * Tq + Tq - 1), [B], 'u32', 'last');
    return this.lmLogits(embedding(hidden, lastIdx)); // (B, V)
  }
}

/**
 * A frozen tensor in a buffer of exactly its size, outside the engine's pool: the pool rounds sizes up to
 * its classes (up to a third more), which for weights that live as long as the model is pure waste
 * (a 0.5B model's embedding would take 768 instead of 545 MiB).
 */
function exactTensor(e: Engine, shape: number[], dtype: 'f32' | 'f16x2' | 'u32', data: Float32Array | Uint32Array, label: string): Tensor {
  const bytes = Math.max(4, data.byteLength);
  const limit = e.device.limits.maxStorageBufferBindingSize;
  if (bytes > limit) {
    throw new Error(
      `weight "${label}" [${shape.join(', ')}] needs ${(bytes / 2 ** 20).toFixed(0)} MiB in one GPU buffer, but this adapter binds at most ` +
        `${(limit / 2 ** 20).toFixed(0)} MiB (maxStorageBufferBindingSize). Use a GPU (or an adapter with a larger limit) for this model.`,
    );
  }
  const buffer = e.device.createBuffer({ size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, label });
  e.batch.upload(data, buffer);
  const t = new Tensor(e, shape, dtype, new Storage(buffer, bytes, false), label);
  if (dtype === 'u32') t.host = data as Uint32Array;
  return t;
}

function toU32(ids: Int32Array | Uint32Array, V: number): Uint32Array {
  const out = Uint32Array.from(ids);
  for (let i = 0; i < out.length; i++) if (out[i] >= V) throw new Error(`token id ${ids[i]} at index ${i} is outside the vocabulary (${V} tokens)`);
  return out;
}

function identity(e: Engine, n: number): Tensor {
  const m = new Float32Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return e.tensor(m, [n, n], 'f32', 'eye');
}
