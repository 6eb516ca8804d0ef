// The differentiable ops: each runs its forward kernels and, when a tape records and an input needs a gradient,
// records a node for the backward pass. These are what models are written with.
import type { Engine } from '../engine.ts';
import { attentionDims, attentionForward } from '../ops/attention.ts';
import { binaryForward, expForward, scaleForward } from '../ops/elementwise.ts';
import { embeddingForward } from '../ops/embedding.ts';
import { chunkedLogitsForward, planChunks } from '../ops/chunked-logits.ts';
import { crossEntropyLoss, IGNORE_TARGET, logitStats, selectStat } from '../ops/logits.ts';
import { logSigmoidForward } from '../ops/log-sigmoid.ts';
import { matmulForward, type MatmulOptions } from '../ops/matmul.ts';
import { affineClampForward, minmaxForward, NO_BOUND } from '../ops/pointwise.ts';
import { maskedMeanForward } from '../ops/reduce.ts';
import { rmsnormForward } from '../ops/rmsnorm.ts';
import { ropeApply, ropePairApply, type RopeTables } from '../ops/rope.ts';
import { fmt, rowsOf } from '../ops/shape.ts';
import { swigluForward } from '../ops/swiglu.ts';
import type { Tensor } from '../tensor.ts';
import type { OpName, OpRecords, RopePair } from './op-records.ts';

function engineOf(...ts: Tensor[]): Engine {
  const e = ts[0].engine;
  for (const t of ts) if (t.engine !== e) throw new Error('ops on tensors of different engines');
  return e;
}

/** Records a node when a tape is on and some input needs a gradient; otherwise frees the saved tensors now. */
function record<K extends OpName>(e: Engine, op: K, inputs: OpRecords[K]['inputs'], attrs: OpRecords[K]['attrs'], saved: OpRecords[K]['saved'], output: Tensor): Tensor {
  if (e.tape && (inputs as Tensor[]).some((t) => t.needsGrad)) e.tape.record(op, inputs, attrs, saved, output);
  else for (const s of Object.values(saved as Record<string, Tensor>)) s.release();
  return output;
}

const NONE = {} as Record<string, never>;

/** op(a)·op(b): a (…, M, K), b (K, N) / (N, K) with transB / batched like a. An f16x2 b is a frozen weight. */
export function matmul(a: Tensor, b: Tensor, opts: Pick<MatmulOptions, 'transA' | 'transB'> = {}): Tensor {
  const e = engineOf(a, b);
  if (b.dtype === 'f16x2' && b.needsGrad) throw new Error('matmul: an f16x2 weight is frozen storage and cannot take a gradient');
  const out = matmulForward(e, a, b, opts);
  return record(e, 'matmul', [a, b], { transA: !!opts.transA, transB: !!opts.transB }, NONE, out);
}

/** x (…, in) · wᵀ with w (out, in) as stored by PyTorch/HF, plus an optional bias (out). */
export function linear(x: Tensor, w: Tensor, bias?: Tensor): Tensor {
  const y = matmul(x, w, { transB: true });
  return bias ? add(y, bias) : y;
}

export function embedding(table: Tensor, ids: Tensor): Tensor {
  const e = engineOf(table, ids);
  return record(e, 'embedding', [table, ids], NONE, NONE, embeddingForward(e, table, ids));
}

/** RMSNorm over the last dim (for Qwen3's per-head q_norm/k_norm pass a (…, heads, head_dim) tensor). */
export function rmsnorm(x: Tensor, w: Tensor, eps: number): Tensor {
  const e = engineOf(x, w);
  const { y, rstd } = rmsnormForward(e, x, w, eps);
  return record(e, 'rmsnorm', [x, w], { eps }, { rstd }, y);
}

/** Rotary embedding of x (…, heads, head_dim) at the given positions (…) u32. */
export function rope(x: Tensor, positions: Tensor, tables: RopeTables): Tensor {
  const e = engineOf(x, positions);
  return record(e, 'rope', [x, positions], { tables }, NONE, ropeApply(e, x, positions, tables, 1));
}

