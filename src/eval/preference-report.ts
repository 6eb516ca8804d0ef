// A reward model's scores on preference pairs summarised as TRL's evaluation names them (loss, accuracy, margin,
// min/mean/max reward), plus accuracy per rejection kind. Pure: the CLI, the trainer and the studio share it.

/** One scored pair of a held-out file. */
export interface ScoredPair {
  line: number;
  chosen: number;
  rejected: number;
  kind?: string;
  margin?: number;
}

export interface KindAccuracy {
  kind: string;
  pairs: number;
  correct: number;
  accuracy: number;
}

export interface PreferenceReport {
  pairs: ScoredPair[];
  /** TRL's names: loss, accuracy, margin, min_reward, mean_reward, max_reward, and accuracy/<kind>. */
  metrics: Record<string, number>;
  /** Per rejection kind, when the data names kinds (sorted by kind). */
  kinds: KindAccuracy[];
}

/** Loss settings, as in training: the margin for pairs without one, and the centring weight. */
export interface LossSettings {
  margin: number;
  centerCoef: number;
}

/** The metrics of scored pairs, in float64. */
export function preferenceReport(pairs: ScoredPair[], loss: LossSettings = { margin: 0, centerCoef: 0 }): PreferenceReport {
  const n = pairs.length;
  let wins = 0;
  let diff = 0;
  let sum = 0;
  let lossSum = 0;
  let min = Infinity;
  let max = -Infinity;
  const byKind = new Map<string, { pairs: number; correct: number }>();
  for (const p of pairs) {
    const right = p.chosen > p.rejected;
    if (right) wins++;
    diff += p.chosen - p.rejected;
    sum += p.chosen + p.rejected;
    min = Math.min(min, p.chosen, p.rejected);
    max = Math.max(max, p.chosen, p.rejected);
    const z = p.chosen - p.rejected - (p.margin ?? loss.margin);
    lossSum += -(Math.min(z, 0) - Math.log1p(Math.exp(-Math.abs(z)))) + loss.centerCoef * (p.chosen + p.rejected) ** 2;
    if (p.kind) {
      const k = byKind.get(p.kind) ?? { pairs: 0, correct: 0 };
      k.pairs++;
      if (right) k.correct++;
      byKind.set(p.kind, k);
    }
  }
  const kinds = [...byKind].sort(([a], [b]) => a.localeCompare(b)).map(([kind, k]) => ({ kind, ...k, accuracy: k.correct / k.pairs }));
  const metrics: Record<string, number> = {
    loss: lossSum / n, accuracy: wins / n, margin: diff / n, min_reward: min, mean_reward: sum / (2 * n), max_reward: max,
  };
  for (const k of kinds) metrics[`accuracy/${k.kind}`] = k.accuracy;
  return { pairs, metrics, kinds };
}
