// Model-output parsing: each format, and a precise error for each kind of malformed text.

import { describe, expect, it } from 'vitest';
import { parseModelOutput } from '../../../src/tools/parse-output.ts';

describe('parseModelOutput: formats', () => {
  it('reads Qwen/Hermes tool_call blocks, several, after a think block', () => {
    const text = '<think>\nUser wants weather and a room.\n</think>\n\n<tool_call>\n{"name": "queryWeather", "arguments": {"city": "北京", "date": "2025-06-03"}}\n</tool_call>\n<tool_call>\n{"name": "searchMeetingRooms", "arguments": {"date": "2025-06-03", "startTime": "10:00", "endTime": "11:00"}}\n</tool_call>';
    const r = parseModelOutput(text);
    expect(r.error).toBeUndefined();
    expect(r.format).toBe('hermes');
    expect(r.think).toBe('User wants weather and a room.');
    expect(r.calls).toEqual([
      { name: 'queryWeather', arguments: { city: '北京', date: '2025-06-03' } },
      { name: 'searchMeetingRooms', arguments: { date: '2025-06-03', startTime: '10:00', endTime: '11:00' } },
    ]);
  });
  it('reads a single block without think, and keeps surrounding text as content', () => {
    const r = parseModelOutput('Let me check.\n<tool_call>{"name":"getEmployeeInfo","arguments":{"employeeId":"E1001"}}</tool_call>');
    expect(r).toMatchObject({ format: 'hermes', content: 'Let me check.', calls: [{ name: 'getEmployeeInfo', arguments: { employeeId: 'E1001' } }] });
  });
  it('reads the original {"tool_call": {"tool_name","parameters"}} JSON, also fenced', () => {
    const one = parseModelOutput('{"tool_call": {"tool_name": "queryWeather", "parameters": {"city": "上海"}}}');
    expect(one).toMatchObject({ format: 'tool_call_json', calls: [{ name: 'queryWeather', arguments: { city: '上海' } }] });
    const fenced = parseModelOutput('```json\n{"tool_call": [{"tool_name": "a", "parameters": {}}, {"tool_name": "b", "parameters": {"x": 1}}]}\n```');
    expect(fenced.calls).toEqual([{ name: 'a', arguments: {} }, { name: 'b', arguments: { x: 1 } }]);
    const list = parseModelOutput('[{"tool_call":{"tool_name":"queryWeather","parameters":{"city":"Nanjing"}}},{"tool_call":{"tool_name":"queryWeather","parameters":{"city":"Xi\'an"}}}]');
    expect(list).toMatchObject({ format: 'tool_call_json', calls: [{ name: 'queryWeather', arguments: { city: 'Nanjing' } }, { name: 'queryWeather', arguments: { city: "Xi'an" } }] });
    expect(parseModelOutput('[{"tool_call": {"tool_name": "a"}}, 3]').error?.kind).toBe('call_not_object');
    expect(parseModelOutput('{"tool_call": null, "response": "No tool needed."}')).toMatchObject({ format: 'tool_call_json', calls: [], content: 'No tool needed.' });
  });
  it('reads the function-call string form, plain and BFCL-bracketed', () => {
    expect(parseModelOutput('queryWeather(city=北京, date=2025-04-24)')).toMatchObject({
      format: 'call_string', calls: [{ name: 'queryWeather', arguments: { city: '北京', date: '2025-04-24' } }],
    });
    expect(parseModelOutput('[math.hypot(x=4, y=5), f(s="a, b", l=[1, 2])]').calls).toEqual([
      { name: 'math.hypot', arguments: { x: 4, y: 5 } }, { name: 'f', arguments: { s: 'a, b', l: [1, 2] } },
    ]);
  });
  it('treats prose as a plain answer with no calls', () => {
    expect(parseModelOutput('<think>no tool</think>The capital of France is Paris.')).toEqual({
      format: 'text', calls: [], content: 'The capital of France is Paris.', think: 'no tool',
    });
  });
});

describe('parseModelOutput: errors', () => {
  const err = (t: string) => parseModelOutput(t).error!;
  it('unclosed tool_call and think tags', () => {
    expect(err('<tool_call>\n{"name":"a","arguments":{}}')).toMatchObject({ kind: 'unclosed_tag', offset: 0 });
    expect(err('<tool_call>{"name":"a","arguments":{}}<tool_call>{"name":"b","arguments":{}}</tool_call>').kind).toBe('unclosed_tag');
    expect(err('<think>thinking forever <tool_call>').kind).toBe('unclosed_tag');
  });
  it('a closing tag without an opening one', () => {
    expect(err('{"name":"a"}</tool_call>')).toMatchObject({ kind: 'stray_closing_tag', offset: 12 });
  });
  it('invalid JSON, with line and column of the block', () => {
    const e = err('<tool_call>\n{"name": "a", "arguments": {"x": 1,}}\n</tool_call>');
    expect(e.kind).toBe('invalid_json');
    expect(e.offset).toBe(12);
    expect(e.message).toMatch(/tool call 1 is not valid JSON: .*\(at line 2, column 1\)/);
    expect(err('{"tool_call": {"tool_name": "a", "parameters": {]}}').kind).toBe('invalid_json');
  });
  it('arguments not an object, call not an object, missing name', () => {
    expect(err('<tool_call>{"name":"a","arguments":"{\\"x\\":1}"}</tool_call>')).toMatchObject({ kind: 'arguments_not_object' });
    expect(err('<tool_call>{"name":"a","arguments":[1]}</tool_call>').message).toContain('must be a JSON object, got an array');
    expect(err('<tool_call>[1,2]</tool_call>').kind).toBe('call_not_object');
    expect(err('<tool_call>{"arguments":{}}</tool_call>').kind).toBe('missing_name');
    expect(err('{"tool_call": {"tool_name": "a", "parameters": "x=1"}}').kind).toBe('arguments_not_object');
    expect(err('{"tool_call": {"parameters": {}}}').kind).toBe('missing_name');
  });
  it('a malformed function-call string', () => {
    expect(err('queryWeather(city=北京, date=2025-04-24')).toMatchObject({ kind: 'invalid_call_string' });
  });
  it('uses the given JSON reader (BFCL keeps 5.0 a float)', () => {
    const seen: string[] = [];
    parseModelOutput('<tool_call>{"name":"a","arguments":{"x":5.0}}</tool_call>', { parseJson: (t) => (seen.push(t), JSON.parse(t)) });
    expect(seen).toEqual(['{"name":"a","arguments":{"x":5.0}}']);
  });
});
