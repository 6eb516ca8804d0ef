// The RL trainers' batch source: whenever its buffer is empty it runs a rollout phase (episodes of the current
// policy on the next prompts, their rewards, the method's per-token data: advantages, reference log-probs, values),
// then hands the loop the micro-batches of the optimisation epochs. It is the `next()` of the shared loop's
// asynchronous batch source; its state (prompt cursor, round, the rollout buffer) is saved with every checkpoint.
import { runEpisodes, type Episode, type EpisodeSpec } from '../agent/episode.ts';
import type { ToolEnvironment } from '../tools/environment.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import type { QwenModel } from '../model/qwen.ts';
import { Rng } from '../util/rng.ts';
import type { DataPosition } from './batching.ts';
import type { SourceItem } from './loop.ts';
import { rlBatch, type RlBatch, type RolloutEpisode } from './rl-batch.ts';
import { PromptStream, type PromptCursor, type RlPrompt } from './rl-prompts.ts';
import { episodeRewards, type EpisodeReward, type RlRewardContext } from './rl-reward.ts';

/** One row of the completions table: what the policy did on a prompt and what it earned. */
export interface CompletionRow {
  step: number;
  prompt: string;
  promptId: string;
  /** The episode: each turn's text, its calls with their results, and how the episode ended. */
  turns: Array<{ text: string; calls: Array<{ name: string; arguments: Record<string, unknown>; ok: boolean; result: string }> }>;
  end: Episode['end'];
  reward: number;
  components: Record<string, number>;
  advantage: number;
}

/** What a method adds to a rollout: per-token training data, its metrics, and the order of its micro-batches. */
export interface RolloutMethod {
  /** Episodes sampled per prompt. */
  group: number;
  /** Episodes per rollout (a multiple of `group`). */
  size: number;
  maxCompletionLength: number;
  /** Per-token data of every episode (advantages, and what the loss needs), plus metrics under TRL's names. */
  prepare(episodes: Episode[], rewards: EpisodeReward[]): Promise<{ rollout: RolloutEpisode[]; metrics: Record<string, number>; advantageOf(i: number): number }>;
  /** Micro-batches of the optimisation phase in order: episode indices each. */
  plan(n: number, rng: Rng): number[][];
  /** Loss weights of micro-batch `k` of `plan` (its tokens' normalisation). */
  weights(rollout: RolloutEpisode[], plan: number[][], k: number): (episode: number, token: number) => number;
}

export interface RolloutOptions {
  model: QwenModel;
  tokenizer: ChatTokenizer;
  prompts: RlPrompt[];
  tools: ToolDefinition[];
  renderTools?: ToolDefinition[];
  environment?: ToolEnvironment;
  reward: RlRewardContext;
  seed: number;
  temperature: number;
  topK: number;
  topP: number;
  maxTurns: number;
  maxToolTurnTokens: number;
  /** The optimizer step the next micro-batch belongs to (for the completions rows). */
  stepOf: () => number;
  onCompletions?: (rows: CompletionRow[]) => void | Promise<void>;
  /** Says when a rollout's sampling starts and when its optimisation does (RlHooks.onPhase). */
  onPhase?: (phase: string) => void;
}

/** What a checkpoint keeps of the source: enough to hand out exactly the same micro-batches after a resume. */
export interface RolloutState {
  cursor: PromptCursor;
  round: number;
  buffer: { rollout: RolloutEpisode[]; plan: number[][]; next: number } | null;
}

export class RolloutSource implements AsyncIterator<SourceItem<RlBatch>> {
  private stream: PromptStream;
  private round = 0;
  private buffer: RolloutState['buffer'] = null;
  private lastRolloutEnd: number | null = null;
  private pendingMetrics: Record<string, number> | null = null;

  constructor(private readonly o: RolloutOptions, private readonly method: RolloutMethod) {
    this.stream = new PromptStream(o.prompts.length, o.seed);
  }

  getState(): RolloutState {
    return { cursor: { ...this.stream.cursor }, round: this.round, buffer: this.buffer && { ...this.buffer } };
  }

  setState(s: RolloutState): void {
    this.stream.cursor = { ...s.cursor };
    this.round = s.round;
    this.buffer = s.buffer && { ...s.buffer };
  }

  async next(): Promise<IteratorResult<SourceItem<RlBatch>>> {
    if (!this.buffer || this.buffer.next >= this.buffer.plan.length) await this.rollout();
    const buf = this.buffer!;
    const k = buf.next++;
    const batch = rlBatch(buf.rollout, buf.plan[k], this.o.tokenizer.padId, this.method.weights(buf.rollout, buf.plan, k));
    const position: DataPosition = { epoch: this.stream.cursor.epoch, batch: this.round };
    const metrics = this.pendingMetrics ?? undefined;
    this.pendingMetrics = null;
    return { done: false, value: { batch, position, next: position, metrics } };
  }

