// ChatTokenizer (on @huggingface/tokenizers + @huggingface/jinja) against transformers.js's PreTrainedTokenizer, the
// implementation it replaced: the same rendered text, token ids and decoded text, byte for byte, on rows of all
// six sample files, with the tiny model's tokenizer (compact template) and the real Qwen3 tokenizer (its own
// template, every tool's JSON schema in the prompt), with and without tools, generation prompt and thinking.
import { readFileSync } from 'node:fs';
import { PreTrainedTokenizer } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { promptOf, type DatasetExample } from '../../../src/data/conversation.ts';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { conversationToMessages, type ChatMessage } from '../../../src/tokenizer/chat-messages.ts';
import { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';
import { qwen3Json } from './qwen3-tokenizer.ts';

const tools = [...ENTERPRISE_TOOLS];
const FILES = ['sft_data', 'rm_data', 'ppo_data', 'chains_data', 'eval_data', 'eval_chains'];

function conversations(): ChatMessage[][] {
  const out: ChatMessage[][] = [];
  for (const f of FILES) {
    for (const ex of readDatasetText(readFileSync(`public/data/${f}.jsonl`, 'utf8'), { tools }).examples as DatasetExample[]) {
      const full = ex.kind === 'sft' || ex.kind === 'conversational' ? ex.conversation : ex.kind === 'rm' ? { ...ex.prompt, turns: [...ex.prompt.turns, ...ex.chosen] } : { ...ex.prompt, turns: [...ex.prompt.turns, ...(ex.reference ?? [])] };
      out.push(conversationToMessages(full).messages);
      out.push(conversationToMessages(promptOf(ex)).messages);
    }
  }
  return out;
}

const SOURCES = {
  tiny: () => ({ tokenizerJson: JSON.parse(readFileSync('public/models/tiny/tokenizer.json', 'utf8')), tokenizerConfig: JSON.parse(readFileSync('public/models/tiny/tokenizer_config.json', 'utf8')) }),
  qwen3: qwen3Json,
};

describe('ChatTokenizer equals transformers.js PreTrainedTokenizer', () => {
  const all = conversations();
  for (const [name, source] of Object.entries(SOURCES)) {
    it(`${name}: render, encode and decode on rows of every sample file`, () => {
      const { tokenizerJson, tokenizerConfig } = source();
      const ours = ChatTokenizer.fromJson(tokenizerJson, tokenizerConfig);
      const ref = new PreTrainedTokenizer(tokenizerJson as object, tokenizerConfig);
      const vocab = ref.get_vocab() as Map<string, number>;
      expect(ours.vocabSize).toBe([...vocab.values()].reduce((m, v) => Math.max(m, v), 0) + 1);
      // Every 4th conversation (and its prompt) with the tiny tokenizer; every 12th with the real one, whose template
      // renders 16 JSON schemas per prompt (about a minute each on a loaded 2-core machine).
      const rows = all.filter((_, i) => Math.floor(i / 2) % (name === 'qwen3' ? 12 : 4) === 0);
      expect(rows.length).toBeGreaterThan(name === 'qwen3' ? 400 : 1200);
      let n = 0;
      let mismatches = 0;
      for (const messages of rows) {
        const variant = n++;
        const opts = { tools: variant % 4 === 1 ? undefined : tools, addGenerationPrompt: variant % 2 === 1, ...(variant % 5 === 2 ? { enableThinking: false } : {}) };
        const text = ours.render(messages, opts);
        const want = ref.apply_chat_template(messages as never, {
          tools: opts.tools as never, tokenize: false, add_generation_prompt: opts.addGenerationPrompt, ...(opts.enableThinking === false ? { enable_thinking: false } : {}),
        } as never) as unknown as string;
        const ids = ours.encode(text);
        const wantIds = ref.encode(text, { add_special_tokens: false });
        const skip = variant % 3 === 0;
        if (text !== want || JSON.stringify(ids) !== JSON.stringify(wantIds) || ours.decode(ids, skip) !== ref.decode(wantIds, { skip_special_tokens: skip })) {
          if (mismatches++ < 3) console.error(name, JSON.stringify(messages).slice(0, 300));
        }
      }
      expect(mismatches).toBe(0);
      expect(ours.stopIds).toEqual([ref.encode('<|im_end|>', { add_special_tokens: false })[0], ...(ours.stopIds.length > 1 ? [ref.eos_token_id] : [])]);
      // Both refuse to decode nothing.
      expect(() => ref.decode([])).toThrow();
      expect(() => ours.decode([])).toThrow(/non-empty/);
    }, 300_000);
  }
});
