// What an export starts from: one run (or a config plus datasets) in memory, whatever produced it (the studio's
// IndexedDB, a CLI output_dir, a YAML config). DOM-free, so the CLI and the worker build the same folders.
import type { Conversation, DatasetExample, Turn } from '../data/conversation.ts';
import type { GoldCall } from '../eval/match.ts';
import type { RewardConfig } from '../eval/reward.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { referenceSteps, rlPrompts as trainerPrompts } from '../train/rl-prompts.ts';

export const EXPORT_METHODS = ['sft', 'rm', 'grpo', 'ppo'] as const;
export type ExportMethod = (typeof EXPORT_METHODS)[number];
export const EXPORT_TARGETS = ['trl', 'verl'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

/** Everything a studio run can be exported as: a cluster project (TRL, verl) or the model for transformers.js. */
export const RUN_EXPORT_TARGETS = ['trl', 'verl', 'onnx'] as const;
export type RunExportTarget = (typeof RUN_EXPORT_TARGETS)[number];

/**
 * Whether a run of `method` (its RunRecord.method, whatever the Train page ran) exports to `target`: null when it
 * does, else why not. Driven by the method's name, so a method added to the studio is offered what its name
 * supports: TRL and verl need an entry in methods.ts (EXPORT_METHODS); ONNX writes a causal LM, so every method
 * whose checkpoint is a policy (all but the reward model, whose output is a score) exports to it.
 */
export function exportUnsupported(method: string, target: RunExportTarget): string | null {
  if (target === 'onnx') {
    return method === 'rm' ? 'a reward model scores text, it does not generate it: ONNX export writes a causal LM for transformers.js text generation; export a policy run (SFT, GRPO, PPO)' : null;
  }
  if ((EXPORT_METHODS as readonly string[]).includes(method)) return null;
  return `method "${method}" has no ${target === 'trl' ? 'TRL' : 'verl'} mapping yet (src/export/methods.ts covers ${EXPORT_METHODS.join(', ')})`;
}

export interface ExportRun {
  method: ExportMethod;
  /** The method's resolved config: SftConfig for sft; the RM / GRPO / PPO tables' values for the others. */
  config: Record<string, unknown>;
  train: DatasetExample[];
  eval: DatasetExample[];
  tools: ToolDefinition[];
  /** The chat template the run renders with (the model's own, or the compact one). */
  chatTemplate: string;
  /** The base model as a hub id or a path ('builtin:tiny' travels as model/). */
  baseModel: string;
  /** Files of a base model that has no hub id (the built-in tiny model), carried as model/. */
  modelFiles?: Record<string, Uint8Array>;
  /** The run's trained weights (PEFT adapter files), carried as adapter/ so training can continue from them. */
  adapter?: Record<string, Uint8Array>;
  /**
   * The start policy's LoRA adapter when the run started from one (a LoRA SFT run, an imported adapter): its PEFT
   * files, carried as adapter/start-adapter_*. The run's adapter was trained on the base with it merged, so it is
   * merged first (merge_adapter.py), and training on a cluster starts from that merge.
   */
  startAdapter?: { files: Record<string, Uint8Array>; label: string };
  /** The rule reward when an RL config's reward.rule names a reward YAML file (read by whoever read the config). */
  ruleFile?: RewardConfig;
}

/** Folder contents: relative path -> text or bytes. */
export type ExportFiles = Record<string, string | Uint8Array>;

export class ExportError extends Error {
  override name = 'ExportError';
}

/** A chat message with text content only: the same columns in every row, whatever the turn held. */
export interface PlainMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
}

/** An assistant turn as Qwen's templates write it: text, then one <tool_call> block per call. */
export function assistantText(turn: Extract<Turn, { role: 'assistant' }>): string {
  const calls = turn.calls.map((c) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: c.arguments })}\n</tool_call>`);
  return [turn.content ?? turn.unparsed ?? '', ...calls].filter((s) => s !== '').join('\n');
}

/** One RL prompt: the conversation up to the first assistant turn, and the gold calls of each reference turn. */
export interface RlPrompt {
  messages: PlainMessage[];
  /** Gold calls of each reference assistant turn, in order ([] for an answer); empty when no reference is known. */
  steps: GoldCall[][];
  /** `line-N`, as the studio's RL prompts and completions.jsonl call it. */
  id: string;
  /** 1-based line of the example in its file. */
  line: number;
}

function plain(conv: Conversation): PlainMessage[] {
  const out: PlainMessage[] = conv.system !== undefined ? [{ role: 'system', content: conv.system }] : [];
  for (const t of conv.turns) {
    if (t.role === 'user') out.push({ role: 'user', content: t.content });
    else if (t.role === 'tool') for (const r of t.results) out.push({ role: 'tool', content: r.content });
    else out.push({ role: 'assistant', content: assistantText(t) });
  }
  return out;
}

/**
 * The prompts the studio's GRPO / PPO draw from these examples (src/train/rl-prompts.ts: ppo rows, sft and
 * conversational rows split at their first assistant turn, the rest being the reference), plus each preference
 * pair's prompt with its chosen side as the reference (so an RM run's data exports too).
 */
export function rlPrompts(examples: readonly DatasetExample[]): RlPrompt[] {
  const out: RlPrompt[] = trainerPrompts(examples).map((p) => ({ messages: plain(p.prompt), steps: referenceSteps(p.reference), id: p.id, line: Number(p.id.slice(5)) }));
  for (const ex of examples) {
    if (ex.kind === 'rm') out.push({ messages: plain(ex.prompt), steps: referenceSteps(ex.chosen), id: `line-${ex.line}`, line: ex.line });
  }
  return out;
}

/** The ground truth a reward function reads (a JSON string, so every row has the same column type). */
export function groundTruth(p: RlPrompt): string {
  return JSON.stringify({ steps: p.steps });
}
