// The tiny model's cut-down vocabulary: same tokens as Qwen3 on its corpus (renumbered through vocab-map.json),
// any other text still encodes byte by byte, and the folder loads back through the normal path.
import { describe, expect, it } from 'vitest';
import { mapProvider } from '../../../src/model/byte-source.ts';
import { buildTinyModel } from '../../../src/model/tiny-builder.ts';
import { openModelFolder } from '../../../src/model/weights.ts';
import { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';
import { tokenizeConversation } from '../../../src/tokenizer/loss-mask.ts';
import type { ChatMessage } from '../../../src/tokenizer/chat-messages.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import { qwen3Json, qwen3Tokenizer } from './qwen3-tokenizer.ts';

const tools: ToolDefinition[] = [
  { type: 'function', function: { name: 'queryWeather', parameters: { type: 'object', properties: { city: { type: 'string' }, date: { type: 'string' } }, required: ['city'] } } },
];
const messages: ChatMessage[] = [
  { role: 'user', content: 'What is the weather in Beijing tomorrow?' },
  { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'queryWeather', arguments: { city: 'Beijing', date: '2026-11-30' } } }] },
  { role: 'tool', content: '{"temp": 3, "sky": "clear"}' },
  { role: 'assistant', content: 'Clear and 3°C in Beijing tomorrow.' },
];

describe('tiny model vocabulary', () => {
  it('cut vocabulary tokenizes its corpus exactly like Qwen3 (renumbered) and still encodes unseen text', async () => {
    const src = qwen3Json();
    const { tokenizerJson, tokenizerConfig } = src;
    const compact = ChatTokenizer.fromJson(tokenizerJson, { ...tokenizerConfig, chat_template: (await import('../../../src/tokenizer/compact-template.ts')).COMPACT_CHAT_TEMPLATE });
    const text = compact.render(messages, { tools });
    const built = buildTinyModel(src, [text], { layers: 1, hidden: 16, intermediate: 32, heads: 2, kvHeads: 1, headDim: 8 });
    const provider = mapProvider(built.files);
    const tiny = await ChatTokenizer.fromFiles(provider);
    const map = JSON.parse(new TextDecoder().decode(built.files.get('vocab-map.json'))).tinyToQwen as number[];
    expect(tiny.vocabSize).toBe(map.length);
    expect(tiny.vocabSize).toBeLessThan(600); // 256 bytes + 26 added + the corpus's tokens and their merge parents
    const t = tokenizeConversation(tiny, { messages, tools });
    expect(Array.from(t.ids).map((id) => map[id])).toEqual(compact.encode(text));
    expect(tiny.decode(t.ids)).toBe(text);
    expect(tiny.decode(t.ids.subarray(...t.assistantSpans[1]))).toBe('Clear and 3°C in Beijing tomorrow.<|im_end|>');
    // Special tokens keep their meaning: the Qwen id of tiny <|im_end|> is Qwen's <|im_end|>.
    expect(map[tiny.tokenId('<|im_end|>')!]).toBe(qwen3Tokenizer().tokenId('<|im_end|>'));
    expect(map[tiny.tokenId('<tool_call>')!]).toBe(151657);
    // Unseen text (other script, emoji) falls back to byte tokens and round-trips.
    const unseen = 'Zürich → 東京 🙂 xyzzy';
    expect(tiny.decode(tiny.encode(unseen))).toBe(unseen);
    // The folder loads through the same path as a hub download.
    const folder = await openModelFolder(provider);
    expect(folder.config.vocabSize).toBe(tiny.vocabSize);
    expect(folder.config.numLayers).toBe(1);
  });
});
