// Evaluation by free-running episodes: each held-out conversation's prompt goes to the episode runner, the model's
// own calls run on a fresh world and their results come back to it, and its turns are scored by src/eval against
// the reference turns (tool-level accuracy, chain-level success with the final world state, format validity, ...).
// Greedy by default. The RL trainers evaluate this way; evaluateByGeneration (teacher-forced) is the other mode.
import { runEpisodes, type Episode, type EpisodeOptions } from '../agent/episode.ts';
import type { DatasetExample } from '../data/conversation.ts';
import { scoreRecords, type EvalReport } from '../eval/metrics.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { ToolEnvironment } from '../tools/environment.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { referenceSteps, rlPrompts, type RlPrompt } from './rl-prompts.ts';

export interface EpisodeEvalOptions {
  tools: ToolDefinition[];
  /** Tools listed in the prompts ([] for models trained with prompt_tools: none; default: `tools`). */
  renderTools?: ToolDefinition[];
  environment?: ToolEnvironment;
  /** Episodes run together. */
  batchSize?: number;
  /** Sampled tokens per turn. */
  maxCompletionLength?: number;
  /** Turns beyond the reference's own count (default 0: as many turns as the reference has). */
  extraTurns?: number;
  maxToolTurnTokens?: number;
  temperature?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Replaces the model's sampler (tests: scripted policies). */
  sampler?: EpisodeOptions['sampler'];
}

export interface EpisodeEval {
  report: EvalReport;
  prompts: RlPrompt[];
  episodes: Episode[];
  tokensPerSecond: number;
}

export async function evaluateEpisodes(model: QwenModel, tok: ChatTokenizer, examples: readonly DatasetExample[], o: EpisodeEvalOptions): Promise<EpisodeEval> {
  const prompts = rlPrompts(examples).filter((p) => p.reference.length > 0);
  const batchSize = o.batchSize ?? 16;
  const turnsOf = (p: RlPrompt) => referenceSteps(p.reference).length + (o.extraTurns ?? 0);
  // Batches of equal turn budgets, so a batch's cache is sized for what its episodes may use.
  const order = prompts.map((_, i) => i).sort((a, b) => turnsOf(prompts[a]) - turnsOf(prompts[b]) || a - b);
  const episodes: Episode[] = new Array(prompts.length);
  let sampled = 0;
  let seconds = 0;
  for (let i = 0; i < order.length; i += batchSize) {
    if (o.signal?.aborted) throw new Error('evaluation aborted');
    const idx = order.slice(i, i + batchSize);
    const t0 = performance.now();
    const eps = await runEpisodes(model, tok, idx.map((k) => ({ prompt: prompts[k].prompt, tools: o.tools, renderTools: o.renderTools, world: o.environment?.create() })), {
      // Each batch its own noise (a batch's row b would otherwise draw what row b of every other batch draws).
      temperature: o.temperature ?? 0, topK: 0, topP: 1, seed: (Math.imul(o.seed ?? 0, 0x9e3779b1) + i) >>> 0,
      maxTurns: Math.max(...idx.map((k) => turnsOf(prompts[k]))), maxCompletionLength: o.maxCompletionLength ?? 96,
      maxToolTurnTokens: o.maxToolTurnTokens, signal: o.signal, sampler: o.sampler,
    });
    seconds += (performance.now() - t0) / 1000;
    idx.forEach((k, j) => {
      episodes[k] = eps[j];
      sampled += eps[j].policyMask.reduce((a, b) => a + b, 0);
    });
    o.onProgress?.(Math.min(i + batchSize, order.length), order.length);
  }
  const report = scoreRecords(
    prompts.map((p, k) => ({ id: p.id, expected: referenceSteps(p.reference), predicted: episodes[k].turns.map((t) => t.text) })),
    { tools: o.tools, environment: o.environment },
  );
  return { report, prompts, episodes, tokensPerSecond: sampled / Math.max(seconds, 1e-9) };
}
