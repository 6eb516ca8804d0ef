// SFT examples: conversations rendered with the chat template and tools, tokenized, with the loss on
// assistant tokens only, truncated to max_seq_len (and reported, never silently).
import type { DatasetExample } from '../data/conversation.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { tokenizeConversation } from '../tokenizer/loss-mask.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import type { TokenizedExample } from './batching.ts';

export interface PreparedSft {
  examples: TokenizedExample[];
  /** Source line of each kept example. */
  lines: number[];
  truncated: number;
  /** Examples dropped because no assistant token was left after truncation (or none existed). */
  dropped: number;
  tokens: number;
  maxLen: number;
}

/**
 * `tools` is the active tool set, rendered into each prompt unless the conversation brings its own;
 * `renderTools` (e.g. [] for prompt_tools: none) replaces both in the rendering.
 */
export function prepareSftExamples(tok: ChatTokenizer, data: readonly DatasetExample[], tools: ToolDefinition[], maxSeqLen: number, renderTools?: ToolDefinition[]): PreparedSft {
  const out: PreparedSft = { examples: [], lines: [], truncated: 0, dropped: 0, tokens: 0, maxLen: 0 };
  for (const ex of data) {
    if (ex.kind !== 'sft' && ex.kind !== 'conversational') {
      throw new Error(`SFT needs sft or conversational examples; line ${ex.line} is a ${ex.kind} example (use it with the ${ex.kind === 'rm' ? 'reward-model' : 'PPO'} trainer)`);
    }
    const t = tokenizeConversation(tok, ex.conversation, { tools: renderTools ?? ex.conversation.tools ?? tools });
    let ids = t.ids;
    let lossMask = t.lossMask;
    if (ids.length > maxSeqLen) {
      ids = ids.slice(0, maxSeqLen);
      lossMask = lossMask.slice(0, maxSeqLen);
      out.truncated++;
    }
    if (!lossMask.some((m, i) => i > 0 && m === 1)) {
      out.dropped++;
      continue;
    }
    out.examples.push({ ids, lossMask });
    out.lines.push(ex.line);
    out.tokens += ids.length;
    out.maxLen = Math.max(out.maxLen, ids.length);
  }
  return out;
}
