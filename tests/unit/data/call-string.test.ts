// Function-call string form: examples from real data, error positions, and a printer/parser round trip.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseCallString, printCallString } from '../../../src/tools/call-string.ts';
import type { ToolCall } from '../../../src/tools/types.ts';

describe('parseCallString', () => {
  it('reads unquoted Chinese values and dates', () => {
    expect(parseCallString('queryWeather(location=北京, date=2025-04-24)')).toEqual({
      calls: [{ name: 'queryWeather', arguments: { location: '北京', date: '2025-04-24' } }],
    });
  });

  it('reads quoted strings, numbers, booleans, null, JSON lists and objects', () => {
    const r = parseCallString(
      `bookRoom(room="A-301, 3F", attendees=[\"张三\", \"李四\"], hours=1.5, projector=true, note='it\\'s ok', extra={"a": [1, {"b": ")"}]}, x=null)`,
    );
    expect(r).toEqual({
      calls: [
        {
          name: 'bookRoom',
          arguments: {
            room: 'A-301, 3F',
            attendees: ['张三', '李四'],
            hours: 1.5,
            projector: true,
            note: "it's ok",
            extra: { a: [1, { b: ')' }] },
            x: null,
          },
        },
      ],
    });
  });

  it('reads several calls separated by ; or new lines, and calls without arguments', () => {
    const r = parseCallString('a(x=1); b()\n\nc( y = 北京 ,)');
    expect(r).toEqual({
      calls: [
        { name: 'a', arguments: { x: 1 } },
        { name: 'b', arguments: {} },
        { name: 'c', arguments: { y: '北京' } },
      ],
    });
  });

  it('keeps numbers with leading zeros as strings (employee ids)', () => {
    expect(parseCallString('getEmployee(id=00123)')).toEqual({ calls: [{ name: 'getEmployee', arguments: { id: '00123' } }] });
  });

  it.each([
    ['', 0, 'found nothing'],
    ['queryWeather', 12, "expected '('"],
    ['queryWeather(location=北京', 24, "missing ')'"],
    ['queryWeather(location)', 21, "expected '='"],
    ['q(a=1, a=2)', 7, 'given twice'],
    ['q(a="abc)', 4, 'unterminated string'],
    ['q(a=[1, 2)', 4, 'unclosed JSON'],
    ['q(a={"x": 1,})', 4, 'not valid JSON'],
    ['q(a=1) r(b=2)', 6, "expected ';'"],
    ['q(a=)', 4, 'missing value'],
    ['{"name": "q"}', 0, 'expected tool name'],
  ])('reports %j at offset %i', (text, position, message) => {
    const r = parseCallString(text);
    expect('error' in r).toBe(true);
    if ('error' in r) {
      expect(r.error).toContain(message);
      expect(r.position).toBe(position);
    }
  });
});

describe('printCallString', () => {
  it('leaves plain values bare and quotes the ones that would read back differently', () => {
    expect(
      printCallString([{ name: 'q', arguments: { city: '北京', n: 3, s: '3', b: 'true', t: 'a, b', e: '', o: { k: [1] } } }]),
    ).toBe('q(city=北京, n=3, s="3", b="true", t="a, b", e="", o={"k":[1]})');
  });

  it('refuses names that could not be read back', () => {
    expect(() => printCallString([{ name: 'bad name', arguments: {} }])).toThrow(/not a valid tool name/);
    expect(() => printCallString([{ name: 'q', arguments: { 'a=b': 1 } }])).toThrow(/not a valid parameter name/);
  });
});

// Random values that stress the printer: Chinese text, quotes, commas, brackets, new lines, nested JSON.
const tricky = fc.constantFrom('北京', '上海市', ',', '"', "'", '(', ')', '=', ';', '\n', ' ', '[', '{', '\\', 'a', '1', '-', 'true', '明天', '，');
const trickyString = fc.oneof(fc.string(), fc.array(tricky, { maxLength: 8 }).map((p) => p.join('')), fc.string({ unit: 'grapheme' }));
const jsonNumber = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })).filter((n) => !Object.is(n, -0));
const leaf = fc.oneof(trickyString, jsonNumber, fc.boolean(), fc.constant(null));
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(trickyString, tie('value'), { maxKeys: 3 })),
})).value;
const identifier = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/);
const call: fc.Arbitrary<ToolCall> = fc.record({ name: identifier, arguments: fc.dictionary(identifier, jsonValue, { maxKeys: 5 }) });

describe('round trip', () => {
  it('parse(print(calls)) gives the same calls', () => {
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 4 }), (calls) => {
        // -0 inside nested JSON prints as 0: compare through JSON, which is what the data carries.
        const expected = JSON.parse(JSON.stringify(calls));
        expect(parseCallString(printCallString(calls))).toEqual({ calls: expected });
      }),
      { numRuns: 500, seed: 20251129 },
    );
  });
});

describe('displayCalls', () => {
  it('prints call strings where the names allow and JSON where they do not, never throwing', async () => {
    const { displayCalls } = await import('../../../src/tools/call-string.ts');
    expect(displayCalls([{ name: 'queryWeather', arguments: { city: '北京' } }])).toBe('queryWeather(city=北京)');
    expect(displayCalls([{ name: '![x](javascript:alert(1))', arguments: { '"><b>': 1 } }])).toBe('{"name":"![x](javascript:alert(1))","arguments":{"\\"><b>":1}}');
  });
});
