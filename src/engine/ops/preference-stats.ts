// Launcher of the preference-pair statistics kernel (shaders/preference_stats.wgsl): the reward model's logged
// accuracy, margin and reward range, computed on the GPU beside the loss so they travel with its readback.
import preferenceStatsSrc from '../../../shaders/preference_stats.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertDtype, fmt } from './shape.ts';

/** The statistics, in the kernel's output order, under TRL's metric names. */
export const PREFERENCE_STATS = ['accuracy', 'margin', 'min_reward', 'mean_reward', 'max_reward'] as const;
export type PreferenceStat = (typeof PREFERENCE_STATS)[number];

/** chosen (n), rejected (n) -> one (1) tensor per statistic. Records no gradient. */
export function preferenceStats(e: Engine, chosen: Tensor, rejected: Tensor): Record<PreferenceStat, Tensor> {
  assertDtype('preferenceStats', 'chosen', chosen.dtype, 'f32');
  assertDtype('preferenceStats', 'rejected', rejected.dtype, 'f32');
  if (chosen.size !== rejected.size || chosen.size === 0) {
    throw new Error(`preferenceStats: chosen ${fmt(chosen.shape)} and rejected ${fmt(rejected.shape)} must hold the same number (> 0) of rewards`);
  }
  const all = e.empty([PREFERENCE_STATS.length], 'f32', 'preferenceStats');
  e.run(preferenceStatsSrc, words({ u: chosen.size }), [chosen.buffer, rejected.buffer, all.buffer], [1], 'preferenceStats');
  // One (1) tensor each, so a trainer hands them to the loop as separate statistics.
  const out = {} as Record<PreferenceStat, Tensor>;
  PREFERENCE_STATS.forEach((name, k) => {
    const t = e.empty([1], 'f32', name);
    e.batch.copy(all.buffer, 4 * k, t.buffer, 0, 4);
    out[name] = t;
  });
  all.release();
  return out;
}
