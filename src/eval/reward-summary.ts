// Mean reward and mean components over every step of scored records, per reward config: what an RL run
// would have paid these outputs. Chains are rewarded step by step, each step after the reference prefix.

import type { ToolEnvironment } from '../tools/environment.ts';
import type { ToolCall, ToolDefinition } from '../tools/types.ts';
import type { EvalRecord } from './metrics.ts';
import { computeReward, REWARD_COMPONENTS, type RewardComponent, type RewardConfig } from './reward.ts';

export interface RewardSummary {
  name: string;
  steps: number;
  meanTotal: number;
  meanComponents: Record<RewardComponent, number>;
  weights: Partial<Record<RewardComponent, number>>;
}

export function summariseRewards(records: readonly EvalRecord[], configs: readonly RewardConfig[], opts: { tools?: readonly ToolDefinition[]; environment?: ToolEnvironment } = {}): RewardSummary[] {
  return configs.map((config) => {
    let steps = 0;
    let total = 0;
    const sums = Object.fromEntries(REWARD_COMPONENTS.map((c) => [c, 0])) as Record<RewardComponent, number>;
    for (const rec of records) {
      const texts = typeof rec.predicted === 'string' ? [rec.predicted] : rec.predicted.every((x) => typeof x === 'string') ? (rec.predicted as string[]) : null;
      if (!texts) continue; // decoded calls have no text to judge the format of
      const prefix: ToolCall[] = [];
      rec.expected.forEach((expected, s) => {
        const r = computeReward({ output: texts[s] ?? '', expected, tools: rec.tools ?? opts.tools, environment: opts.environment, prefix: [...prefix] }, config);
        steps++;
        total += r.total;
        for (const c of REWARD_COMPONENTS) sums[c] += r.components[c];
        prefix.push(...expected.map((g) => ({ name: g.name, arguments: g.arguments })));
      });
    }
    const mean = (v: number) => (steps ? v / steps : 0);
    return {
      name: config.name, steps, meanTotal: mean(total),
      meanComponents: Object.fromEntries(REWARD_COMPONENTS.map((c) => [c, mean(sums[c])])) as Record<RewardComponent, number>,
      weights: config.weights,
    };
  });
}
