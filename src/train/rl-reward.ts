// The RL reward of an episode, per turn and in total, from named components set in the config:
//   rule          src/eval/reward.ts (a preset such as the pipeline's "intent + tool name + parameters + call
//                 success", or a reward YAML) for each assistant turn against the reference turn at the same
//                 place, the earlier turns' calls executed first; the episode's rule reward is the mean over turns
//   chain         1 when the whole chain is right, as the evaluation's chain-level success says (every step's calls
//                 right and the world ends in the reference chain's state), else 0
//   reward_model  a trained reward model's score of (prompt, the episode's turns)
//   code          rewards written as functions (tests, user code), each a named component with its weight
// total = Σ weight · component. A component that cannot be judged (no reference continuation) is NaN and left
// out of the sum, as TRL's nansum does with reward functions that return None.
import type { Episode } from '../agent/episode.ts';
import type { Conversation, Turn } from '../data/conversation.ts';
import { scoreRecords } from '../eval/metrics.ts';
import { computeReward, parseRewardConfig, REWARD_COMPONENTS, REWARD_PRESETS, type RewardComponent, type RewardConfig } from '../eval/reward.ts';
import type { ToolEnvironment } from '../tools/environment.ts';
import type { ToolCall, ToolDefinition } from '../tools/types.ts';
import { referenceSteps, type RlPrompt } from './rl-prompts.ts';

export const RL_REWARD_COMPONENTS = ['rule', 'chain', 'reward_model'] as const;
export type RlRewardComponent = (typeof RL_REWARD_COMPONENTS)[number];

export interface RlRewardWeights {
  rule: number;
  chain: number;
  reward_model: number;
}

/** Scores (prompt, response) pairs with a trained reward model (src/train/rm-score.ts). */
export type RewardModelScorer = (items: Array<{ prompt: Conversation; response: Turn[] }>) => Promise<Float32Array>;

/** A reward written in code (TRL's reward functions): its score is a component named `name`, weighted by `weight`. */
export interface CodeReward {
  name: string;
  weight: number;
  score(episode: Episode, prompt: RlPrompt): number;
}

export interface RlRewardContext {
  tools: readonly ToolDefinition[];
  environment?: ToolEnvironment;
  /** The rule reward's components and weights (null: no rule component). */
  rule: RewardConfig | null;
  weights: RlRewardWeights;
  rewardModel?: RewardModelScorer;
  /** Rewards written in code, added to the configured ones. */
  code?: CodeReward[];
}

export interface EpisodeReward {
  total: number;
  /** rule, chain, reward_model (NaN where not judged), and any code rewards by name. */
  components: Record<RlRewardComponent, number> & Record<string, number>;
  /** The rule reward of each assistant turn (what PPO credits at each turn's last token). */
  turnRules: number[];
  /** The rule reward's own components, averaged over turns (intent, tool_name, params, execution, ...). */
  ruleParts: Partial<Record<RewardComponent, number>>;
}

/** `rule:` in a config: a preset name, 'none', or the text of a reward YAML (the CLI and the worker read files). */
export function ruleRewardConfig(rule: string, readFile: (path: string) => string): RewardConfig | null {
  if (rule === 'none' || rule === '') return null;
  if (rule in REWARD_PRESETS) return REWARD_PRESETS[rule as keyof typeof REWARD_PRESETS];
  let text: string;
  try {
    text = readFile(rule);
  } catch (e) {
    // Node's ENOENT alone names neither the field nor what else the field accepts.
    throw new Error(`reward.rule "${rule}" is not a preset (${['none', ...Object.keys(REWARD_PRESETS)].join(', ')}) and its file could not be read: ${(e as Error).message}`);
  }
  return parseRewardConfig(text, rule);
}

/** The episode's assistant turns as they would be given to a reward model: everything after the prompt. */
export function episodeResponse(prompt: Conversation, ep: Episode): Turn[] {
  return ep.conversation.turns.slice(prompt.turns.length);
}

export async function episodeRewards(episodes: readonly Episode[], prompts: readonly RlPrompt[], ctx: RlRewardContext): Promise<EpisodeReward[]> {
  if (episodes.length !== prompts.length) throw new Error(`rewards: ${episodes.length} episodes for ${prompts.length} prompts`);
  const { weights } = ctx;
  const rm = weights.reward_model !== 0 && ctx.rewardModel
    ? await ctx.rewardModel(episodes.map((ep, i) => ({ prompt: prompts[i].prompt, response: episodeResponse(prompts[i].prompt, ep) })))
    : null;
  if (weights.reward_model !== 0 && !ctx.rewardModel) throw new Error('rewards: reward_model has a weight but no reward model is loaded (set reward_model)');
  return episodes.map((ep, i) => {
    const steps = referenceSteps(prompts[i].reference);
    const judged = steps.length > 0;
    const turnRules: number[] = [];
    const parts: Partial<Record<RewardComponent, number>> = {};
    let rule = Number.NaN;
    if (judged && ctx.rule) {
      const n = Math.max(steps.length, ep.turns.length);
      const prefix: ToolCall[] = [];
      let sum = 0;
      for (let k = 0; k < n; k++) {
        const turn = ep.turns[k];
        const r = computeReward({ output: turn ? turn.parsed : '', expected: steps[k] ?? [], tools: ctx.tools, environment: ctx.environment, prefix: [...prefix] }, ctx.rule);
        turnRules.push(r.total);
        sum += r.total;
        for (const c of REWARD_COMPONENTS) if (c in r.weights) parts[c] = (parts[c] ?? 0) + r.components[c] / n;
        if (turn) prefix.push(...turn.calls.map((c) => c.call));
      }
      rule = sum / n;
    }
    let chain = Number.NaN;
    if (judged && weights.chain !== 0) {
      const report = scoreRecords([{ id: prompts[i].id, expected: steps, predicted: ep.turns.map((t) => t.text) }], { tools: ctx.tools, environment: ctx.environment });
      chain = report.records[0].chainSuccess ? 1 : 0;
    }
    const components: EpisodeReward['components'] = { rule, chain, reward_model: rm ? rm[i] : Number.NaN };
    let total = 0;
    for (const c of RL_REWARD_COMPONENTS) if (weights[c] !== 0 && Number.isFinite(components[c])) total += weights[c] * components[c];
    for (const code of ctx.code ?? []) {
      const v = code.score(ep, prompts[i]);
      components[code.name] = v;
      if (Number.isFinite(v)) total += code.weight * v;
    }
    return { total, components, turnRules, ruleParts: parts };
  });
}
