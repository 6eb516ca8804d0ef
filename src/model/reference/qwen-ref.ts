// Float64 CPU reference of the Qwen2/Qwen3 decoder (forward and hand-written backward), with LoRA and the scalar
// score head. It is the ground truth the GPU model is tested against, so it favours plain loops over speed,
// and is itself checked against finite differences (tests/unit/model/reference.test.ts).
//
// Conventions shared with the GPU model (src/model/qwen.ts):
// - weights are PyTorch Linear layout (out, in): y = x Wᵀ + b; LoRA adds (alpha/r) · (x Aᵀ) Bᵀ.
// - attention: query t sees keys j <= t whose mask is 1; a query that sees none outputs 0 (left-pad rows).
// - positions come in explicitly (see positionIds): padding does not shift the real tokens' positions.

import type { QwenConfig } from '../config.ts';
import { LORA_TARGETS, targetModulePath, type LoraConfig, type LoraTarget } from '../peft.ts';

export type RefParams = Map<string, Float64Array>;

export interface RefInput {
  /** Token ids (B, T). */
  ids: Int32Array;
  /** 1 for real tokens, 0 for padding (B, T). */
  mask: Uint8Array;
  /** Rotary positions (B, T); defaults to positionIds(mask). */
  positions?: Int32Array;
  B: number;
  T: number;
}

export interface RefLora {
  config: LoraConfig;
  /** Keyed by loraName(layer, target, 'A'|'B'): A (r, in), B (out, r). */
  params: RefParams;
}

export function loraName(layer: number, target: LoraTarget, factor: 'A' | 'B'): string {
  return `model.layers.${layer}.${targetModulePath(target)}.lora_${factor}.weight`;
}

export const SCORE_HEAD = 'score.weight';

/** Position of each token among the real tokens of its row (padding gets 0). Works for left and right padding. */
export function positionIds(mask: Uint8Array, B: number, T: number): Int32Array {
  const pos = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let t = 0; t < T; t++) pos[b * T + t] = mask[b * T + t] ? n++ : 0;
  }
  return pos;
}

// ---------------------------------------------------------------- small f64 ops (forward + backward)

/** y (N, out) = x (N, in) Wᵀ (+ b). */
function linear(x: Float64Array, N: number, inDim: number, W: Float64Array, outDim: number, b?: Float64Array): Float64Array {
  const y = new Float64Array(N * outDim);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < inDim; i++) s += x[n * inDim + i] * W[o * inDim + i];
      y[n * outDim + o] = s;
    }
  }
  return y;
}

/** Accumulates dx += dy W, dW += dyᵀ x, db += Σ dy. */
function linearBackward(
  dy: Float64Array, x: Float64Array, N: number, inDim: number, W: Float64Array, outDim: number,
  dx: Float64Array | null, dW: Float64Array | null, db?: Float64Array | null,
): void {
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < outDim; o++) {
      const g = dy[n * outDim + o];
      if (g === 0) continue;
      if (db) db[o] += g;
      for (let i = 0; i < inDim; i++) {
        if (dx) dx[n * inDim + i] += g * W[o * inDim + i];
        if (dW) dW[o * inDim + i] += g * x[n * inDim + i];
      }
    }
  }
}

/** RMSNorm over rows of width D: y = x / sqrt(mean(x²) + eps) · w. Returns y and the per-row 1/rms. */
function rmsnorm(x: Float64Array, rows: number, D: number, w: Float64Array, eps: number): { y: Float64Array; rinv: Float64Array } {
  const y = new Float64Array(rows * D);
  const rinv = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let i = 0; i < D; i++) ss += x[r * D + i] ** 2;
    const ri = 1 / Math.sqrt(ss / D + eps);
    rinv[r] = ri;
    for (let i = 0; i < D; i++) y[r * D + i] = x[r * D + i] * ri * w[i];
  }
  return { y, rinv };
}

function rmsnormBackward(dy: Float64Array, x: Float64Array, rinv: Float64Array, rows: number, D: number, w: Float64Array, dx: Float64Array, dw: Float64Array | null): void {
  for (let r = 0; r < rows; r++) {
    const ri = rinv[r];
    let dot = 0;
    for (let i = 0; i < D; i++) dot += dy[r * D + i] * w[i] * x[r * D + i];
    for (let i = 0; i < D; i++) {
      const g = dy[r * D + i];
      dx[r * D + i] += ri * w[i] * g - (x[r * D + i] * ri ** 3 * dot) / D;
      if (dw) dw[i] += g * x[r * D + i] * ri;
    }
  }
}