/** rope() of two tensors at the same positions (a layer's queries and keys) in one dispatch, forward and backward. */
export function ropePair(a: Tensor, b: Tensor, positions: Tensor, tables: RopeTables): [Tensor, Tensor] {
  const e = engineOf(a, b, positions);
  const [ra, rb] = ropePairApply(e, a, b, positions, tables, 1);
  const pair: RopePair = { firstInput: a, first: ra, second: rb, dFirst: null };
  return [record(e, 'rope', [a, positions], { tables, pair }, NONE, ra), record(e, 'rope', [b, positions], { tables, pair }, NONE, rb)];
}

export function swiglu(gate: Tensor, up: Tensor): Tensor {
  const e = engineOf(gate, up);
  return record(e, 'swiglu', [gate, up], NONE, NONE, swigluForward(e, gate, up));
}

/** a + b, with b of a's shape or a (C) vector broadcast over rows (bias add). */
export function add(a: Tensor, b: Tensor): Tensor {
  const e = engineOf(a, b);
  return record(e, 'add', [a, b], { broadcast: b.size !== a.size }, NONE, binaryForward(e, 'add', a, b));
}

export function sub(a: Tensor, b: Tensor): Tensor {
  const e = engineOf(a, b);
  return record(e, 'sub', [a, b], { broadcast: b.size !== a.size }, NONE, binaryForward(e, 'sub', a, b));
}

export function mul(a: Tensor, b: Tensor): Tensor {
  const e = engineOf(a, b);
  if (a.size !== b.size) throw new Error(`mul: shapes ${fmt(a.shape)} and ${fmt(b.shape)} must match`);
  return record(e, 'mul', [a, b], NONE, NONE, binaryForward(e, 'mul', a, b));
}

export function scale(x: Tensor, s: number): Tensor {
  const e = engineOf(x);
  return record(e, 'scale', [x], { s }, NONE, scaleForward(e, x, s));
}

export function exp(x: Tensor): Tensor {
  const e = engineOf(x);
  return record(e, 'exp', [x], NONE, NONE, expForward(e, x));
}

/** clamp(x, lo, hi) elementwise; the gradient passes where lo <= x <= hi (boundary included, as torch.clamp). */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  return affineClamp(x, 1, 0, lo, hi);
}

/** a·x + b elementwise (e.g. x + constant), differentiable in x. */
export function affine(x: Tensor, a: number, b: number): Tensor {
  return affineClamp(x, a, b, -NO_BOUND, NO_BOUND);
}

function affineClamp(x: Tensor, a: number, b: number, lo: number, hi: number): Tensor {
  const e = engineOf(x);
  const attrs = { a, b, lo, hi };
  return record(e, 'affineClamp', [x], attrs, NONE, affineClampForward(e, x, attrs));
}

/** Elementwise minimum of two tensors of one shape; on ties each operand gets half the gradient (as torch). */
export function minimum(a: Tensor, b: Tensor): Tensor {
  const e = engineOf(a, b);
  return record(e, 'minmax', [a, b], { op: 'minimum' }, NONE, minmaxForward(e, 'minimum', a, b));
}

/** Elementwise maximum of two tensors of one shape; on ties each operand gets half the gradient (as torch). */
export function maximum(a: Tensor, b: Tensor): Tensor {
  const e = engineOf(a, b);
  return record(e, 'minmax', [a, b], { op: 'maximum' }, NONE, minmaxForward(e, 'maximum', a, b));
}

/** log σ(x) elementwise, stable for any x (the reward model's pairwise loss is −log σ(r_chosen − r_rejected)). */
export function logSigmoid(x: Tensor): Tensor {
  const e = engineOf(x);
  return record(e, 'logSigmoid', [x], NONE, NONE, logSigmoidForward(e, x));
}

/** The same data with another shape (no copy). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const e = engineOf(x);
  const out = x.view(shape);
  e.owners[e.owners.length - 1]?.add(out);
  return record(e, 'reshape', [x], NONE, NONE, out);
}

export interface AttentionOptions {
  /** Softmax scale (default 1/sqrt(head_dim)). */
  scale?: number;
  /** Valid keys when k/v are a larger cache (default: all S rows). */
  validKeys?: number;
}

