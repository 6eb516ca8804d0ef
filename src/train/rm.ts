// Reward modelling: TRL RewardTrainer's pairwise loss on the score head, run by the shared loop.
import { add, logSigmoid, maskedMean, mul, preferenceStats, reshape, scale, sub, type Tensor } from '../engine/index.ts';
import type { LossOutput } from './loop.ts';

/**
 * TRL's reward loss for P pairs: mean −log σ(r_c − r_r − margin) + coef · mean (r_c + r_r)², with the logged
 * statistics (accuracy, margin, min/mean/max reward) computed beside it. chosen, rejected: (P, 1); margin (P) or
 * null (TRL subtracts a margin only when the data has a `margin` column); coef 0 leaves the centring term out.
 */
export function preferenceLoss(chosen: Tensor, rejected: Tensor, margin: Float32Array | null, centerCoef: number): Required<LossOutput> {
  const e = chosen.engine;
  const P = chosen.size;
  if (rejected.size !== P) throw new Error(`preferenceLoss: ${P} chosen rewards but ${rejected.size} rejected`);
  if (margin && margin.length !== P) throw new Error(`preferenceLoss: ${margin.length} margins for ${P} pairs`);
  const ones = e.tensor(new Float32Array(P).fill(1), [P], 'f32', 'pairWeights');
  let z = sub(chosen, rejected); // (P, 1)
  if (margin) z = sub(z, e.tensor(margin, [P, 1], 'f32', 'margin'));
  let loss = scale(maskedMean(reshape(logSigmoid(z), [P]), ones), -1); // (1)
  if (centerCoef > 0) {
    const s = add(chosen, rejected);
    loss = add(loss, scale(maskedMean(reshape(mul(s, s), [P]), ones), centerCoef));
  }
  return { loss, stats: preferenceStats(e, chosen, rejected) };
}
