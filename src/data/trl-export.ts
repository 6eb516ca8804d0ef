// Exports canonical examples to TRL's conversational JSONL: `messages` (+ `tools`) for sft and chains,
// `prompt` / `chosen` / `rejected` message lists for preference pairs, `prompt` (+ the pipeline's
// `response`) for rollout prompts. Reading an export back gives the same examples.

import type { ToolDefinition } from '../tools/types.ts';
import type { Conversation, DatasetExample, Turn } from './conversation.ts';

export interface TrlMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  tool_calls?: { type: 'function'; function: { name: string; arguments: Record<string, unknown> } }[];
  name?: string;
  tool_call_id?: string;
}

export type TrlRecord =
  | { messages: TrlMessage[]; tools?: ToolDefinition[] }
  | { prompt: TrlMessage[]; chosen: TrlMessage[]; rejected: TrlMessage[]; tools?: ToolDefinition[]; margin?: number; rejection_kind?: string }
  | { prompt: TrlMessage[]; response?: TrlMessage[]; tools?: ToolDefinition[] };

export function toTrlMessages(turns: readonly Turn[]): TrlMessage[] {
  const out: TrlMessage[] = [];
  for (const turn of turns) {
    if (turn.role === 'user') {
      out.push({ role: 'user', content: turn.content });
    } else if (turn.role === 'tool') {
      for (const r of turn.results) {
        out.push({ role: 'tool', content: r.content, ...(r.name ? { name: r.name } : {}), ...(r.callId ? { tool_call_id: r.callId } : {}) });
      }
    } else {
      const m: TrlMessage = { role: 'assistant', content: turn.content ?? turn.unparsed ?? '' };
      if (turn.calls.length > 0) m.tool_calls = turn.calls.map((c) => ({ type: 'function', function: { name: c.name, arguments: c.arguments } }));
      out.push(m);
    }
  }
  return out;
}

function conversationMessages(conv: Conversation): TrlMessage[] {
  const head: TrlMessage[] = conv.system !== undefined ? [{ role: 'system', content: conv.system }] : [];
  return [...head, ...toTrlMessages(conv.turns)];
}

export function toTrlRecord(example: DatasetExample): TrlRecord {
  switch (example.kind) {
    case 'sft':
    case 'conversational': {
      const { tools } = example.conversation;
      return { messages: conversationMessages(example.conversation), ...(tools ? { tools } : {}) };
    }
    case 'rm': {
      const { tools } = example.prompt;
      return {
        prompt: conversationMessages(example.prompt),
        chosen: toTrlMessages(example.chosen),
        rejected: toTrlMessages(example.rejected),
        ...(tools ? { tools } : {}),
        ...(example.margin !== undefined ? { margin: example.margin } : {}),
        ...(example.rejectionKind ? { rejection_kind: example.rejectionKind } : {}),
      };
    }
    case 'ppo': {
      const { tools } = example.prompt;
      return {
        prompt: conversationMessages(example.prompt),
        ...(example.reference ? { response: toTrlMessages(example.reference) } : {}),
        ...(tools ? { tools } : {}),
      };
    }
  }
}

/** One JSON object per line, UTF-8 as is (no \u escapes for Chinese), trailing newline. */
export function toTrlJsonl(examples: readonly DatasetExample[]): string {
  return examples.map((e) => JSON.stringify(toTrlRecord(e)) + '\n').join('');
}
