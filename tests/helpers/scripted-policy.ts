// Test helper: a policy that writes given turn texts instead of sampling, for the episode runner's callers
// (evaluation, chat) without a model. Each row's script is chosen from its prompt text, so callers that reorder
// or batch episodes still get the right script per example.
import type { TurnSampler } from '../../src/agent/episode.ts';
import type { FeedResult } from '../../src/model/decode.ts';
import type { ChatTokenizer } from '../../src/tokenizer/tokenizer.ts';

/** `pick(promptText)` returns the turn texts of the episode whose prompt that is; each turn is closed by <|im_end|>. */
export function scriptedPolicy(tok: ChatTokenizer, pick: (promptText: string) => string[]): (B: number) => TurnSampler {
  const imEnd = tok.tokenId('<|im_end|>')!;
  return (B) => {
    const scripts: Array<string[] | null> = new Array(B).fill(null);
    const turn = new Array(B).fill(0);
    const pos = new Array(B).fill(0);
    return {
      async feed(chunks): Promise<FeedResult> {
        const ids: Array<number | undefined> = [];
        chunks.forEach((c, b) => {
          if (!c || c.length === 0) return ids.push(undefined);
          if (!scripts[b]) scripts[b] = pick(tok.decode(Array.from(c)));
          // A chunk longer than one token after the first opens a new turn (a tool result).
          else if (c.length > 1) (turn[b]++, (pos[b] = 0));
          const text = scripts[b]![turn[b]];
          const toks = text === undefined ? [imEnd] : [...tok.encode(text), imEnd];
          ids.push(toks[Math.min(pos[b]++, toks.length - 1)]);
        });
        return { ids, logprobs: ids.map((i) => (i === undefined ? undefined : -0.25)) };
      },
      release() {},
    };
  };
}

export const toolCallText = (name: string, args: Record<string, unknown>) => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
