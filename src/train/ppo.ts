// PPO with a KL-penalised reward, GAE and clipped policy and value losses, as TRL's PPOTrainer runs it, for
// multi-turn tool episodes. A config table + this step, on the shared loop (src/train/rl-run.ts).
//
// The critic (config key `critic`): a scalar head (the `score` head a reward model also uses), trained by vf_coef ·
// value loss in the same backward as the policy loss, reading either the policy's hidden states with the value
// gradient stopped there (`head`: only the head learns), or its own LoRA adapter over the same frozen base (`adapter`:
// TRL's separate value model without a second copy of the base weights; one more forward and backward per
// micro-batch). Why not TRL's separate value model as such: a second model in the browser doubles GPU memory. Why not
// the shared trunk of TRL's older AutoModelForCausalLMWithValueHead: its value gradients, ~10x the policy's, dragged
// the policy off (docs/training.md).
//
// Rewards per token: -kl_coef · KL(π, π_ref) on every policy token; the rule reward of each assistant turn at that
// turn's last token (its share of the episode's mean); the chain and reward-model components, minus the
// missing-EOS penalty, at the episode's last token. With gamma = 1 the return from the first token is the episode's
// reward plus its KL penalty, as in TRL; the per-turn placement credits a good first call before a bad second one.
// Tool-result tokens between turns are the environment's transition: GAE runs over the policy tokens in order.
import type { Episode } from '../agent/episode.ts';
import type { Tensor } from '../engine/index.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { Rng } from '../util/rng.ts';
import { gae, klEstimate, maskedWhiten } from './advantages.ts';
import { ppoRolloutSize, type PpoConfig } from './ppo-config.ts';
import { ppoLoss, referenceLogprobs, rolloutValues, type PpoLossConfig } from './policy-loss.ts';
import { perEpisodeTokens, policyPositions, type RolloutEpisode } from './rl-batch.ts';
import type { EpisodeReward, RlRewardWeights } from './rl-reward.ts';
import { runRl, type RlOutcome, type RlRunInputs } from './rl-run.ts';
import type { RolloutMethod } from './rollout.ts';

/** Per-token rewards of one episode without the KL term: turn rule rewards at turn ends, the rest at the end. */
export function placeScores(ep: Episode, positions: Int32Array, r: EpisodeReward, w: RlRewardWeights, missingEosPenalty: number): Float64Array {
  const out = new Float64Array(positions.length);
  if (positions.length === 0) return out;
  const indexOf = new Map<number, number>();
  positions.forEach((t, k) => indexOf.set(t, k));
  const last = positions.length - 1;
  const n = r.turnRules.length;
  if (w.rule !== 0) r.turnRules.forEach((v, k) => {
    const turn = ep.turns[k];
    // A reference turn the episode never reached (reward of an empty answer) is credited at the end.
    const at = turn ? indexOf.get(turn.span[1] - 1) ?? last : last;
    out[at] += (w.rule * v) / n;
  });
  // Everything but the rule reward is an episode-level score: credited at the last token.
  out[last] += r.total - (Number.isFinite(r.components.rule) ? w.rule * r.components.rule : 0);
  if (ep.end === 'truncated') out[last] -= missingEosPenalty;
  return out;
}

