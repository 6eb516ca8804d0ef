// A model answers BFCL questions: each question rendered with the model's chat template and its functions as the
// template's tools (src/eval/bfcl/bfcl-prompts.ts), one greedy assistant turn on the episode runner (no executor:
// BFCL's single-turn categories judge the calls, not their results), the raw text kept for decoding and scoring.
import { runEpisodes, type EpisodeOptions } from '../agent/episode.ts';
import type { BfclQuestion } from '../eval/bfcl/bfcl-data.ts';
import { bfclConversation, bfclTools } from '../eval/bfcl/bfcl-prompts.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';

export interface BfclGenerationOptions {
  batchSize?: number;
  maxNewTokens?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Replaces the model's sampler (tests: scripted answers). */
  sampler?: EpisodeOptions['sampler'];
}

/** The model's text per question id. */
export async function answerBfcl(model: QwenModel, tok: ChatTokenizer, questions: readonly BfclQuestion[], o: BfclGenerationOptions = {}): Promise<Map<string, string>> {
  const batch = o.batchSize ?? 8;
  const out = new Map<string, string>();
  for (let i = 0; i < questions.length; i += batch) {
    if (o.signal?.aborted) throw new Error('BFCL generation aborted');
    const qs = questions.slice(i, i + batch);
    const eps = await runEpisodes(model, tok, qs.map((q) => ({ prompt: bfclConversation(q), tools: bfclTools(q) })), {
      maxTurns: 1, maxCompletionLength: o.maxNewTokens ?? 256, temperature: 0, topK: 0, topP: 1, seed: 0, signal: o.signal, sampler: o.sampler,
    });
    qs.forEach((q, j) => out.set(q.id, eps[j].turns[0]?.text ?? ''));
    o.onProgress?.(Math.min(i + batch, questions.length), questions.length);
  }
  return out;
}
