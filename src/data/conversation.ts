// The canonical Conversation every dataset format normalises into, and the dataset example kinds built on it.

import type { ToolCall, ToolDefinition } from '../tools/types.ts';

export interface UserTurn {
  role: 'user';
  content: string;
}

/** What the assistant says in one turn: zero or more tool calls, or text, or both (text before calls). */
export interface AssistantTurn {
  role: 'assistant';
  calls: ToolCall[];
  content?: string;
  /**
   * Call text that could not be decoded, kept verbatim. Only rejected sides of preference pairs carry it:
   * a malformed call is a legitimate "bad" example for the reward model.
   */
  unparsed?: string;
}

/** One tool result; `name` says which call it answers (TRL `role: "tool"` messages carry it when known). */
export interface ToolResult {
  name?: string;
  callId?: string;
  content: string;
}

/** The results of the calls in the preceding assistant turn. */
export interface ToolTurn {
  role: 'tool';
  results: ToolResult[];
}

export type Turn = UserTurn | AssistantTurn | ToolTurn;

export interface Conversation {
  /** System prompt (the generated data states the current date here). */
  system?: string;
  /** Tools offered in this conversation; absent means "the active tool set". */
  tools?: ToolDefinition[];
  turns: Turn[];
}

export type DatasetKind = 'sft' | 'rm' | 'ppo' | 'conversational';
export const DATASET_KINDS: readonly DatasetKind[] = ['sft', 'rm', 'ppo', 'conversational'];

/** One valid example, with the 1-based line of the source file it came from. */
export type DatasetExample =
  /** Prompt plus the assistant turn(s) to learn. */
  | { kind: 'sft'; line: number; conversation: Conversation }
  /** A whole multi-step chain: calls, results, next calls, final answer. */
  | { kind: 'conversational'; line: number; conversation: Conversation }
  /**
   * A prompt and two continuations, the first preferred. `margin` (TRL's optional column) asks the reward model
   * for at least that much reward difference; `rejectionKind` says what is wrong with the rejected side (the sample
   * data's wrong-tool, wrong-value, missing-required, malformed, hallucinated-tool), for per-kind accuracy.
   */
  | { kind: 'rm'; line: number; prompt: Conversation; chosen: Turn[]; rejected: Turn[]; margin?: number; rejectionKind?: string }
  /** A prompt for rollouts, with an optional reference answer for rule rewards. */
  | { kind: 'ppo'; line: number; prompt: Conversation; reference?: Turn[] };

/** All tool calls an example asks the model to make (the ones that must match the tool set). */
export function expectedCalls(example: DatasetExample): ToolCall[] {
  const turns =
    example.kind === 'sft' || example.kind === 'conversational'
      ? example.conversation.turns
      : example.kind === 'rm'
        ? example.chosen
        : (example.reference ?? []);
  return turns.flatMap((t) => (t.role === 'assistant' ? t.calls : []));
}

/** The conversation the example starts from (for sft and conversational: everything). */
export function promptOf(example: DatasetExample): Conversation {
  return example.kind === 'rm' || example.kind === 'ppo' ? example.prompt : example.conversation;
}

/** Joined text of an example, for previews, length estimates and duplicate detection. */
export function exampleText(example: DatasetExample): string {
  const parts: string[] = [];
  const conv = promptOf(example);
  if (conv.system) parts.push(conv.system);
  const more = example.kind === 'rm' ? [...example.chosen, ...example.rejected] : example.kind === 'ppo' ? (example.reference ?? []) : [];
  for (const turn of [...conv.turns, ...more]) parts.push(turnText(turn));
  return parts.join('\n');
}

export function turnText(turn: Turn): string {
  if (turn.role === 'user') return turn.content;
  if (turn.role === 'tool') return turn.results.map((r) => r.content).join('\n');
  const calls = turn.calls.map((c) => JSON.stringify({ name: c.name, arguments: c.arguments }));
  return [turn.content ?? '', ...calls, turn.unparsed ?? ''].filter((s) => s !== '').join('\n');
}
