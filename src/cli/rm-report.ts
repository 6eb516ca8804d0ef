// The text a reward model's evaluation prints (eval CLI, train CLI, demo:rm): pair accuracy, mean margin and
// accuracy per rejection kind.
import type { PreferenceReport } from '../train/rm-score.ts';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatPreferenceReport(r: PreferenceReport): string {
  const n = r.pairs.length;
  const correct = r.pairs.filter((p) => p.chosen > p.rejected).length;
  const lines = [
    `pair accuracy: ${pct(correct / n)} (${correct}/${n})`,
    `mean margin (r_chosen - r_rejected): ${r.metrics.margin.toFixed(3)}; rewards from ${r.metrics.min_reward.toFixed(3)} to ${r.metrics.max_reward.toFixed(3)}, mean ${r.metrics.mean_reward.toFixed(3)}`,
  ];
  if (r.kinds.length) {
    lines.push('', '| rejection kind | pairs | accuracy |', '|---|---|---|');
    for (const k of r.kinds) lines.push(`| ${k.kind} | ${k.pairs} | ${pct(k.accuracy)} (${k.correct}/${k.pairs}) |`);
  }
  return lines.join('\n');
}
