// Rollout data for the optimisation epochs: each episode's policy tokens (where the loss is taken) with what the
// rollout knew about them, and padded micro-batches of episodes for the training forward.
//
// The hidden state at position t-1 predicts token t: a policy token t is a "row" b·T + (t - 1) of the flattened
// (B·T, C) hidden states, with target tokens[t]. Only rows go through the LM head (and the value head).
import type { LoopBatch } from './loop.ts';

/** One episode as the optimiser sees it. Per-token arrays have one entry per policy token, in order. */
export interface RolloutEpisode {
  tokens: Int32Array;
  /** Positions t of the policy tokens (t >= 1). */
  positions: Int32Array;
  /** Log-probs of the policy tokens when sampled (the "old" policy of the clipped ratio). */
  oldLogp: Float32Array;
  /** Reference-policy log-probs (when a KL term needs them). */
  refLogp?: Float32Array;
  advantages: Float32Array;
  /** PPO: the critic's values when sampled, and the GAE returns. */
  oldValues?: Float32Array;
  returns?: Float32Array;
  /** The turn hit its token limit without a stop token. */
  truncated: boolean;
}

export interface RlBatch extends LoopBatch {
  B: number;
  T: number;
  ids: Int32Array;
  attention: Uint8Array;
  /** Flat hidden-state rows (b·T + t - 1) of the policy tokens. (N) */
  rows: Uint32Array;
  targets: Uint32Array;
  oldLogp: Float32Array;
  refLogp?: Float32Array;
  advantages: Float32Array;
  oldValues?: Float32Array;
  returns?: Float32Array;
  /** Per policy token: its weight in the loss (the loss type's normalisation; 0 to leave a token out). (N) */
  weights: Float32Array;
  /** Which episodes of the rollout, in batch order. */
  episodes: number[];
}

/** The policy tokens of an episode: where policyMask is 1 (never the first token: nothing predicts it). */
export function policyPositions(policyMask: Uint8Array): Int32Array {
  const out: number[] = [];
  for (let t = 1; t < policyMask.length; t++) if (policyMask[t]) out.push(t);
  return Int32Array.from(out);
}

/**
 * Right-pads the episodes into one (B, T) batch and lists their policy tokens. `weight(e, k)` gives token k of
 * episode e its loss weight.
 */
export function rlBatch(all: readonly RolloutEpisode[], indices: number[], padId: number, weight: (episode: number, token: number) => number): RlBatch {
  const B = indices.length;
  const T = Math.max(1, ...indices.map((i) => all[i].tokens.length));
  const ids = new Int32Array(B * T).fill(padId);
  const attention = new Uint8Array(B * T);
  const N = indices.reduce((s, i) => s + all[i].positions.length, 0);
  const rows = new Uint32Array(N);
  const targets = new Uint32Array(N);
  const oldLogp = new Float32Array(N);
  const advantages = new Float32Array(N);
  const weights = new Float32Array(N);
  const hasRef = indices.every((i) => all[i].refLogp);
  const hasValues = indices.every((i) => all[i].oldValues && all[i].returns);
  const refLogp = hasRef ? new Float32Array(N) : undefined;
  const oldValues = hasValues ? new Float32Array(N) : undefined;
  const returns = hasValues ? new Float32Array(N) : undefined;
  let n = 0;
  let realTokens = 0;
  indices.forEach((i, b) => {
    const ep = all[i];
    ids.set(ep.tokens, b * T);
    attention.fill(1, b * T, b * T + ep.tokens.length);
    realTokens += ep.tokens.length;
    ep.positions.forEach((t, k) => {
      rows[n] = b * T + t - 1;
      targets[n] = ep.tokens[t];
      oldLogp[n] = ep.oldLogp[k];
      advantages[n] = ep.advantages[k];
      weights[n] = weight(i, k);
      if (refLogp) refLogp[n] = ep.refLogp![k];
      if (oldValues) {
        oldValues[n] = ep.oldValues![k];
        returns![n] = ep.returns![k];
      }
      n++;
    });
  });
  return { B, T, ids, attention, rows, targets, oldLogp, refLogp, advantages, oldValues, returns, weights, episodes: [...indices], realTokens };
}

/**
 * Runs `read` over the rollout a micro-batch at a time (no loss weights) and cuts its per-policy-token output into
 * one array per episode: the rollout-time values and reference log-probs that the optimisation epochs reuse.
 */
export async function perEpisodeTokens(
  rollout: readonly RolloutEpisode[], batchSize: number, read: (batch: RlBatch) => Promise<Float32Array>,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (let b = 0; b < rollout.length; b += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, rollout.length - b) }, (_, i) => b + i);
    const flat = await read(rlBatch(rollout, idx, 0, () => 1));
    let o = 0;
    for (const i of idx) {
      const n = rollout[i].positions.length;
      out.push(flat.slice(o, o + n));
      o += n;
    }
  }
  return out;
}