/** Rotate-half RoPE in place over (N, H, D) with per-token positions; sign -1 is the inverse (backward). */
function rope(x: Float64Array, N: number, H: number, D: number, pos: Int32Array, theta: number, sign: 1 | -1): void {
  const half = D / 2;
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < H; h++) {
      const base = (n * H + h) * D;
      for (let i = 0; i < half; i++) {
        const ang = pos[n] * Math.pow(theta, (-2 * i) / D);
        const c = Math.cos(ang);
        const s = sign * Math.sin(ang);
        const a = x[base + i];
        const b = x[base + i + half];
        x[base + i] = a * c - b * s;
        x[base + i + half] = b * c + a * s;
      }
    }
  }
}

const silu = (z: number) => z / (1 + Math.exp(-z));

// ---------------------------------------------------------------- the model

interface LayerCache {
  x: Float64Array; // layer input (N, C)
  h1: Float64Array; r1: Float64Array;
  qPre: Float64Array; kPre: Float64Array; // after projection (+bias), before q/k norm
  qN?: Float64Array; kN?: Float64Array; rq?: Float64Array; rk?: Float64Array; // Qwen3 q/k norm
  q: Float64Array; k: Float64Array; v: Float64Array; // after RoPE (N, H*D), (N, Hkv*D)
  probs: Float64Array; // (B, H, T, T)
  o: Float64Array; // attention output (N, H*D)
  x2: Float64Array; h2: Float64Array; r2: Float64Array;
  g: Float64Array; u: Float64Array; a: Float64Array;
  loraIn: Map<LoraTarget, { xa: Float64Array }>; // x Aᵀ per target (N, r)
}

export interface RefForward {
  /** (B, T, V) */
  logits: Float64Array;
  /** (B, T) score head output at every token, when the score head is present. */
  values?: Float64Array;
  cache: { input: RefInput; positions: Int32Array; layers: LayerCache[]; xF: Float64Array; hF: Float64Array; rF: Float64Array };
}

function projection(
  cfg: QwenConfig, params: RefParams, lora: RefLora | undefined, layer: number, target: LoraTarget,
  x: Float64Array, N: number, inDim: number, outDim: number, bias: Float64Array | undefined, cacheOut: LayerCache['loraIn'],
): Float64Array {
  const W = params.get(`model.layers.${layer}.${targetModulePath(target)}.weight`)!;
  const y = linear(x, N, inDim, W, outDim, bias);
  if (lora && lora.config.targets.includes(target)) {
    const r = lora.config.r;
    const scale = lora.config.alpha / r;
    const A = lora.params.get(loraName(layer, target, 'A'))!;
    const Bm = lora.params.get(loraName(layer, target, 'B'))!;
    const xa = linear(x, N, inDim, A, r);
    const d = linear(xa, N, r, Bm, outDim);
    for (let i = 0; i < y.length; i++) y[i] += scale * d[i];
    cacheOut.set(target, { xa });
  }
  return y;
}

