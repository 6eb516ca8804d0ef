// Streaming detokenization: deltas concatenate to the full decode, and split multi-byte characters never leak.
import { describe, expect, it } from 'vitest';
import { TextStream } from '../../../src/tokenizer/text-stream.ts';
import { qwen3Tokenizer } from './qwen3-tokenizer.ts';

describe('TextStream', () => {
  it('deltas add up to the decoded text, without replacement characters, for CJK, emoji and tool calls', () => {
    const tok = qwen3Tokenizer();
    const text = '北京明天会下雨吗？🙂𝄞龘🦀 <tool_call>\n{"name": "queryWeather", "arguments": {"city": "北京"}}\n</tool_call><|im_end|>';
    const ids = tok.encode(text);
    const s = new TextStream(tok);
    const deltas = ids.map((id) => s.push(id));
    expect(deltas.join('')).toBe(text);
    expect(deltas.some((d) => d.includes('\uFFFD'))).toBe(false);
    // Some token really is a partial character (else the hold-back is untested).
    expect(ids.some((id) => tok.decode([id]).includes('\uFFFD'))).toBe(true);
    expect(deltas.filter((d) => d === '').length).toBeGreaterThan(0);
  });
});
