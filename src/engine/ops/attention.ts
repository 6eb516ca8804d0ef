// Launchers for causal grouped-query attention (flash-style forward, recomputing backward) with a padding mask.
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import { attentionKernel, attentionSubgroupKernel, type AttentionKernel } from '../kernels/attention-kernel.ts';
import { attentionTiledKernel, fusedTileRows, tileKeys, TILE_ROWS, type TiledAttentionKernel } from '../kernels/attention-tiled-kernel.ts';
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

/**
 * The family a call runs: 'tiled' serves training and prefill on GPUs; a call with few query rows (a decode step),
 * where a 64-row tile would be mostly idle, uses the row kernels (engine.attentionFewRows says which).
 */
function familyFor(e: Engine, d: AttentionDims): 'rows' | 'subgroups' | 'tiled' {
  const sg = e.emulatedSubgroupSize || e.fixedSubgroupSize;
  const sgOk = sg > 0 && d.D % sg === 0 && d.D / sg <= 64;
  if (e.attentionKernel === 'tiled') return d.Tq >= e.attentionTiledMinRows ? 'tiled' : e.attentionFewRows === 'subgroups' && sgOk ? 'subgroups' : 'rows';
  if (e.attentionKernel !== 'rows' && sgOk) return 'subgroups';
  return 'rows';
}

function launch(e: Engine, which: AttentionKernel, d: AttentionDims, rows: number, tensors: Tensor[]): void {
  const emulate = e.emulatedSubgroupSize > 0;
  const sg = e.emulatedSubgroupSize || e.fixedSubgroupSize;
  const D = d.D;
  const label = `attention.${which}`;
  // The kernel is generated once per (family, kernel, head_dim, subgroup size).
  if (familyFor(e, d) === 'subgroups') {
    e.runKernel(`attention:sg${sg}${emulate ? 'emu' : ''}:${which}:${D}`, (a) => attentionSubgroupKernel(...a), [which, D, sg, emulate] as const, params(d), tensors, e.grid(Math.ceil(rows / (64 / sg))), label);
  } else {
    e.runKernel(`attention:rows:${which}:${D}`, (a) => attentionKernel(...a), [which, D] as const, params(d), tensors, e.grid(Math.ceil(rows / 64)), label);
  }
}

function launchTiled(e: Engine, which: TiledAttentionKernel, d: AttentionDims, tensors: Tensor[]): void {
  const limit = e.device.limits.maxComputeWorkgroupStorageSize;
  let bt = which === 'backwardFused' ? fusedTileRows(d.D, limit) : which === 'dqReduce' ? 1 : tileKeys(d.D, limit);
  // The broadcasting forward takes the key tile a subgroup at a time: a tile of whole subgroups (32 up to head_dim 64).
  const sg = which === 'forward' && e.attentionBroadcastSize > 0 && bt >= e.attentionBroadcastSize ? e.attentionBroadcastSize : 0;
  if (sg) bt -= bt % sg;
  const grid: [number, number, number] =
    which === 'backwardDkv' || which === 'backwardFused' ? [Math.ceil(d.S / TILE_ROWS), d.Hkv, d.B]
    : which === 'dqReduce' ? [...e.grid(Math.ceil((d.B * d.Tq * d.Hq * d.D) / (d.D % 4 === 0 ? 4 : 1) / 64)), 1]
    : [Math.ceil(d.Tq / TILE_ROWS), d.Hq, d.B];
  e.runKernel(tiledKey(which, d.D, bt, sg), generateTiled, [which, d.D, bt, sg] as const, params(d), tensors, grid, `attention.${which}`);
}

const generateTiled = (a: readonly [TiledAttentionKernel, number, number, number]) => attentionTiledKernel(...a);
/** Pipeline keys by (kernel, head_dim, tile rows, broadcast subgroup size), built once each: no template string per dispatch. */
const TILED_KEYS = new Map<TiledAttentionKernel, Map<number, string>>();
function tiledKey(which: TiledAttentionKernel, D: number, bt: number, sg: number): string {
  let m = TILED_KEYS.get(which);
  if (!m) TILED_KEYS.set(which, (m = new Map()));
  const id = (D * 1024 + bt) * 256 + sg;
  let k = m.get(id);
  if (k === undefined) m.set(id, (k = `attention:tiled:${which}:${D}:${bt}${sg ? `:sg${sg}` : ''}`));
  return k;
}

