// What an export starts from: one run (or a config plus datasets) in memory, whatever produced it (the studio's
// IndexedDB, a CLI output_dir, a YAML config). DOM-free, so the CLI and the worker build the same folders.
import type { DatasetExample, Turn } from '../data/conversation.ts';
import type { GoldCall } from '../eval/match.ts';
import type { ToolCall, ToolDefinition } from '../tools/types.ts';

export const EXPORT_METHODS = ['sft', 'rm', 'grpo', 'ppo'] as const;
export type ExportMethod = (typeof EXPORT_METHODS)[number];
export const EXPORT_TARGETS = ['trl', 'verl'] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

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

/** One RL prompt: the conversation up to an assistant step, the calls that step should make, and the calls before it. */
export interface RlPrompt {
  messages: PlainMessage[];
  expected: GoldCall[];
  prefix: ToolCall[];
  /** 1-based line of the example in its file. */
  line: number;
}

/** An assistant turn as Qwen's templates write it: text, then one <tool_call> block per call. */
export function assistantText(turn: Extract<Turn, { role: 'assistant' }>): string {
  const calls = turn.calls.map((c) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: c.arguments })}\n</tool_call>`);
  return [turn.content ?? turn.unparsed ?? '', ...calls].filter((s) => s !== '').join('\n');
}

function plain(turns: readonly Turn[]): PlainMessage[] {
  const out: PlainMessage[] = [];
  for (const t of turns) {
    if (t.role === 'user') out.push({ role: 'user', content: t.content });
    else if (t.role === 'tool') for (const r of t.results) out.push({ role: 'tool', content: r.content });
    else out.push({ role: 'assistant', content: assistantText(t) });
  }
  return out;
}

/**
 * RL prompts from any example: every assistant step of an SFT or conversational example (with the calls of the
 * steps before it as its prefix), the chosen side of a preference pair, a PPO prompt with its reference. A PPO
 * prompt without a reference has nothing for a rule reward to compare with and is left out (counted in `skipped`).
 */
export function rlPrompts(examples: readonly DatasetExample[]): { prompts: RlPrompt[]; skipped: number } {
  const prompts: RlPrompt[] = [];
  let skipped = 0;
  for (const ex of examples) {
    const conv = ex.kind === 'sft' || ex.kind === 'conversational' ? ex.conversation : ex.prompt;
    const head: PlainMessage[] = conv.system !== undefined ? [{ role: 'system', content: conv.system }] : [];
    const gold = (t: Turn[]) => t.flatMap((x) => (x.role === 'assistant' ? x.calls : [])).map((c) => ({ name: c.name, arguments: c.arguments }));
    if (ex.kind === 'rm' || ex.kind === 'ppo') {
      const reference = ex.kind === 'rm' ? ex.chosen : ex.reference;
      if (!reference) {
        skipped++;
        continue;
      }
      prompts.push({ messages: [...head, ...plain(conv.turns)], expected: gold(reference), prefix: [], line: ex.line });
      continue;
    }
    const prefix: ToolCall[] = [];
    conv.turns.forEach((t, i) => {
      if (t.role !== 'assistant') return;
      prompts.push({ messages: [...head, ...plain(conv.turns.slice(0, i))], expected: gold([t]), prefix: [...prefix], line: ex.line });
      prefix.push(...t.calls.map((c) => ({ name: c.name, arguments: c.arguments })));
    });
  }
  return { prompts, skipped };
}

/** The ground truth a reward function reads (a JSON string, so every row has the same column type). */
export function groundTruth(p: RlPrompt): string {
  return JSON.stringify({ expected: p.expected, prefix: p.prefix });
}