/** Causal GQA attention: q (B, Tq, Hq, D), k/v (B, S, Hkv, D), mask (B, S) u32 -> (B, Tq, Hq, D). */
export function attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, opts: AttentionOptions = {}): Tensor {
  const e = engineOf(q, k, v, mask);
  const dims = attentionDims(q, k, v, mask, opts.validKeys, opts.scale);
  const { out, stats } = attentionForward(e, q, k, v, mask, dims);
  if (e.tape && (q.needsGrad || k.needsGrad || v.needsGrad) && (dims.Tq !== dims.Tk || dims.S !== dims.Tk)) {
    throw new Error('attention backward needs Tq = Tk = S (training on whole sequences; KV caches are for generation)');
  }
  return record(e, 'attention', [q, k, v, mask], { dims }, { stats }, out);
}

/** Mean cross-entropy over rows whose target is not IGNORE_TARGET: logits (…, V), targets (…) u32 -> (1). */
export function crossEntropy(logits: Tensor, targets: Tensor): Tensor {
  const e = engineOf(logits, targets);
  const [, V] = rowsOf(logits.shape);
  const stats = logitStats(e, logits, targets);
  const info = crossEntropyLoss(e, stats, targets, V);
  const loss = info.head([1], 'loss');
  e.owners[e.owners.length - 1]?.add(loss);
  return record(e, 'crossEntropy', [logits, targets], NONE, { stats, info }, loss);
}

/** log softmax(logits)[target] per row: (…) (0 where the target is IGNORE_TARGET). */
export function tokenLogprobs(logits: Tensor, targets: Tensor): Tensor {
  const e = engineOf(logits, targets);
  const [, V] = rowsOf(logits.shape);
  const stats = logitStats(e, logits, targets);
  const out = selectStat(e, stats, targets, V, 'logprob', logits.shape.slice(0, -1));
  return record(e, 'tokenLogprobs', [logits, targets], NONE, { stats }, out);
}

/** Entropy of softmax(logits) per row: (…). */
export function entropy(logits: Tensor): Tensor {
  const e = engineOf(logits);
  const [rows, V] = rowsOf(logits.shape);
  const targets = e.tensor(new Uint32Array(rows).fill(IGNORE_TARGET), [rows], 'u32', 'noTargets');
  const stats = logitStats(e, logits, targets);
  const out = selectStat(e, stats, targets, V, 'entropy', logits.shape.slice(0, -1));
  return record(e, 'entropy', [logits], NONE, { stats, targets }, out);
}

/**
 * LM head fused with mean cross-entropy: h (N, C), W (V, C) (an f16x2 W is frozen), targets (N) u32 -> (1).
 * Logits are made chunkRows rows at a time (forward and again in backward), never all (N, V) at once: use it
 * for a 152k vocabulary, where (N, V) would exceed memory or the adapter's binding limit.
 */
export function linearCrossEntropy(h: Tensor, w: Tensor, targets: Tensor, chunkRows = 256): Tensor {
  const e = engineOf(h, w, targets);
  const plan = planChunks(h, w, targets, chunkRows);
  return record(e, 'linearLogits', [h, w, targets], { mode: 'crossEntropy', plan }, NONE, chunkedLogitsForward(e, 'crossEntropy', h, w, targets, plan));
}

/** LM head fused with per-token log-probabilities of the targets (PPO/GRPO), chunked like linearCrossEntropy: (N). */
export function linearTokenLogprobs(h: Tensor, w: Tensor, targets: Tensor, chunkRows = 256): Tensor {
  const e = engineOf(h, w, targets);
  const plan = planChunks(h, w, targets, chunkRows);
  return record(e, 'linearLogits', [h, w, targets], { mode: 'logprob', plan }, NONE, chunkedLogitsForward(e, 'logprob', h, w, targets, plan));
}

/**
 * linearTokenLogprobs plus each row's entropy of softmax(h·Wᵀ), both from the one pass over each chunk's logits: (N)
 * and (N). The entropies are statistics (TRL logs them): not recorded, no gradient. Why fused: a separate entropy
 * pass costs a second vocabulary-sized matmul and statistics pass over the same rows. (On the tiny model on lavapipe
 * it measured no time change: 20 PPO steps of run 24's recipe, 9.9 s of optimisation vs 10.1 s, docs/training.md.)
 */