/** Bytes of the fused backward's partial dQ: one (B, Tq, Hq, D) slab per 64-key block that a query row can see. */
function partialDqBytes(d: AttentionDims): number {
  return 4 * Math.ceil(d.Tk / TILE_ROWS) * d.B * d.Tq * d.Hq * d.D;
}

/**
 * The tiled family's backward: 'fused' (one pass over the scores, then a sum of partial dQ) unless the engine asks for
 * 'split' or the adapter cannot run it (10 storage buffers; K, Q and dO tiles in workgroup memory: 32 KiB at head_dim 64,
 * so not at 128 on 32 KiB adapters; the partials must fit one binding), then 'split' (a dQ pass
 * and a dK/dV pass, each recomputing the probabilities; no scratch).
 */
function tiledBackwardFor(e: Engine, d: AttentionDims): 'fused' | 'split' {
  if (e.attentionBackward === 'split') return 'split';
  const l = e.device.limits;
  const fits = fusedTileRows(d.D, l.maxComputeWorkgroupStorageSize) > 0 && partialDqBytes(d) <= Math.min(l.maxStorageBufferBindingSize, FUSED_SCRATCH_MAX);
  return l.maxStorageBuffersPerShaderStage >= 10 && fits ? 'fused' : 'split';
}

/** The fused backward's scratch stays below this (memory that the split backward does without). */
const FUSED_SCRATCH_MAX = 256 << 20;

function params(d: AttentionDims): ArrayBuffer {
  return words({ u: d.B }, { u: d.Tq }, { u: d.Tk }, { u: d.S }, { u: d.Hq }, { u: d.Hkv }, { f: d.scale });
}

/** Returns out (B, Tq, Hq, D) and stats (B, Hq, Tq, 2): slot 0 the logsumexp, slot 1 filled by the backward. */
export function attentionForward(e: Engine, q: Tensor, k: Tensor, v: Tensor, mask: Tensor, d: AttentionDims): { out: Tensor; stats: Tensor } {
  const out = e.empty(q.shape, 'f32', 'attention');
  const stats = e.empty([d.B, d.Hq, d.Tq, 2], 'f32', 'attention.stats');
  if (familyFor(e, d) === 'tiled') launchTiled(e, 'forward', d, [q, k, v, mask, out, stats]);
  else launch(e, 'forward', d, d.B * d.Hq * d.Tq, [q, k, v, mask, out, stats]);
  return { out, stats };
}

export function attentionBackward(e: Engine, q: Tensor, k: Tensor, v: Tensor, mask: Tensor, out: Tensor, stats: Tensor, dout: Tensor, d: AttentionDims): { dq: Tensor; dk: Tensor; dv: Tensor } {
  const rows = d.B * d.Hq * d.Tq;
  const dq = e.empty(q.shape, 'f32', 'attention.dq');
  const dk = e.empty(k.shape, 'f32', 'attention.dk');
  const dv = e.empty(v.shape, 'f32', 'attention.dv');
  if (familyFor(e, d) === 'tiled') {
    if (tiledBackwardFor(e, d) === 'fused') {
      // Probabilities once per (key, query) pair: dK, dV and per-key-block partial dQ, then their sum: two dispatches.
      const partial = e.empty([Math.ceil(d.Tk / TILE_ROWS), d.B, d.Tq, d.Hq, d.D], 'f32', 'attention.dq.partial');
      launchTiled(e, 'backwardFused', d, [q, k, v, mask, dout, out, stats, dk, dv, partial]);
      launchTiled(e, 'dqReduce', d, [partial, dq]);
      partial.release();
      return { dq, dk, dv };
    }
    // The dQ pass also writes delta = rowsum(dO * O) into stats for the dK/dV pass: two dispatches.
    launchTiled(e, 'backwardDq', d, [q, k, v, mask, dout, out, stats, dq]);
    launchTiled(e, 'backwardDkv', d, [q, k, v, mask, dout, stats, dk, dv]);
    return { dq, dk, dv };
  }
  launch(e, 'delta', d, rows, [out, dout, stats]);
  launch(e, 'backwardDq', d, rows, [q, k, v, mask, dout, stats, dq]);
  launch(e, 'backwardDkv', d, d.B * d.Hkv * d.S, [q, k, v, mask, dout, stats, dk, dv]);
  return { dq, dk, dv };
}
