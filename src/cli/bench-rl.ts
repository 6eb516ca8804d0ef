// What the RL phase benchmarks (bench:rollout, bench:optimize) share: their flags, the model and prompts they default
// to, episodes sampled with the settings RL trains with (configs/experiments/ppo_chains_mixed*.yaml), and the median
// of their reps.
import { existsSync } from 'node:fs';
import { runEpisodes, type Episode, type EpisodeSpec } from '../agent/episode.ts';
import { DecodeSession } from '../model/decode.ts';
import { LORA_TARGETS } from '../model/peft.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../tools/enterprise/tool-set.ts';
import { rlPrompts, type RlPrompt } from '../train/rl-prompts.ts';
import { BUILTIN_TINY, readDatasets } from './cli-inputs.ts';
import type { Flags } from './flags.ts';

export const RL_BENCH_FLAGS = { model: 'string', data: 'string', episodes: 'int', reps: 'int', 'lora-r': 'int' } as const;
export const RL_BENCH_USAGE = '[--model DIR] [--data FILE.jsonl] [--episodes 16] [--reps 3] [--lora-r 16]';
/** The rollout settings sampleRollout uses, for the benchmarks' headers. */
export const ROLLOUT_SETTINGS = 'max_turns 4, 80 tokens a turn, temperature 1';

export interface RlBenchInputs {
  /** The chain-trained SFT demo stage when it exists (RL's start in the PPO runs), else the built-in tiny model. */
  model: string;
  data: string;
  episodes: number;
  reps: number;
  /** LoRA on every projection, alpha 2r, as the RL configs train it. */
  lora: { r: number; alpha: number; dropout: number; target_modules: string[] };
  prompts: RlPrompt[];
}

export function rlBenchInputs(command: string, f: Flags<typeof RL_BENCH_FLAGS>): RlBenchInputs {
  const data = f.data ?? 'public/data/chains_data.jsonl';
  const episodes = f.episodes ?? 16;
  const r = f['lora-r'] ?? 16;
  const prompts = rlPrompts(readDatasets([data], [...ENTERPRISE_TOOLS], () => {})).slice(0, episodes);
  if (prompts.length < episodes) throw new Error(`${command}: ${data} has ${prompts.length} prompts, --episodes asks for ${episodes}`);
  return {
    model: f.model ?? (existsSync('out/sft-chains2/config.json') ? 'out/sft-chains2' : BUILTIN_TINY),
    data, episodes, reps: f.reps ?? 3, lora: { r, alpha: 2 * r, dropout: 0, target_modules: [...LORA_TARGETS] }, prompts,
  };
}

/** One episode spec per prompt, each on a fresh mock world, the tools unlisted in the prompt (prompt_tools: none). */
export function rolloutSpecs(prompts: RlPrompt[]): EpisodeSpec[] {
  const env = enterpriseEnvironment();
  const tools = [...ENTERPRISE_TOOLS];
  return prompts.map((p) => ({ prompt: p.prompt, tools, renderTools: [], world: env.create() }));
}

/** The episodes of an RL rollout phase (ROLLOUT_SETTINGS), seeded; `mergeMaxBytes` goes to the DecodeSession. */
export function sampleRollout(m: QwenModel, tokenizer: ChatTokenizer, specs: EpisodeSpec[], seed: number, session: { mergeMaxBytes?: number } = {}): Promise<Episode[]> {
  const sampling = { temperature: 1, topK: 0, topP: 1, seed };
  return runEpisodes(m, tokenizer, specs, {
    ...sampling, maxTurns: 4, maxCompletionLength: 80, maxToolTurnTokens: 1024,
    sampler: (rows, S) => new DecodeSession(m, rows, S, sampling, session),
  });
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
