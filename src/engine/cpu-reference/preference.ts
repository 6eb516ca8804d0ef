// Float64 references for preference pairs: TRL RewardTrainer's logged statistics and its pairwise loss
//   loss = mean_i −log σ(r_c,i − r_r,i − m_i) + coef · mean_i (r_c,i + r_r,i)²
// with the analytic gradients the GPU graph must reproduce.
import { logSigmoidRef } from './log-sigmoid.ts';

export function preferenceStatsRef(chosen: Float64Array, rejected: Float64Array): { accuracy: number; margin: number; min_reward: number; mean_reward: number; max_reward: number } {
  const n = chosen.length;
  let wins = 0;
  let diff = 0;
  for (let i = 0; i < n; i++) {
    if (chosen[i] > rejected[i]) wins++;
    diff += chosen[i] - rejected[i];
  }
  const all = [...chosen, ...rejected];
  return { accuracy: wins / n, margin: diff / n, min_reward: Math.min(...all), mean_reward: all.reduce((s, v) => s + v, 0) / all.length, max_reward: Math.max(...all) };
}

/** The pairwise loss and its gradients with respect to each reward. `margin` null means 0 for every pair. */
export function preferenceLossRef(
  chosen: Float64Array, rejected: Float64Array, margin: Float64Array | null, centerCoef: number,
): { loss: number; dChosen: Float64Array; dRejected: Float64Array } {
  const n = chosen.length;
  const z = chosen.map((c, i) => c - rejected[i] - (margin ? margin[i] : 0));
  const ls = logSigmoidRef(z);
  let loss = 0;
  const dChosen = new Float64Array(n);
  const dRejected = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = chosen[i] + rejected[i];
    loss += -ls[i] / n + (centerCoef * s * s) / n;
    // d(−log σ(z))/dz = −σ(−z); d(coef·s²)/ds = 2·coef·s.
    const dz = -1 / (1 + Math.exp(z[i])) / n;
    const ds = (2 * centerCoef * s) / n;
    dChosen[i] = dz + ds;
    dRejected[i] = -dz + ds;
  }
  return { loss, dChosen, dRejected };
}
