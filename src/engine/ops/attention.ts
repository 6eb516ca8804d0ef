// Launchers for causal grouped-query attention (flash-style forward, recomputing backward) with a padding mask.
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import { attentionKernel, attentionSubgroupKernel, type AttentionKernel } from '../kernels/attention-kernel.ts';
import type { Tensor } from '../tensor.ts';
import { assertDtype, assertShape, fmt } from './shape.ts';

export interface AttentionDims {
  B: number;
  Tq: number;
  /** Valid keys (Tk <= S); query row t sits at absolute position t + Tk - Tq. */
  Tk: number;
  /** Key rows stored per batch entry (a KV cache's capacity; S = Tk in training). */
  S: number;
  Hq: number;
  Hkv: number;
  D: number;
  scale: number;
}

/** q (B, Tq, Hq, D), k/v (B, S, Hkv, D), mask (B, S) u32 (1 = real token, 0 = padding). */
export function attentionDims(q: Tensor, k: Tensor, v: Tensor, mask: Tensor, validKeys?: number, scale?: number): AttentionDims {
  if (q.shape.length !== 4 || k.shape.length !== 4) throw new Error(`attention: q ${fmt(q.shape)} and k ${fmt(k.shape)} must be (B, T, heads, head_dim)`);
  const [B, Tq, Hq, D] = q.shape;
  const [Bk, S, Hkv, Dk] = k.shape;
  if (Bk !== B || Dk !== D) throw new Error(`attention: q ${fmt(q.shape)} and k ${fmt(k.shape)} differ in batch or head_dim`);
  assertShape('attention', 'v', v.shape, k.shape);
  assertShape('attention', 'mask', mask.shape, [B, S]);
  assertDtype('attention', 'mask', mask.dtype, 'u32');
  if (Hkv === 0 || Hq % Hkv !== 0) throw new Error(`attention: ${Hq} query heads are not a multiple of ${Hkv} kv heads`);
  const Tk = validKeys ?? S;
  if (Tk > S || Tk < Tq) throw new Error(`attention: ${Tk} valid keys for ${Tq} queries and ${S} key slots (need Tq <= Tk <= S)`);
  return { B, Tq, Tk, S, Hq, Hkv, D, scale: scale ?? 1 / Math.sqrt(D) };
}

function launch(e: Engine, which: AttentionKernel, d: AttentionDims, rows: number, tensors: Tensor[]): void {
  const sg = e.fixedSubgroupSize;
  const D = d.D;
  const label = `attention.${which}`;
  // Subgroups need head_dim % sg == 0; the kernel is generated once per (family, kernel, head_dim, subgroup size).
  if (e.attentionKernel === 'subgroups' && D % sg === 0 && D / sg <= 64) {
    e.runKernel(`attention:sg${sg}:${which}:${D}`, () => attentionSubgroupKernel(which, D, sg), params(d), tensors, e.grid(Math.ceil(rows / (64 / sg))), label);
  } else {
    e.runKernel(`attention:rows:${which}:${D}`, () => attentionKernel(which, D), params(d), tensors, e.grid(Math.ceil(rows / 64)), label);
  }
}

function params(d: AttentionDims): ArrayBuffer {
  return words({ u: d.B }, { u: d.Tq }, { u: d.Tk }, { u: d.S }, { u: d.Hq }, { u: d.Hkv }, { f: d.scale });
}

/** Returns out (B, Tq, Hq, D) and stats (B, Hq, Tq, 2): slot 0 the logsumexp, slot 1 filled by the backward. */
export function attentionForward(e: Engine, q: Tensor, k: Tensor, v: Tensor, mask: Tensor, d: AttentionDims): { out: Tensor; stats: Tensor } {
  const out = e.empty(q.shape, 'f32', 'attention');
  const stats = e.empty([d.B, d.Hq, d.Tq, 2], 'f32', 'attention.stats');
  const rows = d.B * d.Hq * d.Tq;
  launch(e, 'forward', d, rows, [q, k, v, mask, out, stats]);
  return { out, stats };
}

export function attentionBackward(e: Engine, q: Tensor, k: Tensor, v: Tensor, mask: Tensor, out: Tensor, stats: Tensor, dout: Tensor, d: AttentionDims): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const rows = d.B * d.Hq * d.Tq;
  launch(e, 'delta', d, rows, [out, dout, stats]);
  const dq = e.empty(q.shape, 'f32', 'attention.dq');
  launch(e, 'backwardDq', d, rows, [q, k, v, mask, dout, stats, dq]);
  const dk = e.empty(k.shape, 'f32', 'attention.dk');
  const dv = e.empty(v.shape, 'f32', 'attention.dv');
  launch(e, 'backwardDkv', d, d.B * d.Hkv * d.S, [q, k, v, mask, dout, stats, dk, dv]);
  return { dq, dk, dv };
}
