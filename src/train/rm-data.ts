// Preference pairs for the reward model, rendered as TRL's RewardTrainer renders conversational pairs: the prompt's
// messages (system line, user turn) plus the response as the assistant turn, through the model's chat template
// (calls in its tool-call format; a rejected side's undecodable call text kept verbatim as the assistant's
// output), tokenized. Pairs with a side longer than max_seq_len are left out (TRL filters them: truncating would
// cut off the end of the response, which is where the score is read) and counted.
// Batches put each pair's chosen and rejected sides in the same batch: chosen rows first, then rejected rows.
import type { Conversation, DatasetExample, Turn } from '../data/conversation.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { tokenizeConversation } from '../tokenizer/loss-mask.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { planStream, type DataPosition } from './batching.ts';
import type { LoopBatch } from './loop.ts';

/** How prompts list tools: the conversation's own, else the active set; `renderTools` ([] for prompt_tools: none) overrides both. */
export interface RenderTools {
  tools: ToolDefinition[];
  renderTools?: ToolDefinition[];
}

/** Token ids of a prompt answered by `response` (the sequence whose last token the score is read at). */
export function renderResponse(tok: ChatTokenizer, prompt: Conversation, response: Turn[], render: RenderTools): Int32Array {
  return tokenizeConversation(tok, prompt, { extraTurns: response, tools: render.renderTools ?? prompt.tools ?? render.tools }).ids;
}

export interface TokenizedPair {
  chosen: Int32Array;
  rejected: Int32Array;
  /** The pair's own margin (TRL's `margin` column), when the data has one. */
  margin?: number;
  /** What is wrong with the rejected side, when the data says (rejection_kind). */
  kind?: string;
}

export interface PreparedRm {
  pairs: TokenizedPair[];
  /** Source line of each kept pair. */
  lines: number[];
  /** Pairs left out because a side is longer than max_seq_len. */
  dropped: number;
  tokens: number;
  maxLen: number;
}

export function prepareRmPairs(tok: ChatTokenizer, data: readonly DatasetExample[], render: RenderTools, maxSeqLen: number): PreparedRm {
  const out: PreparedRm = { pairs: [], lines: [], dropped: 0, tokens: 0, maxLen: 0 };
  for (const ex of data) {
    if (ex.kind !== 'rm') {
      throw new Error(`the reward model trains on preference pairs ({"prompt", "chosen", "rejected"}); line ${ex.line} is a ${ex.kind} example (use it with the ${ex.kind === 'ppo' ? 'PPO' : 'SFT'} trainer)`);
    }
    const chosen = renderResponse(tok, ex.prompt, ex.chosen, render);
    const rejected = renderResponse(tok, ex.prompt, ex.rejected, render);
    if (chosen.length > maxSeqLen || rejected.length > maxSeqLen) {
      out.dropped++;
      continue;
    }
    out.pairs.push({ chosen, rejected, ...(ex.margin !== undefined ? { margin: ex.margin } : {}), ...(ex.rejectionKind ? { kind: ex.rejectionKind } : {}) });
    out.lines.push(ex.line);
    out.tokens += chosen.length + rejected.length;
    out.maxLen = Math.max(out.maxLen, chosen.length, rejected.length);
  }
  return out;
}

/** P pairs as one right-padded batch of 2P rows (TRL's collator): rows 0..P-1 chosen, P..2P-1 rejected. (2P, T) */
export interface PairBatch extends LoopBatch {
  pairs: number;
  seqLen: number;
  ids: Int32Array;
  attention: Uint8Array;
  /** (P) the margins the loss subtracts, or null when no pair has one and the default is 0. */
  margins: Float32Array | null;
  /** Indices of the pairs in the prepared list. */
  indices: number[];
}

export function padPairs(pairs: readonly TokenizedPair[], indices: number[], padId: number, defaultMargin = 0): PairBatch {
  const P = indices.length;
  const rows = [...indices.map((i) => pairs[i].chosen), ...indices.map((i) => pairs[i].rejected)];
  const T = Math.max(1, ...rows.map((r) => r.length));
  const ids = new Int32Array(2 * P * T).fill(padId);
  const attention = new Uint8Array(2 * P * T);
  let realTokens = 0;
  rows.forEach((r, b) => {
    ids.set(r, b * T);
    attention.fill(1, b * T, b * T + r.length);
    realTokens += r.length;
  });
  const withMargin = defaultMargin !== 0 || indices.some((i) => pairs[i].margin !== undefined);
  const margins = withMargin ? Float32Array.from(indices, (i) => pairs[i].margin ?? defaultMargin) : null;
  return { pairs: P, seqLen: T, ids, attention, margins, indices, realTokens };
}

/** Pair batches in a seeded order that resumes at a position (batches of similar length, as SFT's). */
export function pairStream(pairs: readonly TokenizedPair[], batchSize: number, seed: number, padId: number, defaultMargin: number, start: DataPosition = { epoch: 0, batch: 0 }) {
  if (pairs.length === 0) throw new Error('No preference pairs: every line was rejected, longer than max_seq_len, or the file is empty.');
  const lengths = pairs.map((p) => Math.max(p.chosen.length, p.rejected.length));
  return planStream(lengths, batchSize, seed, start, (indices) => padPairs(pairs, indices, padId, defaultMargin));
}