  /** Episodes on the next prompts, their rewards, the method's data; then the micro-batch plan. */
  private async rollout(): Promise<void> {
    const { o, method } = this;
    const t0 = performance.now();
    const optimisationSeconds = this.lastRolloutEnd === null ? null : (t0 - this.lastRolloutEnd) / 1000;
    const picked = this.stream.take(method.size / method.group);
    const prompts = picked.flatMap((p) => Array.from({ length: method.group }, () => o.prompts[p]));
    o.onPhase?.(`rollout ${this.round + 1}: sampling ${prompts.length} episodes`);
    const specs: EpisodeSpec[] = prompts.map((p) => ({ prompt: p.prompt, tools: o.tools, renderTools: o.renderTools, world: o.environment?.create() }));
    const wasTraining = o.model.training;
    const episodes = await runEpisodes(o.model, o.tokenizer, specs, {
      temperature: o.temperature, topK: o.topK, topP: o.topP, seed: (o.seed ^ Math.imul(this.round + 1, 0x27d4eb2f)) >>> 0,
      maxTurns: o.maxTurns, maxCompletionLength: method.maxCompletionLength, maxToolTurnTokens: o.maxToolTurnTokens,
    });
    o.model.training = wasTraining;
    const t1 = performance.now();
    const rewards = await episodeRewards(episodes, prompts, o.reward);
    const { rollout, metrics, advantageOf } = await method.prepare(episodes, rewards);
    const t2 = performance.now();
    const rng = new Rng((o.seed ^ Math.imul(this.round + 1, 0x165667b1)) >>> 0);
    this.buffer = { rollout, plan: method.plan(rollout.length, rng), next: 0 };
    const sampled = episodes.reduce((s, e) => s + e.policyMask.reduce((a, b) => a + b, 0), 0);
    this.pendingMetrics = {
      ...rolloutMetrics(episodes, rewards),
      ...metrics,
      'timing/rollout_s': (t1 - t0) / 1000,
      'timing/reward_s': (t2 - t1) / 1000,
      ...(optimisationSeconds !== null ? { 'timing/optimization_s': optimisationSeconds } : {}),
      'rollout/tokens_per_second': sampled / Math.max((t1 - t0) / 1000, 1e-9),
    };
    this.round++;
    this.lastRolloutEnd = performance.now();
    o.onPhase?.(`rollout ${this.round}: optimising`);
    await o.onCompletions?.(episodes.map((ep, i) => completionRow(o.stepOf(), prompts[i], ep, rewards[i], advantageOf(i))));
  }
}

function completionRow(step: number, p: RlPrompt, ep: Episode, r: EpisodeReward, advantage: number): CompletionRow {
  const user = [...p.prompt.turns].reverse().find((t) => t.role === 'user');
  return {
    step, promptId: p.id, prompt: user && user.role === 'user' ? user.content : '',
    turns: ep.turns.map((t) => ({
      text: t.text,
      calls: t.calls.map((c) => ({ name: c.call.name, arguments: c.call.arguments, ok: c.result.ok, result: c.result.ok ? JSON.stringify(c.result.result) : `${c.result.error.type}: ${c.result.error.message}` })),
    })),
    end: ep.end, reward: r.total, components: { ...r.components, ...r.ruleParts }, advantage,
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
function std(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Completion lengths, turns, tool calls and reward components, under TRL's names where TRL has them. */
export function rolloutMetrics(episodes: Episode[], rewards: EpisodeReward[]): Record<string, number> {
  const lengths = episodes.map((e) => e.policyMask.reduce((a, b) => a + b, 0));
  const truncated = episodes.map((e) => e.end === 'truncated');
  const terminated = lengths.filter((_, i) => !truncated[i]);
  const calls = episodes.flatMap((e) => e.turns.flatMap((t) => t.calls));
  const out: Record<string, number> = {
    'completions/mean_length': mean(lengths),
    'completions/min_length': Math.min(...lengths),
    'completions/max_length': Math.max(...lengths),
    'completions/clipped_ratio': truncated.filter(Boolean).length / episodes.length,
    'completions/mean_terminated_length': terminated.length ? mean(terminated) : 0,
    'turns/mean': mean(episodes.map((e) => e.turns.length)),
    'tools/call_frequency': calls.length / episodes.length,
    'tools/failure_frequency': calls.length ? calls.filter((c) => !c.result.ok).length / calls.length : 0,
    'episodes/unparseable_ratio': episodes.filter((e) => e.end === 'unparseable').length / episodes.length,
  };
  const names = new Set(rewards.flatMap((r) => [...Object.keys(r.components), ...Object.keys(r.ruleParts)]));
  for (const name of names) {
    const vals = rewards.map((r) => (r.components as Record<string, number>)[name] ?? (r.ruleParts as Record<string, number>)[name]).filter((v) => Number.isFinite(v));
    if (!vals.length) continue;
    out[`rewards/${name}/mean`] = mean(vals);
    out[`rewards/${name}/std`] = std(vals);
  }
  return out;
}
