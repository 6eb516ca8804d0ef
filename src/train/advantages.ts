// Advantages for the RL trainers, in float64 on the host (they are per episode or per token of a rollout, tiny next
// to the model): GRPO's group-normalised rewards, PPO's per-token rewards with the KL penalty, GAE and returns,
// and masked whitening, all as TRL computes them (trl/trainer/grpo_trainer.py, ppo_trainer.py, utils.py).

export type ScaleRewards = 'group' | 'batch' | 'none';

/** torch.std: the unbiased (n - 1) standard deviation; NaN for one value, as torch gives. */
export function unbiasedStd(xs: readonly number[]): number {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  return Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
}

export interface GroupAdvantages {
  advantages: Float64Array;
  /** Per episode: the std it was scaled by (group or batch std; group std for 'none', as TRL logs it). */
  std: Float64Array;
  /** Per episode: its group's rewards all equal (no learning signal). */
  zeroStd: boolean[];
}

/**
 * GRPO: A_i = r_i - mean(group of i), divided by (std + 1e-4) with std of the group ('group'), of the whole
 * batch ('batch'), or not divided ('none'). Rewards come in groups of `groupSize` consecutive episodes.
 */
export function groupAdvantages(rewards: readonly number[], groupSize: number, scale: ScaleRewards): GroupAdvantages {
  if (groupSize < 1 || rewards.length % groupSize !== 0) throw new Error(`groupAdvantages: ${rewards.length} rewards are not groups of ${groupSize}`);
  const n = rewards.length;
  const advantages = new Float64Array(n);
  const std = new Float64Array(n);
  const batchStd = scale === 'batch' ? unbiasedStd(rewards) : 0;
  for (let g = 0; g < n; g += groupSize) {
    const group = rewards.slice(g, g + groupSize);
    const mean = group.reduce((a, b) => a + b, 0) / groupSize;
    const s = scale === 'batch' ? batchStd : unbiasedStd(group);
    for (let i = g; i < g + groupSize; i++) {
      advantages[i] = rewards[i] - mean;
      std[i] = s;
      if (scale !== 'none') advantages[i] /= s + 1e-4;
    }
  }
  // torch.isclose(std, 0): |std| <= 1e-8 (atol) for a zero reference.
  const zeroStd = Array.from(std, (s) => Math.abs(s) <= 1e-8);
  return { advantages, std, zeroStd };
}

export type KlEstimator = 'k1' | 'k3';

/**
 * Per-token KL estimate of the policy from the reference, from log-probs of the sampled tokens (Schulman,
 * "Approximating KL Divergence", 2020): k1 = logp - ref; k3 = (r - 1) - log r with r = exp(ref - logp), which is
 * never negative and unbiased. TRL's PPO offers both (kl_estimator); GRPO's beta term uses k3.
 */
export function klEstimate(logp: number, ref: number, estimator: KlEstimator): number {
  const logr = ref - logp;
  return estimator === 'k1' ? -logr : Math.expm1(logr) - logr;
}

/** mean and unbiased variance over mask = 1 (TRL's masked_mean / masked_var). */
function maskedMoments(x: ArrayLike<number>, mask: ArrayLike<number>): { mean: number; variance: number; count: number } {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < x.length; i++) if (mask[i]) (sum += x[i]), count++;
  const mean = sum / count;
  let sq = 0;
  for (let i = 0; i < x.length; i++) if (mask[i]) sq += (x[i] - mean) ** 2;
  // masked_var's Bessel correction: var * n / (n - 1).
  const variance = (sq / count) * (count / (count - 1));
  return { mean, variance, count };
}

/** TRL's masked_whiten: (x - mean) / sqrt(var + 1e-8) over mask = 1, the mean added back when !shiftMean; 0 off the mask. */
export function maskedWhiten(x: ArrayLike<number>, mask: ArrayLike<number>, shiftMean = true): Float64Array {
  const { mean, variance, count } = maskedMoments(x, mask);
  const out = new Float64Array(x.length);
  if (count < 2) {
    // One value has no variance to whiten by: leave it as it is (TRL would divide by NaN).
    for (let i = 0; i < x.length; i++) out[i] = mask[i] ? (shiftMean ? 0 : x[i]) : 0;
    return out;
  }
  const inv = 1 / Math.sqrt(variance + 1e-8);
  for (let i = 0; i < x.length; i++) out[i] = mask[i] ? (x[i] - mean) * inv + (shiftMean ? 0 : mean) : 0;
  return out;
}

/**
 * Generalised advantage estimation over one episode's policy tokens, in order (tool-result tokens between turns
 * are part of the environment's transition, not steps): delta_t = r_t + gamma V_{t+1} - V_t (V after the last
 * token is 0), A_t = delta_t + gamma lam A_{t+1}; returns R_t = A_t + V_t.
 */
export function gae(rewards: ArrayLike<number>, values: ArrayLike<number>, gamma: number, lam: number): { advantages: Float64Array; returns: Float64Array } {
  const n = rewards.length;
  if (values.length !== n) throw new Error(`gae: ${n} rewards and ${values.length} values`);
  const advantages = new Float64Array(n);
  const returns = new Float64Array(n);
  let last = 0;
  for (let t = n - 1; t >= 0; t--) {
    const next = t + 1 < n ? values[t + 1] : 0;
    const delta = rewards[t] + gamma * next - values[t];
    last = delta + gamma * lam * last;
    advantages[t] = last;
    returns[t] = last + values[t];
  }
  return { advantages, returns };
}