export function refForward(cfg: QwenConfig, params: RefParams, input: RefInput, lora?: RefLora): RefForward {
  const { B, T, ids, mask } = input;
  const N = B * T;
  const C = cfg.hiddenSize;
  const H = cfg.numHeads;
  const Hkv = cfg.numKvHeads;
  const D = cfg.headDim;
  const F = cfg.intermediateSize;
  const V = cfg.vocabSize;
  const positions = input.positions ?? positionIds(mask, B, T);
  const emb = params.get('model.embed_tokens.weight')!;
  let x = new Float64Array(N * C);
  for (let n = 0; n < N; n++) {
    if (ids[n] < 0 || ids[n] >= V) throw new Error(`refForward: token id ${ids[n]} at ${n} is outside the vocabulary (${V})`);
    x.set(emb.subarray(ids[n] * C, ids[n] * C + C), n * C);
  }
  const layers: LayerCache[] = [];
  const scale = 1 / Math.sqrt(D);
  const group = H / Hkv;
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = (s: string) => params.get(`model.layers.${l}.${s}`)!;
    const loraIn: LayerCache['loraIn'] = new Map();
    const { y: h1, rinv: r1 } = rmsnorm(x, N, C, p('input_layernorm.weight'), cfg.rmsNormEps);
    const qPre = projection(cfg, params, lora, l, 'q_proj', h1, N, C, H * D, cfg.attentionBias ? p('self_attn.q_proj.bias') : undefined, loraIn);
    const kPre = projection(cfg, params, lora, l, 'k_proj', h1, N, C, Hkv * D, cfg.attentionBias ? p('self_attn.k_proj.bias') : undefined, loraIn);
    const v = projection(cfg, params, lora, l, 'v_proj', h1, N, C, Hkv * D, cfg.attentionBias ? p('self_attn.v_proj.bias') : undefined, loraIn);
    const lc: Partial<LayerCache> = { x, h1, r1, qPre, kPre, v, loraIn };
    let q: Float64Array;
    let k: Float64Array;
    if (cfg.qkNorm) {
      const qn = rmsnorm(qPre, N * H, D, p('self_attn.q_norm.weight'), cfg.rmsNormEps);
      const kn = rmsnorm(kPre, N * Hkv, D, p('self_attn.k_norm.weight'), cfg.rmsNormEps);
      Object.assign(lc, { qN: qn.y, kN: kn.y, rq: qn.rinv, rk: kn.rinv });
      q = qn.y.slice();
      k = kn.y.slice();
    } else {
      q = qPre.slice();
      k = kPre.slice();
    }
    rope(q, N, H, D, positions, cfg.ropeTheta, 1);
    rope(k, N, Hkv, D, positions, cfg.ropeTheta, 1);
    const probs = new Float64Array(B * H * T * T);
    const o = new Float64Array(N * H * D);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const kh = Math.floor(h / group);
        for (let i = 0; i < T; i++) {
          const row = ((b * H + h) * T + i) * T;
          let m = -Infinity;
          for (let j = 0; j <= i; j++) {
            if (!mask[b * T + j]) continue;
            let s = 0;
            for (let d = 0; d < D; d++) s += q[((b * T + i) * H + h) * D + d] * k[((b * T + j) * Hkv + kh) * D + d];
            probs[row + j] = s * scale;
            m = Math.max(m, s * scale);
          }
          if (m === -Infinity) continue; // sees no key: probabilities and output stay 0
          let z = 0;
          for (let j = 0; j <= i; j++) {
            if (!mask[b * T + j]) continue;
            probs[row + j] = Math.exp(probs[row + j] - m);
            z += probs[row + j];
          }
          for (let j = 0; j <= i; j++) {
            if (!mask[b * T + j]) continue;
            probs[row + j] /= z;
            for (let d = 0; d < D; d++) o[((b * T + i) * H + h) * D + d] += probs[row + j] * v[((b * T + j) * Hkv + kh) * D + d];
          }
        }
      }
    }
    const attn = projection(cfg, params, lora, l, 'o_proj', o, N, H * D, C, undefined, loraIn);
    const x2 = new Float64Array(N * C);
    for (let i = 0; i < x2.length; i++) x2[i] = x[i] + attn[i];
    const { y: h2, rinv: r2 } = rmsnorm(x2, N, C, p('post_attention_layernorm.weight'), cfg.rmsNormEps);
    const g = projection(cfg, params, lora, l, 'gate_proj', h2, N, C, F, undefined, loraIn);
    const u = projection(cfg, params, lora, l, 'up_proj', h2, N, C, F, undefined, loraIn);
    const a = new Float64Array(N * F);
    for (let i = 0; i < a.length; i++) a[i] = silu(g[i]) * u[i];
    const mlp = projection(cfg, params, lora, l, 'down_proj', a, N, F, C, undefined, loraIn);
    const x3 = new Float64Array(N * C);
    for (let i = 0; i < x3.length; i++) x3[i] = x2[i] + mlp[i];
    layers.push({ ...(lc as LayerCache), q, k, probs, o, x2, h2, r2, g, u, a });
    x = x3;
  }
  const { y: hF, rinv: rF } = rmsnorm(x, N, C, params.get('model.norm.weight')!, cfg.rmsNormEps);
  const head = cfg.tieWordEmbeddings ? emb : params.get('lm_head.weight')!;
  const logits = linear(hF, N, C, head, V);
  const vh = params.get(SCORE_HEAD);
  const values = vh ? linear(hF, N, C, vh, 1) : undefined;
  return { logits, values, cache: { input, positions, layers, xF: x, hF, rF } };
}

