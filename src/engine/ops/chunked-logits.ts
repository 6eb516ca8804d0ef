// LM head + loss over a large vocabulary, computed in chunks of rows so the full (tokens, vocab) logits never
// exist: only (chunkRows, vocab) at a time, in the forward and again (recomputed) in the backward.
// Modes: mean cross-entropy over non-ignored targets (1), or per-token log-probabilities of the targets (N).
import type { Engine } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { accumulate } from './elementwise.ts';
import { crossEntropyLoss, IGNORE_TARGET, logitsBackward, logitStats, selectStat } from './logits.ts';
import { matmulForward } from './matmul.ts';
import { assertDtype, fmt } from './shape.ts';

export type ChunkedLogitsMode = 'crossEntropy' | 'logprob';

export interface ChunkPlan {
  N: number;
  C: number;
  V: number;
  rows: number;
  /** Non-ignored targets over all rows (the cross-entropy denominator). */
  count: number;
}

export function planChunks(h: Tensor, w: Tensor, targets: Tensor, chunkRows: number): ChunkPlan {
  assertDtype('linearCrossEntropy', 'targets', targets.dtype, 'u32');
  if (h.shape.length !== 2 || w.shape.length !== 2) throw new Error(`linearCrossEntropy: h ${fmt(h.shape)} must be (tokens, C) and W ${fmt(w.shape)} (V, C)`);
  const [N, C] = h.shape;
  const [V, Cw] = w.shape;
  if (C !== Cw) throw new Error(`linearCrossEntropy: h has ${C} channels, W ${fmt(w.shape)} has ${Cw}`);
  if (targets.size !== N) throw new Error(`linearCrossEntropy: ${targets.size} targets for ${N} rows`);
  if (!targets.host) throw new Error('linearCrossEntropy: targets need a CPU copy (create them with engine.tensor(Uint32Array, …))');
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new Error(`linearCrossEntropy: chunkRows=${chunkRows} must be a positive integer`);
  for (let i = 0; i < N; i++) {
    const t = targets.host[i];
    if (t !== IGNORE_TARGET && t >= V) throw new Error(`linearCrossEntropy: target ${t} at row ${i} is outside the vocabulary (size ${V})`);
  }
  const count = targets.host.reduce((a, t) => a + (t === IGNORE_TARGET ? 0 : 1), 0);
  // A chunk's (rows, V) logits must fit one storage binding (lavapipe: 128 MiB), with the pool's rounding.
  const maxRows = Math.max(1, Math.floor(h.engine.device.limits.maxStorageBufferBindingSize / (V * 4 * 1.5)));
  return { N, C, V, rows: Math.min(chunkRows, maxRows, Math.max(N, 1)), count };
}

/** Copies rows [r0, r0 + n) of a (N, C) tensor into a new (n, C) tensor (one buffer copy, in command order). */
function rowSlice(e: Engine, x: Tensor, r0: number, n: number, C: number): Tensor {
  const out = e.empty([n, C], x.dtype, `${x.label}[${r0}:${r0 + n}]`);
  e.copy(x, r0 * C * 4, out, 0, n * C * 4);
  return out;
}

function targetSlice(e: Engine, targets: Tensor, r0: number, n: number): Tensor {
  return e.tensor(targets.host!.slice(r0, r0 + n), [n]);
}

/** The forward; in 'logprob' mode, `entropies` (N), when given, also gets each row's entropy from the same statistics. */
export function chunkedLogitsForward(e: Engine, mode: ChunkedLogitsMode, h: Tensor, w: Tensor, targets: Tensor, plan: ChunkPlan, entropies?: Tensor): Tensor {
  const { N, C, V, rows, count } = plan;
  const out = mode === 'crossEntropy' ? e.zeros([1], 'loss') : e.empty([N], 'f32', 'logprobs');
  for (let r0 = 0; r0 < N; r0 += rows) {
    const n = Math.min(rows, N - r0);
    const hc = rowSlice(e, h, r0, n, C);
    const tc = targetSlice(e, targets, r0, n);
    const logits = matmulForward(e, hc, w, { transB: true }); // (n, V)
    const stats = logitStats(e, logits, tc);
    if (mode === 'crossEntropy') {
      const chunkCount = tc.host!.reduce((a, t) => a + (t === IGNORE_TARGET ? 0 : 1), 0);
      if (chunkCount > 0) {
        // The chunk's mean times its share of the targets adds up to the mean over all rows.
        const info = crossEntropyLoss(e, stats, tc, V);
        const mean = info.head([1]);
        accumulate(e, out, mean, chunkCount / count);
        mean.release();
        info.release();
      }
    } else {
      const lp = selectStat(e, stats, tc, V, 'logprob', [n]);
      e.copy(lp, 0, out, r0 * 4, n * 4);
      lp.release();
      if (entropies) {
        const ent = selectStat(e, stats, tc, V, 'entropy', [n]);
        e.copy(ent, 0, entropies, r0 * 4, n * 4);
        ent.release();
      }
    }
    for (const t of [hc, tc, logits, stats]) t.release();
  }
  return out;
}

/** Gradients of h (N, C) and, when wanted, of W (V, C), recomputing each chunk's logits. */
export function chunkedLogitsBackward(e: Engine, mode: ChunkedLogitsMode, h: Tensor, w: Tensor, targets: Tensor, plan: ChunkPlan, gout: Tensor, needs: [boolean, boolean]): { dh: Tensor | null; dw: Tensor | null } {
  const { N, C, V, rows, count } = plan;
  const dh = needs[0] ? e.empty([N, C], 'f32', 'dh') : null;
  const dw = needs[1] ? e.zeros([V, C], 'dW') : null;
  // Cross-entropy divides by the count over all rows, not the chunk's: give the kernel (loss, count) = (0, count).
  const info = mode === 'crossEntropy' ? e.tensor(new Float32Array([0, count]), [2]) : null;
  for (let r0 = 0; r0 < N; r0 += rows) {
    const n = Math.min(rows, N - r0);
    const hc = rowSlice(e, h, r0, n, C);
    const tc = targetSlice(e, targets, r0, n);
    const logits = matmulForward(e, hc, w, { transB: true });
    const stats = logitStats(e, logits, tc);
    const g = mode === 'crossEntropy' ? gout : rowSlice(e, gout, r0, n, 1);
    const dlogits = logitsBackward(e, mode, logits, tc, stats, g, info ?? stats); // (n, V)
    if (dh) {
      const dhc = matmulForward(e, dlogits, w); // (n, C)
      e.copy(dhc, 0, dh, r0 * C * 4, n * C * 4);
      dhc.release();
    }
    if (dw) matmulForward(e, dlogits, hc, { transA: true, accumulateInto: dw }); // (V, C) += dlogitsᵀ · h
    if (g !== gout) g.release();
    for (const t of [hc, tc, logits, stats, dlogits]) t.release();
  }
  info?.release();
  return { dh, dw };
}
