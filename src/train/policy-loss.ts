// The RL losses on the GPU, written with the engine's differentiable ops as TRL writes them in torch, plus the
// statistics TRL logs, computed on the host from the per-token values read back with the loss.
//
//   GRPO  ratio = exp(logp - old);  per-token = -min(ratio·A, clip(ratio, 1-eps, 1+eps_high)·A)
//         [+ beta · k3(ref, logp)],  summed with the loss type's token weights (grpo, bnpo, dr_grpo, dapo)
//   PPO   pg = mean max(-A·ratio, -A·clip(ratio, 1-c, 1+c));  vf = ½ mean max((v - R)², (clip(v, v_old ± c_v) - R)²)
//         loss = pg + vf_coef · vf  (the critic: a scalar head on its own LoRA adapter over the frozen base, or on
//         the policy's hidden states, which the value loss then does not train: see criticValues)
// Log-probs come from the logits divided by the sampling temperature, as the sampler drew them.
import {
  add, affine, clamp, embedding, exp, linear, linearTokenLogprobs, linearTokenLogprobsWithEntropy, maskedMean, maximum, minimum, mul, reshape, scale, sub,
  type Engine, type Tensor,
} from '../engine/index.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { LossOutput } from './loop.ts';
import type { RlBatch } from './rl-batch.ts';

export interface PolicyForward {
  /** (N) log-probs of the batch's policy tokens under logits / temperature. */
  logp: Tensor;
  /** (N, C) the hidden states that predict them. */
  hidden: Tensor;
  /** (N) the scalar head's values at those rows (when asked). */
  values?: Tensor;
  /** (N) the entropy of softmax(logits / temperature) at those rows, off the tape (when asked: for logging). */
  entropy?: Tensor;
}

/** The trunk's last hidden states over a padded batch, gathered at the policy tokens' rows: (N, C). */
function hiddenRows(model: QwenModel, batch: RlBatch): Tensor {
  const { hidden: full } = model.forward({ ids: batch.ids, mask: batch.attention, B: batch.B, T: batch.T }, { logits: false });
  return embedding(full, model.e.tensor(batch.rows, [batch.rows.length], 'u32', 'policyRows'));
}

/**
 * The policy's forward over a padded batch, gathered at the policy tokens' rows. Records on the active tape. The
 * entropies come from the same pass over the logits as the log-probs (linearTokenLogprobsWithEntropy).
 */
export function policyForward(model: QwenModel, batch: RlBatch, temperature: number, want: { values?: boolean; entropy?: boolean } = {}): PolicyForward {
  const e = model.e;
  const N = batch.rows.length;
  const hidden = hiddenRows(model, batch); // (N, C)
  const targets = e.tensor(batch.targets, [N], 'u32', 'policyTargets');
  const h = temperature === 1 ? hidden : scale(hidden, 1 / temperature);
  const W = model.lmHead ?? model.embed;
  const { logp, entropy } = want.entropy ? linearTokenLogprobsWithEntropy(h, W, targets) : { logp: linearTokenLogprobs(h, W, targets), entropy: undefined };
  const values = want.values ? criticValues(model, batch, hidden) : undefined;
  return { logp, hidden, values, entropy };
}

/**
 * The critic's values (N) at the policy tokens' rows. With a critic adapter (critic: adapter) they come from a second
 * forward of the same frozen base under the critic's own LoRA adapter, and the value loss trains that adapter and the
 * head; otherwise (critic: head) the head reads the policy's hidden states but its gradient stops there: only the head
 * learns from the value loss. Measured on the PPO demo (docs/training.md, PPO runs): with the value gradient flowing
 * into the shared LoRA trunk it was ~10x the policy gradient (grad norm 0.6 vs 0.06 with vf_coef 0) and pulled the
 * policy 2 nats from its start in 20 rollouts while the training reward fell; vf_coef 0.1 did not keep it small.
 */
function criticValues(model: QwenModel, batch: RlBatch, policyHidden?: Tensor): Tensor {
  if (!model.scoreHead) throw new Error('PPO needs the scalar head on the policy (the critic): call addScoreHead first');
  const features = model.criticLora
    ? model.withCritic(() => hiddenRows(model, batch))
    : untaped(model.e, () => scale(policyHidden ?? hiddenRows(model, batch), 1)); // a copy off the tape: a constant to the backward
  return reshape(linear(features, model.scoreHead), [batch.rows.length]);
}

/** Runs fn with no tape recording (statistics of a recorded forward that must not enter backward). */
function untaped<R>(e: Engine, fn: () => R): R {
  const tape = e.tape;
  e.tape = null;
  try {
    return fn();
  } finally {
    e.tape = tape;
  }
}

