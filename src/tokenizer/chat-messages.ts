// OpenAI-style chat messages (what chat templates and apply_chat_template take) and the conversion from
// the project's canonical Conversation (src/data/conversation.ts).

import type { Conversation, Turn } from '../data/conversation.ts';
import type { ToolDefinition } from '../tools/types.ts';

export interface ChatToolCall {
  type: 'function';
  function: { name: string; arguments: Record<string, unknown> | string };
}

export type ChatMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string; tool_calls?: ChatToolCall[] }
  | { role: 'tool'; content: string; name?: string; tool_call_id?: string };

/** One message per turn; a tool turn becomes one `tool` message per result (as TRL and the templates expect). */
export function conversationToMessages(conv: Conversation, extraTurns: Turn[] = []): { messages: ChatMessage[]; tools: ToolDefinition[] | undefined } {
  const messages: ChatMessage[] = [];
  if (conv.system !== undefined) messages.push({ role: 'system', content: conv.system });
  for (const turn of [...conv.turns, ...extraTurns]) messages.push(...turnToMessages(turn));
  return { messages, tools: conv.tools };
}

export function turnToMessages(turn: Turn): ChatMessage[] {
  if (turn.role === 'user') return [{ role: 'user', content: turn.content }];
  if (turn.role === 'tool') {
    return turn.results.map((r) => ({ role: 'tool' as const, content: r.content, ...(r.name ? { name: r.name } : {}), ...(r.callId ? { tool_call_id: r.callId } : {}) }));
  }
  // A rejected preference side may hold undecodable call text: it is the assistant's output, kept verbatim.
  const content = [turn.content ?? '', turn.unparsed ?? ''].filter((s) => s !== '').join('\n');
  const msg: ChatMessage = { role: 'assistant', content };
  if (turn.calls.length > 0) msg.tool_calls = turn.calls.map((c) => ({ type: 'function', function: { name: c.name, arguments: c.arguments } }));
  return [msg];
}
