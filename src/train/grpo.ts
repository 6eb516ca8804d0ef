// GRPO (Shao et al. 2024, as TRL's GRPOTrainer runs it): num_generations episodes per prompt, advantages relative
// to the group, the clipped ratio objective with an optional k3 KL term to the reference, over num_iterations
// passes of each rollout. A config table + this step, on the shared loop (src/train/rl-run.ts).
import type { Episode } from '../agent/episode.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { Rng } from '../util/rng.ts';
import { groupAdvantages } from './advantages.ts';
import { grpoStepsPerGeneration, type GrpoConfig } from './grpo-config.ts';
import { grpoLoss, referenceLogprobs, type GrpoLossConfig } from './policy-loss.ts';
import { perEpisodeTokens, policyPositions, type RolloutEpisode } from './rl-batch.ts';
import type { EpisodeReward } from './rl-reward.ts';
import { runRl, type RlOutcome, type RlRunInputs } from './rl-run.ts';
import type { RolloutMethod } from './rollout.ts';

/**
 * Loss weights of micro-batch k (episodes `plan[k]`), per TRL's loss types, with m = 1 on tokens that count (0 for
 * truncated episodes under mask_truncated_completions):
 *   grpo     Σ_seq (Σ_t l·m / Σ_t m) / B            (mean over sequences of their token mean)
 *   bnpo     Σ l·m / Σ m over the micro-batch
 *   dr_grpo  Σ l·m / (B · max_completion_length · max_turns)
 *   dapo     Σ l·m / Σ m over the optimizer step's micro-batches; times gradient_accumulation_steps, because the loop
 *            divides every micro-batch's loss by it (TRL divides by the step's token count directly)
 */
export function grpoTokenWeights(c: Pick<GrpoConfig, 'loss_type' | 'mask_truncated_completions' | 'max_completion_length' | 'max_turns' | 'gradient_accumulation_steps'>, rollout: readonly RolloutEpisode[], plan: readonly number[][], k: number): (episode: number, token: number) => number {
  const counts = (e: number) => (c.mask_truncated_completions && rollout[e].truncated ? 0 : rollout[e].positions.length);
  const on = (e: number) => (c.mask_truncated_completions && rollout[e].truncated ? 0 : 1);
  const mb = plan[k];
  switch (c.loss_type) {
    case 'grpo':
      return (e) => (on(e) && counts(e) ? 1 / counts(e) / mb.length : 0);
    case 'bnpo': {
      const n = mb.reduce((s, e) => s + counts(e), 0);
      return (e) => (on(e) && n ? 1 / n : 0);
    }
    case 'dr_grpo':
      return (e) => on(e) / (mb.length * c.max_completion_length * c.max_turns);
    default: {
      const gas = c.gradient_accumulation_steps;
      const first = Math.floor(k / gas) * gas;
      let n = 0;
      for (let j = first; j < Math.min(first + gas, plan.length); j++) for (const e of plan[j]) n += counts(e);
      return (e) => (on(e) && n ? gas / n : 0);
    }
  }
}

/** The rollout's per-token data: the sampled log-probs as the old policy, the group advantage on every token. */
export function grpoMethod(model: QwenModel, c: GrpoConfig): RolloutMethod {
  const spg = grpoStepsPerGeneration(c);
  const size = c.per_device_train_batch_size * spg;
  return {
    group: c.num_generations,
    size,
    maxCompletionLength: c.max_completion_length,
    async prepare(episodes: Episode[], rewards: EpisodeReward[]) {
      const totals = rewards.map((r) => r.total);
      const adv = groupAdvantages(totals, c.num_generations, c.scale_rewards);
      const rollout: RolloutEpisode[] = episodes.map((ep, i) => {
        const positions = policyPositions(ep.policyMask);
        return {
          tokens: ep.tokens, positions, oldLogp: Float32Array.from(positions, (t) => ep.logprobs[t]),
          advantages: new Float32Array(positions.length).fill(adv.advantages[i]), truncated: ep.end === 'truncated',
        };
      });
      if (c.beta !== 0) await attachReference(model, rollout, c.per_device_train_batch_size, c.temperature);
      const mean = totals.reduce((a, b) => a + b, 0) / totals.length;
      return {
        rollout,
        advantageOf: (i: number) => adv.advantages[i],
        metrics: { reward: mean, reward_std: adv.std.reduce((a, b) => a + b, 0) / adv.std.length, frac_reward_zero_std: adv.zeroStd.filter(Boolean).length / adv.zeroStd.length },
      };
    },
    plan(n: number, rng: Rng) {
      const out: number[][] = [];
      for (let it = 0; it < c.num_iterations; it++) {
        const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
        for (let b = 0; b < n; b += c.per_device_train_batch_size) out.push(order.slice(b, b + c.per_device_train_batch_size));
      }
      return out;
    },
    weights: (rollout, plan, k) => grpoTokenWeights(c, rollout, plan, k),
  };
}

/** Reference-policy log-probs (the adapter switched off) of every policy token, a micro-batch at a time. */
export async function attachReference(model: QwenModel, rollout: RolloutEpisode[], batchSize: number, temperature: number): Promise<void> {
  const ref = await perEpisodeTokens(rollout, batchSize, (batch) => referenceLogprobs(model, batch, temperature));
  rollout.forEach((r, i) => (r.refLogp = ref[i]));
}

export function runGrpo(inp: RlRunInputs<GrpoConfig>): Promise<RlOutcome> {
  const c = inp.config;
  const lossConfig: GrpoLossConfig = { epsilonLow: c.epsilon, epsilonHigh: c.epsilon_high > 0 ? c.epsilon_high : c.epsilon, beta: c.beta, temperature: c.temperature };
  const spg = grpoStepsPerGeneration(c);
  return runRl(inp, () => ({
    method: grpoMethod(inp.model, c),
    stepsPerRollout: (spg * c.num_iterations) / c.gradient_accumulation_steps,
    loss: (batch) => grpoLoss(inp.model, batch, lossConfig),
  }));
}