export function linearTokenLogprobsWithEntropy(h: Tensor, w: Tensor, targets: Tensor, chunkRows = 256): { logp: Tensor; entropy: Tensor } {
  const e = engineOf(h, w, targets);
  const plan = planChunks(h, w, targets, chunkRows);
  const entropy = e.empty([plan.N], 'f32', 'entropy');
  const logp = record(e, 'linearLogits', [h, w, targets], { mode: 'logprob', plan }, NONE, chunkedLogitsForward(e, 'logprob', h, w, targets, plan, entropy));
  return { logp, entropy };
}

/** sum(x w) / sum(w) as a (1) tensor: the mean over the tokens a 0/1 mask selects (0 if none). */
export function maskedMean(x: Tensor, w: Tensor): Tensor {
  const e = engineOf(x, w);
  const info = maskedMeanForward(e, x, w);
  const out = info.head([1], 'maskedMean');
  e.owners[e.owners.length - 1]?.add(out);
  return record(e, 'maskedMean', [x, w], NONE, { info }, out);
}

/** LoRA factors of a projection: A (r, in), B (out, r), the scale alpha/r, and dropout on the LoRA path's input. */
export interface ProjectionLora {
  A: Tensor;
  B: Tensor;
  scale: number;
  /** Inverted dropout of x on the LoRA path, its mask from two seed words (counter-based, computed in the kernel). */
  dropout?: { p: number; seed: number; seed2: number };
}

/**
 * A projection with everything around it fused into its matmuls: x (…, in) · wᵀ [+ bias] [+ residual]
 * [+ scale · (dropout(x) · Aᵀ) · Bᵀ]. The bias and residual are the base matmul's epilogue, the LoRA product is added
 * into its output by the second LoRA matmul (alpha = scale), and dropout is applied to x as the first LoRA matmul
 * reads it: 1 dispatch, or 3 with LoRA (instead of up to 7 plus a host-drawn mask). w may be frozen f16x2.
 */
export function projection(x: Tensor, w: Tensor, opts: { bias?: Tensor; residual?: Tensor; lora?: ProjectionLora } = {}): Tensor {
  const e = engineOf(x, w);
  if (w.dtype === 'f16x2' && w.needsGrad) throw new Error('projection: an f16x2 weight is frozen storage and cannot take a gradient');
  const inputs: Tensor[] = [x, w];
  const at = (t: Tensor | undefined) => (t ? inputs.push(t) - 1 : -1);
  const { lora } = opts;
  const attrs = { bias: at(opts.bias), residual: at(opts.residual), loraA: at(lora?.A), loraB: at(lora?.B), scale: lora?.scale ?? 0, dropout: lora?.dropout && lora.dropout.p > 0 ? lora.dropout : null };
  const y = matmulForward(e, x, w, { transB: true, bias: opts.bias, residual: opts.residual });
  let u: Tensor | undefined;
  if (lora) {
    const d = attrs.dropout;
    u = matmulForward(e, x, lora.A, { transB: true, dropout: d ? { on: 'A', ...d } : undefined }); // (…, r)
    matmulForward(e, u, lora.B, { transB: true, accumulateInto: y, alpha: lora.scale });
  }
  return record(e, 'projection', inputs, attrs, u ? { u } : {}, y);
}

/**
 * Activation recomputation: runs fn without keeping its intermediates; backward runs it again under a
 * private tape. fn must be deterministic and return one tensor; parameters it uses get their gradients as usual.
 */
export function checkpoint(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[]): Tensor {
  const e = engineOf(...inputs);
  const tape = e.tape;
  e.tape = null;
  let out: Tensor;
  try {
    out = e.scope(() => fn(...inputs));
  } finally {
    e.tape = tape;
  }
  if (tape) {
    // fn may use parameters that are not among `inputs`: record whenever a tape is on.
    tape.record('checkpoint', inputs, { fn }, NONE, out);
  }
  return out;
}
