// The tokens the chat template puts between a sampled assistant turn and the next sampled one: the closing
// newline, the tool-result turn, and the next assistant header. The episode runner prefills exactly these onto
// the KV cache instead of re-rendering and re-running the whole conversation.
//
// Found by rendering the conversation twice with the model's own template (with and without the tool results)
// and cutting the second rendering after the assistant's closing <|im_end|>: whatever the template prints for
// tool results (Qwen2.5's <tool_response> in a user turn, Qwen3's, the compact one) comes out as it would in a
// full rendering. Special tokens split before BPE, so tokenizing this suffix alone gives the same ids as
// tokenizing the whole text.
import type { Conversation, Turn } from '../data/conversation.ts';
import { conversationToMessages } from '../tokenizer/chat-messages.ts';
import { TokenizerError, type ChatTokenizer, type RenderOptions } from '../tokenizer/tokenizer.ts';

const IM_END = '<|im_end|>';

/**
 * Ids of the text after `assistant`'s closing <|im_end|> up to the next assistant header, when `toolTurn`
 * follows it. `before` is the conversation up to (not including) the assistant turn.
 */
export function toolTurnTokens(
  tok: ChatTokenizer, before: Conversation, assistant: Turn, toolTurn: Turn, opts: Omit<RenderOptions, 'addGenerationPrompt'> = {},
): Int32Array {
  const withAnswer = conversationToMessages(before, [assistant]);
  const withResults = conversationToMessages(before, [assistant, toolTurn]);
  const tools = opts.tools ?? withAnswer.tools;
  const a = tok.render(withAnswer.messages, { ...opts, tools, addGenerationPrompt: false });
  const b = tok.render(withResults.messages, { ...opts, tools, addGenerationPrompt: true });
  const cut = a.lastIndexOf(IM_END);
  if (cut < 0) throw new TokenizerError('the chat template does not close assistant turns with <|im_end|>');
  const end = cut + IM_END.length;
  if (b.slice(0, end) !== a.slice(0, end)) {
    throw new TokenizerError('the chat template renders earlier turns differently once tool results follow; the KV cache cannot be kept across turns');
  }
  return Int32Array.from(tok.encode(b.slice(end)));
}
