// tokenizeConversation: one rendering through the chat template, one tokenization, and a loss mask that is 1
// exactly on the assistant turns (their text, tool calls and closing <|im_end|>), 0 on system, user and
// tool-result tokens and on the role headers. The mask is found in token space, between each
// `<|im_start|>assistant` header and the next `<|im_end|>`, so it cannot drift from the tokenization.

import type { Conversation, Turn } from '../data/conversation.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { conversationToMessages, type ChatMessage } from './chat-messages.ts';
import { TokenizerError, type ChatTokenizer, type RenderOptions } from './tokenizer.ts';

export interface TokenizedConversation {
  /** Token ids of the whole rendered conversation. (T) */
  ids: Int32Array;
  /** 1 where the token is assistant output to learn. (T) */
  lossMask: Uint8Array;
  /** [start, end) token ranges of each assistant turn, in order. */
  assistantSpans: [number, number][];
  /** The rendered text (for previews and debugging). */
  text: string;
}

export interface TokenizeInput {
  messages: ChatMessage[];
  tools?: ToolDefinition[];
}

/** Accepts the canonical Conversation (plus optional extra turns, e.g. an rm `chosen` side) or OpenAI messages. */
export function tokenizeConversation(
  tok: ChatTokenizer,
  input: Conversation | TokenizeInput,
  opts: Omit<RenderOptions, 'tools' | 'addGenerationPrompt'> & { extraTurns?: Turn[]; tools?: ToolDefinition[] } = {},
): TokenizedConversation {
  const { messages, tools } = 'turns' in input ? conversationToMessages(input, opts.extraTurns) : { messages: input.messages, tools: input.tools };
  const text = tok.render(messages, { tools: opts.tools ?? tools, enableThinking: opts.enableThinking });
  const ids = Int32Array.from(tok.encode(text));
  const lossMask = new Uint8Array(ids.length);
  const assistantSpans = findAssistantSpans(tok, ids);
  const expected = messages.filter((m) => m.role === 'assistant').length;
  if (assistantSpans.length !== expected) {
    throw new TokenizerError(
      `found ${assistantSpans.length} assistant turns in the rendered conversation but it has ${expected} assistant messages ` +
        '(the chat template does not use <|im_start|>assistant ... <|im_end|>, or a message contains those tokens)',
    );
  }
  for (const [s, e] of assistantSpans) lossMask.fill(1, s, e);
  return { ids, lossMask, assistantSpans, text };
}

/** Ids of the prompt for generation: the conversation so far plus the assistant header. */
export function tokenizePrompt(tok: ChatTokenizer, input: Conversation | TokenizeInput, opts: Omit<RenderOptions, 'addGenerationPrompt'> = {}): Int32Array {
  const { messages, tools } = 'turns' in input ? conversationToMessages(input) : { messages: input.messages, tools: input.tools };
  return Int32Array.from(tok.encode(tok.render(messages, { ...opts, tools: opts.tools ?? tools, addGenerationPrompt: true })));
}

/** [start, end) of each assistant turn: after `<|im_start|>assistant` (and its newline), through `<|im_end|>`. */
export function findAssistantSpans(tok: ChatTokenizer, ids: ArrayLike<number>): [number, number][] {
  const imStart = tok.tokenId('<|im_start|>');
  const imEnd = tok.tokenId('<|im_end|>');
  if (imStart === undefined || imEnd === undefined) throw new TokenizerError('the tokenizer has no <|im_start|>/<|im_end|> tokens (not a ChatML model)');
  const role = tok.encode('assistant');
  const newline = tok.encode('\n');
  const spans: [number, number][] = [];
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] !== imStart) continue;
    let j = i + 1;
    if (!role.every((r, k) => ids[j + k] === r)) continue;
    j += role.length;
    // The header's own newline is template structure, not output (Qwen2.5 puts it before <tool_call> itself).
    if (newline.length === 1 && ids[j] === newline[0]) j++;
    let end = j;
    while (end < ids.length && ids[end] !== imEnd) end++;
    if (end === ids.length) throw new TokenizerError(`assistant turn starting at token ${i} has no closing <|im_end|>`);
    spans.push([j, end + 1]);
    i = end;
  }
  return spans;
}
