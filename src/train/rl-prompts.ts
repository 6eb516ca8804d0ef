// The prompts RL trains on, each with the reference continuation the rule and chain rewards compare against, and
// a seeded cursor over them that a checkpoint saves (so a resumed run draws the same prompts).
// Any dataset kind works: ppo rows (prompt + optional reference response), and sft / conversational rows split at
// their first assistant turn (the rest of the conversation is the reference).
import type { Conversation, DatasetExample, Turn } from '../data/conversation.ts';
import type { GoldCall } from '../eval/match.ts';
import { Rng } from '../util/rng.ts';

export interface RlPrompt {
  /** `line-N` of the source file (what completions.jsonl and the eval report call it). */
  id: string;
  prompt: Conversation;
  /** The reference continuation: assistant turns and their tool results (empty: none known). */
  reference: Turn[];
}

export function rlPrompts(examples: readonly DatasetExample[]): RlPrompt[] {
  const out: RlPrompt[] = [];
  for (const ex of examples) {
    if (ex.kind === 'rm') continue;
    if (ex.kind === 'ppo') {
      out.push({ id: `line-${ex.line}`, prompt: ex.prompt, reference: ex.reference ?? [] });
      continue;
    }
    const turns = ex.conversation.turns;
    const first = turns.findIndex((t) => t.role === 'assistant');
    if (first < 0) continue;
    out.push({ id: `line-${ex.line}`, prompt: { ...ex.conversation, turns: turns.slice(0, first) }, reference: turns.slice(first) });
  }
  return out;
}

/** Gold calls of each reference assistant turn, in order (`[]` for an answer without calls). */
export function referenceSteps(reference: readonly Turn[]): GoldCall[][] {
  return reference.filter((t) => t.role === 'assistant').map((t) => (t.role === 'assistant' ? t.calls : []));
}

/** Where the prompt stream stands: the epoch's seeded order and the next index in it. */
export interface PromptCursor {
  epoch: number;
  index: number;
}

/** Draws prompts in seeded shuffled order, epoch after epoch; `take` advances the cursor. */
export class PromptStream {
  private order: number[] = [];
  private orderEpoch = -1;

  constructor(private readonly count: number, private readonly seed: number, public cursor: PromptCursor = { epoch: 0, index: 0 }) {
    if (count === 0) throw new Error('No RL prompts: every line was rejected, or the files hold only preference pairs (rm format).');
  }

  private orderOf(epoch: number): number[] {
    if (this.orderEpoch !== epoch) {
      const rng = new Rng((this.seed ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
      this.order = rng.shuffle(Array.from({ length: this.count }, (_, i) => i));
      this.orderEpoch = epoch;
    }
    return this.order;
  }

  /** The next n prompt indices (crossing into the next epoch when one ends). */
  take(n: number): number[] {
    const out: number[] = [];
    while (out.length < n) {
      const order = this.orderOf(this.cursor.epoch);
      out.push(order[this.cursor.index]);
      this.cursor = this.cursor.index + 1 < order.length ? { epoch: this.cursor.epoch, index: this.cursor.index + 1 } : { epoch: this.cursor.epoch + 1, index: 0 };
    }
    return out;
  }
}