/** Σ weights · x as a (1) tensor: maskedMean gives Σ w·x / Σ w, scaled back by Σ w (known on the host). */
function weightedSum(e: Engine, x: Tensor, weights: Float32Array): Tensor {
  const total = weights.reduce((a, b) => a + b, 0);
  return scale(maskedMean(x, e.tensor(weights, [weights.length], 'f32', 'lossWeights')), total);
}

export interface GrpoLossConfig {
  epsilonLow: number;
  epsilonHigh: number;
  beta: number;
  temperature: number;
}

/**
 * The GRPO objective from the policy tokens' log-probs (N): Σ weight · per-token loss. The token weights carry
 * the loss type's normalisation (src/train/grpo.ts grpoTokenWeights).
 */
export function grpoObjective(e: Engine, logp: Tensor, batch: RlBatch, c: GrpoLossConfig): Tensor {
  const N = batch.rows.length;
  const adv = e.tensor(batch.advantages, [N], 'f32', 'advantages');
  const ratio = exp(sub(logp, e.tensor(batch.oldLogp, [N], 'f32', 'oldLogp')));
  const unclipped = mul(ratio, adv);
  const clipped = mul(clamp(ratio, 1 - c.epsilonLow, 1 + c.epsilonHigh), adv);
  let perToken = scale(minimum(unclipped, clipped), -1);
  if (c.beta !== 0) {
    if (!batch.refLogp) throw new Error('GRPO with beta > 0 needs reference log-probs in the rollout');
    // k3: exp(ref - logp) - (ref - logp) - 1
    const d = sub(e.tensor(batch.refLogp, [N], 'f32', 'refLogp'), logp);
    perToken = add(perToken, scale(affine(sub(exp(d), d), 1, -1), c.beta));
  }
  return weightedSum(e, perToken, batch.weights);
}

/** The GRPO loss of one micro-batch through the model, with TRL's statistics. */
export function grpoLoss(model: QwenModel, batch: RlBatch, c: GrpoLossConfig): LossOutput {
  const { logp, entropy } = policyForward(model, batch, c.temperature, { entropy: true });
  const loss = grpoObjective(model.e, logp, batch, c);
  return {
    loss,
    readback: {
      tensors: [logp, entropy!],
      summarize: ([lp, ent]) => grpoStats(batch, lp, ent, c),
    },
  };
}

/** TRL's GRPO statistics over the tokens that count (weight > 0): kl, entropy, clip_ratio/{low,high,region}_mean. */
export function grpoStats(batch: RlBatch, logp: Float32Array, entropies: Float32Array, c: GrpoLossConfig): Record<string, number> {
  let n = 0, low = 0, high = 0, kl = 0, ent = 0;
  for (let i = 0; i < logp.length; i++) {
    if (!(batch.weights[i] > 0)) continue;
    n++;
    const ratio = Math.exp(logp[i] - batch.oldLogp[i]);
    const a = batch.advantages[i];
    if (ratio < 1 - c.epsilonLow && a < 0) low++;
    if (ratio > 1 + c.epsilonHigh && a > 0) high++;
    if (batch.refLogp) {
      const d = batch.refLogp[i] - logp[i];
      kl += Math.expm1(d) - d;
    }
    ent += entropies[i];
  }
  const d = Math.max(n, 1);
  const out: Record<string, number> = {
    entropy: ent / d, 'clip_ratio/low_mean': low / d, 'clip_ratio/high_mean': high / d, 'clip_ratio/region_mean': (low + high) / d,
  };
  if (c.beta !== 0) out.kl = kl / d;
  return out;
}

export interface PpoLossConfig {
  cliprange: number;
  cliprangeValue: number;
  vfCoef: number;
  temperature: number;
}

