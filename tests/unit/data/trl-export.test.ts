// Export to TRL conversational JSONL and read it back: the same conversations, pairs and prompts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { promptOf } from '../../../src/data/conversation.ts';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { toTrlJsonl } from '../../../src/data/trl-export.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/data/${name}`, import.meta.url), 'utf8');

describe('TRL conversational export', () => {
  it.each(['sft_good.jsonl', 'rm_good.jsonl', 'ppo.jsonl', 'conversational.jsonl'])('%s round-trips', (name) => {
    const first = readDatasetText(fixture(name), { tools: ENTERPRISE_TOOLS });
    expect(first.examples.length).toBeGreaterThan(1);
    const jsonl = toTrlJsonl(first.examples);
    const again = readDatasetText(jsonl, { tools: ENTERPRISE_TOOLS });
    expect(again.report.problems).toEqual([]);
    expect(again.examples).toHaveLength(first.examples.length);
    first.examples.forEach((e, i) => {
      const back = again.examples[i];
      expect(promptOf(back)).toEqual(promptOf(e));
      if (e.kind === 'rm' && back.kind === 'rm') {
        expect(back.chosen).toEqual(e.chosen);
        // A malformed rejected call comes back as the same text.
        expect(back.rejected.map((t) => (t.role === 'assistant' ? t.content ?? t.unparsed : t))).toEqual(
          e.rejected.map((t) => (t.role === 'assistant' ? (t.calls.length ? undefined : t.content ?? t.unparsed) : t)),
        );
      }
      if (e.kind === 'ppo' && back.kind === 'ppo') expect(back.reference).toEqual(e.reference);
    });
  });

  it('writes sft rows as messages with tool_calls and keeps Chinese unescaped', () => {
    const { examples } = readDatasetText(fixture('sft_good.jsonl'), { tools: ENTERPRISE_TOOLS });
    const firstLine = toTrlJsonl(examples).split('\n')[0];
    expect(JSON.parse(firstLine)).toEqual({
      messages: [
        { role: 'system', content: '当前日期：2025-06-03（星期二），当前用户：王伟（E1001）' },
        { role: 'user', content: '明天北京天气咋样' },
        { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'queryWeather', arguments: { city: '北京', date: '2025-06-04' } } }] },
      ],
    });
    expect(firstLine).toContain('北京');
  });
});
