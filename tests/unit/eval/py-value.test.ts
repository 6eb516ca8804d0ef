// Python's view of JSON: lossless numbers, Python equality, and parse errors with line and column.

import { describe, expect, it } from 'vitest';
import { parsePyJson, PyFloat, pyEquals, pyType, stringifyPyJson, fromJs, PyJsonError, pyContains } from '../../../src/eval/bfcl/py-value.ts';

describe('parsePyJson', () => {
  it('keeps int and float apart like json.loads', () => {
    const v = parsePyJson('{"a": 5, "b": 5.0, "c": 1e3, "d": -0.5, "e": [1, 2.50], "f": "x", "g": null, "h": true}') as Record<string, unknown>;
    expect(pyType(v.a as number)).toBe('int');
    expect(v.b).toEqual(new PyFloat(5));
    expect(v.c).toEqual(new PyFloat(1000));
    expect(pyType(v.d as PyFloat)).toBe('float');
    expect(stringifyPyJson(v as never)).toBe('{"a": 5, "b": 5.0, "c": 1000.0, "d": -0.5, "e": [1, 2.5], "f": "x", "g": null, "h": true}');
  });
  it('reads escapes and keeps a "__proto__" key as data', () => {
    const v = parsePyJson('{"s": "a\\"b\\u4e2d", "__proto__": 1}') as Record<string, unknown>;
    expect(v.s).toBe('a"b中');
    expect(Object.keys(v)).toEqual(['s', '__proto__']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });
  it('reports errors with line and column', () => {
    expect(() => parsePyJson('{\n  "a": 1,\n  "b": }')).toThrow(PyJsonError);
    expect(() => parsePyJson('{\n  "a": 1,\n  "b": }')).toThrow('unexpected character "}" at line 3, column 8');
    expect(() => parsePyJson('[1, 2')).toThrow(/expected ',' or '\]' in an array at line 1, column 6/);
    expect(() => parsePyJson('"abc')).toThrow(/unterminated string/);
    expect(() => parsePyJson('{} x')).toThrow(/unexpected text after the JSON value/);
  });
});

describe('Python equality', () => {
  it('compares numbers across int, float and bool, and containers deeply', () => {
    expect(pyEquals(1, new PyFloat(1))).toBe(true);
    expect(pyEquals(true, 1)).toBe(true);
    expect(pyEquals(false, new PyFloat(0))).toBe(true);
    expect(pyEquals('1', 1)).toBe(false);
    expect(pyEquals(null, 0)).toBe(false);
    expect(pyEquals([1, { a: [2] }], [new PyFloat(1), { a: [2] }])).toBe(true);
    expect(pyEquals({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(pyContains(['', 3], '')).toBe(true);
    expect(pyContains('abc', '')).toBe(true); // Python: "" in "abc"
  });
  it('converts JavaScript values: integral numbers are ints, others floats', () => {
    expect(fromJs({ a: 2, b: 2.5, c: [1] })).toEqual({ a: 2, b: new PyFloat(2.5), c: [1] });
  });
});