/** Mean cross-entropy over targets >= 0 (targets < 0 are ignored) and its gradient w.r.t. the logits. */
export function refCrossEntropy(logits: Float64Array, targets: Int32Array, V: number): { loss: number; dLogits: Float64Array } {
  const rows = targets.length;
  const dLogits = new Float64Array(logits.length);
  let count = 0;
  for (const t of targets) if (t >= 0) count++;
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    if (targets[r] < 0) continue;
    let m = -Infinity;
    for (let v = 0; v < V; v++) m = Math.max(m, logits[r * V + v]);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[r * V + v] - m);
    const lse = m + Math.log(z);
    loss += lse - logits[r * V + targets[r]];
    for (let v = 0; v < V; v++) dLogits[r * V + v] = Math.exp(logits[r * V + v] - lse) / count;
    dLogits[r * V + targets[r]] -= 1 / count;
  }
  return { loss: count ? loss / count : 0, dLogits };
}

/**
 * Gradients of a scalar loss given its gradient w.r.t. the logits (and the values, if any). Returns a gradient
 * for every base parameter, every LoRA factor, and the score head; `trainBase: false` skips base weight grads.
 */
export function refBackward(
  cfg: QwenConfig, params: RefParams, fwd: RefForward, dLogits: Float64Array, dValues?: Float64Array, lora?: RefLora,
): { grads: RefParams; loraGrads: RefParams } {
  const { input, positions, layers, xF, hF, rF } = fwd.cache;
  const { B, T, ids, mask } = input;
  const N = B * T;
  const C = cfg.hiddenSize;
  const H = cfg.numHeads;
  const Hkv = cfg.numKvHeads;
  const D = cfg.headDim;
  const F = cfg.intermediateSize;
  const V = cfg.vocabSize;
  const grads: RefParams = new Map();
  for (const [name, w] of params) grads.set(name, new Float64Array(w.length));
  const loraGrads: RefParams = new Map();
  if (lora) for (const [name, w] of lora.params) loraGrads.set(name, new Float64Array(w.length));
  const G = (name: string) => grads.get(name)!;

  const headName = cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  const dhF = new Float64Array(N * C);
  linearBackward(dLogits, hF, N, C, params.get(headName)!, V, dhF, G(headName));
  if (dValues && params.has(SCORE_HEAD)) linearBackward(dValues, hF, N, C, params.get(SCORE_HEAD)!, 1, dhF, G(SCORE_HEAD));
  let dx = new Float64Array(N * C);
  rmsnormBackward(dhF, xF, rF, N, C, params.get('model.norm.weight')!, dx, G('model.norm.weight'));

  const projBack = (l: number, target: LoraTarget, dy: Float64Array, x: Float64Array, inDim: number, outDim: number, dxOut: Float64Array, hasBias: boolean) => {
    const path = `model.layers.${l}.${targetModulePath(target)}`;
    linearBackward(dy, x, N, inDim, params.get(`${path}.weight`)!, outDim, dxOut, G(`${path}.weight`), hasBias ? G(`${path}.bias`) : null);
    if (lora && lora.config.targets.includes(target)) {
      const r = lora.config.r;
      const s = lora.config.alpha / r;
      const A = lora.params.get(loraName(l, target, 'A'))!;
      const Bm = lora.params.get(loraName(l, target, 'B'))!;
      const xa = layers[l].loraIn.get(target)!.xa;
      const dyS = dy.map((g) => g * s);
      const dxa = new Float64Array(N * r);
      linearBackward(dyS, xa, N, r, Bm, outDim, dxa, loraGrads.get(loraName(l, target, 'B'))!);
      linearBackward(dxa, x, N, inDim, A, r, dxOut, loraGrads.get(loraName(l, target, 'A'))!);
    }
  };

  const scale = 1 / Math.sqrt(D);
  const group = H / Hkv;
  for (let l = cfg.numLayers - 1; l >= 0; l--) {
    const c = layers[l];
    const pre = `model.layers.${l}.`;
    // MLP: x3 = x2 + down(silu(g) * u)
    const da = new Float64Array(N * F);
    projBack(l, 'down_proj', dx, c.a, F, C, da, false);
    const dg = new Float64Array(N * F);
    const du = new Float64Array(N * F);
    for (let i = 0; i < N * F; i++) {
      const sg = 1 / (1 + Math.exp(-c.g[i]));
      du[i] = da[i] * c.g[i] * sg;
      dg[i] = da[i] * c.u[i] * sg * (1 + c.g[i] * (1 - sg));
    }
    const dh2 = new Float64Array(N * C);
    projBack(l, 'gate_proj', dg, c.h2, C, F, dh2, false);
    projBack(l, 'up_proj', du, c.h2, C, F, dh2, false);
    const dx2 = dx.slice();
    rmsnormBackward(dh2, c.x2, c.r2, N, C, params.get(pre + 'post_attention_layernorm.weight')!, dx2, G(pre + 'post_attention_layernorm.weight'));
    // Attention: x2 = x + o_proj(attn(q, k, v))
    const dO = new Float64Array(N * H * D);
    projBack(l, 'o_proj', dx2, c.o, H * D, C, dO, false);
    const dq = new Float64Array(N * H * D);
    const dk = new Float64Array(N * Hkv * D);
    const dv = new Float64Array(N * Hkv * D);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const kh = Math.floor(h / group);
        for (let i = 0; i < T; i++) {
          const row = ((b * H + h) * T + i) * T;
          const oi = ((b * T + i) * H + h) * D;
          // dP_j = dO_i · v_j ; dS_j = P_j (dP_j - Σ P dP)
          let sum = 0;
          const dP = new Float64Array(i + 1);
          for (let j = 0; j <= i; j++) {
            if (!mask[b * T + j] || c.probs[row + j] === 0) continue;
            let s = 0;
            for (let d = 0; d < D; d++) s += dO[oi + d] * c.v[((b * T + j) * Hkv + kh) * D + d];
            dP[j] = s;
            sum += c.probs[row + j] * s;
          }
          for (let j = 0; j <= i; j++) {
            const pj = c.probs[row + j];
            if (!mask[b * T + j] || pj === 0) continue;
            const dS = pj * (dP[j] - sum) * scale;
            const kj = ((b * T + j) * Hkv + kh) * D;
            for (let d = 0; d < D; d++) {
              dv[kj + d] += pj * dO[oi + d];
              dq[oi + d] += dS * c.k[kj + d];
              dk[kj + d] += dS * c.q[oi + d];
            }
          }
        }
      }
    }
    rope(dq, N, H, D, positions, cfg.ropeTheta, -1);
    rope(dk, N, Hkv, D, positions, cfg.ropeTheta, -1);
    let dqPre = dq;
    let dkPre = dk;
    if (cfg.qkNorm) {
      dqPre = new Float64Array(N * H * D);
      dkPre = new Float64Array(N * Hkv * D);
      rmsnormBackward(dq, c.qPre, c.rq!, N * H, D, params.get(pre + 'self_attn.q_norm.weight')!, dqPre, G(pre + 'self_attn.q_norm.weight'));
      rmsnormBackward(dk, c.kPre, c.rk!, N * Hkv, D, params.get(pre + 'self_attn.k_norm.weight')!, dkPre, G(pre + 'self_attn.k_norm.weight'));
    }
    const dh1 = new Float64Array(N * C);
    projBack(l, 'q_proj', dqPre, c.h1, C, H * D, dh1, cfg.attentionBias);
    projBack(l, 'k_proj', dkPre, c.h1, C, Hkv * D, dh1, cfg.attentionBias);
    projBack(l, 'v_proj', dv, c.h1, C, Hkv * D, dh1, cfg.attentionBias);
    const dxIn = dx2.slice();
    rmsnormBackward(dh1, c.x, c.r1, N, C, params.get(pre + 'input_layernorm.weight')!, dxIn, G(pre + 'input_layernorm.weight'));
    dx = dxIn;
  }
  const dEmb = G('model.embed_tokens.weight');
  for (let n = 0; n < N; n++) for (let i = 0; i < C; i++) dEmb[ids[n] * C + i] += dx[n * C + i];
  return { grads, loraGrads };
}

/** Every LoRA target name, for tests that sweep them. */
export const ALL_TARGETS: readonly LoraTarget[] = LORA_TARGETS;
