// Launchers for losses on logits over a large vocabulary: cross-entropy with an ignore mask, per-token
// log-probabilities and entropy, all from one streaming statistics pass and one streaming backward.
import lossSrc from '../../../shaders/cross_entropy_loss.wgsl?raw';
import backwardSrc from '../../../shaders/logits_backward.wgsl?raw';
import statsSrc from '../../../shaders/logit_stats.wgsl?raw';
import selectSrc from '../../../shaders/stats_select.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertDtype, fmt, rowsOf } from './shape.ts';

/** Target id meaning "no loss on this token" (prompt, padding). */
export const IGNORE_TARGET = 0xffffffff;

export type LogitsGradMode = 'crossEntropy' | 'logprob' | 'entropy';
const MODE: Record<LogitsGradMode, number> = { crossEntropy: 0, logprob: 1, entropy: 2 };

/** logits (…, V), targets (…) u32 -> stats (rows, 3): logsumexp, target logit, entropy. */
export function logitStats(e: Engine, logits: Tensor, targets: Tensor): Tensor {
  assertDtype('logits', 'targets', targets.dtype, 'u32');
  const [rows, V] = rowsOf(logits.shape);
  if (targets.size !== rows) throw new Error(`logits: ${targets.size} targets for logits ${fmt(logits.shape)} (${rows} rows)`);
  const stats = e.empty([rows, 3], 'f32', 'logits.stats');
  e.run(statsSrc, words({ u: rows }, { u: V }), [logits, targets, stats], e.grid(rows), 'logitStats');
  return stats;
}

/** (2): mean loss over non-ignored rows, and their count. */
export function crossEntropyLoss(e: Engine, stats: Tensor, targets: Tensor, V: number): Tensor {
  const out = e.empty([2], 'f32', 'crossEntropy');
  e.run(lossSrc, words({ u: stats.shape[0] }, { u: V }), [stats, targets, out], [1], 'crossEntropyLoss');
  return out;
}

/** Per-row log-probability of the target (mode 'logprob') or entropy (mode 'entropy'): (rows). */
export function selectStat(e: Engine, stats: Tensor, targets: Tensor, V: number, which: 'logprob' | 'entropy', shape: readonly number[]): Tensor {
  const rows = stats.shape[0];
  const out = e.empty(shape, 'f32', which);
  e.run(selectSrc, words({ u: rows }, { u: V }, { u: which === 'logprob' ? 0 : 1 }), [stats, targets, out], e.grid(Math.ceil(rows / 64)), which);
  return out;
}

/** dlogits (…, V) for one of the three losses; info is the (loss, count) output of crossEntropyLoss (any tensor otherwise). */
export function logitsBackward(e: Engine, mode: LogitsGradMode, logits: Tensor, targets: Tensor, stats: Tensor, gout: Tensor, info: Tensor): Tensor {
  const [rows, V] = rowsOf(logits.shape);
  const d = e.empty(logits.shape, 'f32', `d${mode}`);
  const chunks = Math.ceil(V / 64);
  const [gy, gz] = e.grid(rows);
  e.run(backwardSrc, words({ u: rows }, { u: V }, { u: MODE[mode] }), [logits, targets, stats, gout, info, d], [chunks, gy, gz], 'logitsBackward');
  return d;
}