export function ppoMethod(model: QwenModel, c: PpoConfig, weights: RlRewardWeights): RolloutMethod {
  const size = ppoRolloutSize(c);
  const mini = size / c.num_mini_batches;
  return {
    group: 1,
    size,
    maxCompletionLength: c.response_length,
    async prepare(episodes: Episode[], rewards: EpisodeReward[]) {
      const rollout: RolloutEpisode[] = episodes.map((ep) => {
        const positions = policyPositions(ep.policyMask);
        return { tokens: ep.tokens, positions, oldLogp: Float32Array.from(positions, (t) => ep.logprobs[t]), advantages: new Float32Array(positions.length), truncated: ep.end === 'truncated' };
      });
      // The critic's values and the reference's log-probs at rollout time, a micro-batch at a time.
      const oldValues = await perEpisodeTokens(rollout, c.per_device_train_batch_size, (batch) => rolloutValues(model, batch));
      const ref = c.kl_coef !== 0 ? await perEpisodeTokens(rollout, c.per_device_train_batch_size, (batch) => referenceLogprobs(model, batch, c.temperature)) : null;
      rollout.forEach((r, i) => {
        r.oldValues = oldValues[i];
        if (ref) r.refLogp = ref[i];
      });
      // Per-token rewards: the KL penalty everywhere, the scores where they belong.
      let klSum = 0, entSum = 0, nonScore = 0, scoreSum = 0;
      const perToken = rollout.map((r, i) => {
        const scores = placeScores(episodes[i], r.positions, rewards[i], weights, c.missing_eos_penalty);
        const rw = new Float64Array(r.positions.length);
        for (let k = 0; k < rw.length; k++) {
          const kl = r.refLogp ? klEstimate(r.oldLogp[k], r.refLogp[k], c.kl_estimator) : 0;
          klSum += kl;
          entSum -= r.oldLogp[k];
          nonScore -= c.kl_coef * kl;
          rw[k] = -c.kl_coef * kl + scores[k];
        }
        scoreSum += scores.reduce((a, b) => a + b, 0);
        return rw;
      });
      let flatRewards = perToken;
      if (c.whiten_rewards) {
        const all = Float64Array.from(perToken.flatMap((x) => Array.from(x)));
        const w = maskedWhiten(all, new Uint8Array(all.length).fill(1), false);
        let o = 0;
        flatRewards = perToken.map((x) => {
          const y = w.slice(o, o + x.length);
          o += x.length;
          return y;
        });
      }
      const advs: Float64Array[] = [];
      const rets: Float64Array[] = [];
      rollout.forEach((r, i) => {
        const { advantages, returns } = gae(flatRewards[i], r.oldValues!, c.gamma, c.lam);
        advs.push(advantages);
        rets.push(returns);
        r.returns = Float32Array.from(returns);
      });
      // Advantages are whitened over the whole rollout (TRL: masked_whiten(advantages, ~padding_mask)).
      const flat = Float64Array.from(advs.flatMap((a) => Array.from(a)));
      const white = maskedWhiten(flat, new Uint8Array(flat.length).fill(1));
      let o = 0;
      const episodeAdvantage: number[] = [];
      rollout.forEach((r) => {
        r.advantages = Float32Array.from(white.subarray(o, o + r.positions.length));
        episodeAdvantage.push(r.positions.length ? r.advantages[0] : 0);
        o += r.positions.length;
      });
      const n = rollout.length;
      const values = rollout.flatMap((r) => Array.from(r.oldValues!));
      const returns = rets.flatMap((x) => Array.from(x));
      return {
        rollout,
        advantageOf: (i: number) => episodeAdvantage[i],
        metrics: {
          'objective/kl': klSum / n, 'objective/entropy': entSum / n, 'objective/non_score_reward': nonScore / n,
          'objective/scores': scoreSum / n, 'objective/rlhf_reward': (scoreSum + nonScore) / n,
          'val/num_eos_tokens': episodes.filter((e) => e.end !== 'truncated').length,
          vf_explained_var: explainedVariance(values, returns),
          reward: rewards.reduce((s, r) => s + r.total, 0) / n,
        },
      };
    },
    plan(n: number, rng: Rng) {
      const out: number[][] = [];
      for (let epoch = 0; epoch < c.num_ppo_epochs; epoch++) {
        const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
        for (let m = 0; m < n; m += mini) {
          const minibatch = order.slice(m, m + mini);
          for (let b = 0; b < minibatch.length; b += c.per_device_train_batch_size) out.push(minibatch.slice(b, b + c.per_device_train_batch_size));
        }
      }
      return out;
    },
    weights: () => () => 1,
  };
}

/** 1 - Var(returns - values) / Var(returns): how much of the return the critic explains (1 = all, <= 0 = none). */
export function explainedVariance(values: readonly number[], returns: readonly number[]): number {
  const v = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length;
  };
  const varR = v([...returns]);
  return varR === 0 ? Number.NaN : 1 - v(returns.map((r, i) => r - values[i])) / varR;
}

/**
 * The critic's parameters (head, critic adapter) at critic_learning_rate / learning_rate of the policy's rate. Why a
 * rate of its own (verl: critic.optim.lr, OpenRLHF: critic_learning_rate, both ~10x the actor's by default): a fresh
 * critic must climb from 0 to the returns' scale, and Adam moves a weight by about the learning rate per step.
 */
export function criticLrScale(model: QwenModel, c: PpoConfig): Map<Tensor, number> {
  const out = new Map<Tensor, number>();
  if (c.critic_learning_rate === 0 || c.critic_learning_rate === c.learning_rate) return out;
  const ratio = c.critic_learning_rate / c.learning_rate;
  for (const p of model.criticParams()) out.set(p, ratio);
  return out;
}

export function runPpo(inp: RlRunInputs<PpoConfig>): Promise<RlOutcome> {
  const c = inp.config;
  const lossConfig: PpoLossConfig = { cliprange: c.cliprange, cliprangeValue: c.cliprange_value, vfCoef: c.vf_coef, temperature: c.temperature };
  if (!inp.model.scoreHead) throw new Error('PPO: the policy has no scalar head for the critic (load it with loadPolicy(..., { critic: true }))');
  return runRl(inp, (ctx) => ({
    method: ppoMethod(inp.model, c, ctx.weights),
    stepsPerRollout: c.num_ppo_epochs * c.num_mini_batches,
    loss: (batch) => ppoLoss(inp.model, batch, lossConfig),
    lrScale: criticLrScale(inp.model, c),
  }));
}