/** PPO's policy and value losses from the policy tokens' log-probs and values (N): TRL's masked means over the batch. */
export function ppoObjective(e: Engine, logp: Tensor, values: Tensor, batch: RlBatch, c: PpoLossConfig): { loss: Tensor; pgLoss: Tensor; vfLoss: Tensor } {
  const N = batch.rows.length;
  if (!batch.oldValues || !batch.returns) throw new Error('PPO batches need the rollout values and returns');
  const negAdv = e.tensor(batch.advantages.map((a) => -a), [N], 'f32', 'negAdvantages');
  const ratio = exp(sub(logp, e.tensor(batch.oldLogp, [N], 'f32', 'oldLogp')));
  const pg = maximum(mul(ratio, negAdv), mul(clamp(ratio, 1 - c.cliprange, 1 + c.cliprange), negAdv));
  const mask = e.tensor(batch.weights, [N], 'f32', 'tokenMask');
  const pgLoss = maskedMean(pg, mask);
  const oldV = e.tensor(batch.oldValues, [N], 'f32', 'oldValues');
  const ret = e.tensor(batch.returns, [N], 'f32', 'returns');
  // clip(v, v_old - c, v_old + c) = v_old + clip(v - v_old, -c, c)
  const vClipped = add(clamp(sub(values, oldV), -c.cliprangeValue, c.cliprangeValue), oldV);
  const d1 = sub(values, ret);
  const d2 = sub(vClipped, ret);
  const vfLoss = scale(maskedMean(maximum(mul(d1, d1), mul(d2, d2)), mask), 0.5);
  return { loss: add(pgLoss, scale(vfLoss, c.vfCoef)), pgLoss, vfLoss };
}

/** The PPO loss of one micro-batch through the model (and the critic: criticValues), with TRL's statistics. */
export function ppoLoss(model: QwenModel, batch: RlBatch, c: PpoLossConfig): LossOutput {
  const { logp, values, entropy } = policyForward(model, batch, c.temperature, { values: true, entropy: true });
  const { loss, pgLoss, vfLoss } = ppoObjective(model.e, logp, values!, batch, c);
  return {
    loss,
    stats: { 'loss/policy_avg': pgLoss, 'loss/value_avg': vfLoss },
    readback: {
      tensors: [logp, values!, entropy!],
      summarize: ([lp, v, ent]) => ppoStats(batch, lp, v, ent, c),
    },
  };
}

/** TRL's PPO statistics: policy/approxkl_avg, policy/clipfrac_avg, val/clipfrac_avg, policy/entropy_avg, val/ratio(_var). */
export function ppoStats(batch: RlBatch, logp: Float32Array, values: Float32Array, entropies: Float32Array, c: PpoLossConfig): Record<string, number> {
  let n = 0, approx = 0, pgClip = 0, vClip = 0, ent = 0, rSum = 0, rSq = 0;
  for (let i = 0; i < logp.length; i++) {
    if (!(batch.weights[i] > 0)) continue;
    n++;
    const diff = logp[i] - batch.oldLogp[i];
    const ratio = Math.exp(diff);
    approx += 0.5 * diff * diff;
    const a = batch.advantages[i];
    const clippedRatio = Math.min(Math.max(ratio, 1 - c.cliprange), 1 + c.cliprange);
    if (-a * clippedRatio > -a * ratio) pgClip++;
    const vOld = batch.oldValues![i];
    const vc = Math.min(Math.max(values[i], vOld - c.cliprangeValue), vOld + c.cliprangeValue);
    if ((vc - batch.returns![i]) ** 2 > (values[i] - batch.returns![i]) ** 2) vClip++;
    ent += entropies[i];
    rSum += ratio;
    rSq += ratio * ratio;
  }
  const d = Math.max(n, 1);
  const mean = rSum / d;
  return {
    'policy/approxkl_avg': approx / d, 'policy/clipfrac_avg': pgClip / d, 'val/clipfrac_avg': vClip / d, 'policy/entropy_avg': ent / d,
    'val/ratio': mean, 'val/ratio_var': n > 1 ? (rSq / d - mean * mean) * (n / (n - 1)) : 0,
  };
}

/** The reference policy's (the RL adapter off) per-token log-probs of a batch, recorded on no tape. */
export function referenceLogprobs(model: QwenModel, batch: RlBatch, temperature: number): Promise<Float32Array> {
  return readOffTape(model, () => policyForward(model, batch, temperature).logp, true);
}

/** The critic's per-token values of a batch at rollout time, recorded on no tape (no LM head: values only). */
export function rolloutValues(model: QwenModel, batch: RlBatch): Promise<Float32Array> {
  return readOffTape(model, () => criticValues(model, batch));
}

/** Reads one tensor of an evaluation-mode forward without recording it (adapter off for the reference). */
async function readOffTape(model: QwenModel, fn: () => Tensor, reference = false): Promise<Float32Array> {
  const e = model.e;
  const wasEnabled = model.adapterEnabled;
  const wasTraining = model.training;
  model.training = false;
  if (reference) model.adapterEnabled = false;
  try {
    const out = untaped(e, () => e.scope(fn));
    const data = await out.read();
    out.release();
    return data;
  } finally {
    model.adapterEnabled = wasEnabled;
    model.training = wasTraining;
  }
}
