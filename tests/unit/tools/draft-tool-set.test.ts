// Tool usage and drafted tool sets: types inferred from values (integer+number = number, null = nullable,
// ISO dates = format "date", array items), required = given by every call, bounded memory on hostile data,
// and the validator's report of the tools a dataset calls (rejected rm replies left out).
import { describe, expect, it } from 'vitest';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { draftToolSet, schemaType, ToolUsageCounter, USAGE_LIMITS } from '../../../src/tools/draft-tool-set.ts';
import { ArgumentValidator } from '../../../src/tools/validate-args.ts';

describe('tool usage and drafted tool sets', () => {
  it('infers types, formats, items and required parameters from the calls', () => {
    const u = new ToolUsageCounter();
    u.add({ name: 'book', arguments: { room: 'A-301', date: '2025-06-03', hours: 1, people: ['张三'], note: null } });
    u.add({ name: 'book', arguments: { room: 'B-2', date: '2025-06-04', hours: 1.5, people: [] } });
    u.add({ name: 'book', arguments: { room: 'C', date: 'tomorrow', hours: 2, people: ['李四', 3] } });
    u.add({ name: 'ping', arguments: {} });
    const report = u.report();
    expect(report.tools.map((t) => [t.name, t.calls])).toEqual([['book', 3], ['ping', 1]]);
    const [book, ping] = draftToolSet(report, 'x.jsonl');
    expect(book.function.description).toBe('Drafted from 3 calls in x.jsonl: describe what book does.');
    expect(book.function.parameters).toEqual({
      type: 'object',
      properties: {
        room: { type: 'string', description: 'e.g. A-301, B-2, C' },
        date: { type: 'string', description: 'e.g. 2025-06-03, 2025-06-04, tomorrow' }, // one value is not a date: no format
        hours: { type: 'number', description: 'e.g. 1, 1.5, 2' },
        people: { type: 'array', items: { type: ['string', 'integer'] }, description: 'e.g. ["张三"], [], ["李四",3]' },
        note: { type: 'null', description: 'e.g. null' },
      },
      required: ['room', 'date', 'hours', 'people'],
    });
    expect(ping.function.parameters).toEqual({ type: 'object', properties: {}, required: [] });
    // The draft is a valid tool set: the calls it came from pass it.
    const v = new ArgumentValidator(draftToolSet(report), 'interpreter');
    expect(v.check({ name: 'book', arguments: { room: 'D', date: 'x', hours: 3, people: [] } }).valid).toBe(true);
    expect(v.check({ name: 'book', arguments: { room: 5, date: 'x', hours: 3, people: [] } }).valid).toBe(false);
  });

  it('names the schema type of mixed observations', () => {
    expect(schemaType({ integer: 2, number: 1 })).toBe('number');
    expect(schemaType({ string: 1, null: 1 })).toEqual(['string', 'null']);
    expect(schemaType({})).toBeUndefined();
  });

  it('keeps memory bounded: tools, parameters and examples are capped, the rest counted', () => {
    const u = new ToolUsageCounter();
    for (let i = 0; i < USAGE_LIMITS.tools + 50; i++) u.add({ name: `t${i}`, arguments: { x: 'v'.repeat(1000) } });
    const args = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`p${i}`, i]));
    for (let i = 0; i < 10; i++) u.add({ name: 't0', arguments: { ...args, x: `value ${i}` } });
    const r = u.report();
    expect(r.tools).toHaveLength(USAGE_LIMITS.tools);
    expect(r.otherCalls).toBe(50);
    const t0 = r.tools.find((t) => t.name === 't0')!;
    expect(t0.parameters).toHaveLength(USAGE_LIMITS.parametersPerTool);
    const x = t0.parameters.find((p) => p.name === 'x')!;
    expect(x.examples).toHaveLength(USAGE_LIMITS.examples);
    expect(x.examples[0]).toHaveLength(USAGE_LIMITS.exampleChars);
  });

  it('the validator reports the tools a file calls, and leaves rejected replies out', () => {
    const text = [
      JSON.stringify({ instruction: 'q', input: '', output: 'queryWeather(location=北京, date=2025-04-25)' }),
      JSON.stringify({ instruction: 'q2', input: '', output: '[{"tool_call": {"tool_name": "a", "parameters": {"k": 1}}}, {"tool_call": {"tool_name": "queryWeather", "parameters": {"location": "上海"}}}]' }),
    ].join('\n');
    const { report } = readDatasetText(text);
    expect(report.toolSet).toBeNull();
    expect(report.invalid).toBe(0);
    expect(report.toolsUsed!.tools.map((t) => [t.name, t.calls, t.parameters.map((p) => p.name)])).toEqual([
      ['queryWeather', 2, ['location', 'date']],
      ['a', 1, ['k']],
    ]);
    const rm = readDatasetText(JSON.stringify({ prompt: 'p', chosen: 'good(x=1)', rejected: 'hallucinated(y=2)' }));
    expect(rm.report.toolsUsed!.tools.map((t) => t.name)).toEqual(['good']);
  });
});
