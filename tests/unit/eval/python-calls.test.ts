// BFCL's prompting-mode output (Python call syntax) decoded with Python's types, and scored end to end.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodePythonCalls, looksLikePythonCalls, PythonCallError } from '../../../src/eval/bfcl/python-calls.ts';
import { PyFloat, pyRepr } from '../../../src/eval/bfcl/py-value.ts';
import { readBfclCases } from '../../../src/eval/bfcl/bfcl-data.ts';
import { readBfclPredictions, scoreBfcl } from '../../../src/eval/bfcl/score-bfcl.ts';
import { correctCall } from './bfcl-mutations.ts';

const here = dirname(fileURLToPath(import.meta.url));

describe('decodePythonCalls', () => {
  it('reads Python literals with their types', () => {
    expect(decodePythonCalls(`[f(a='it\\'s', b="x", c=True, d=None, e=(1, 2.5), g={'k': [1e3, -2]}, h=4.0), mod.sub.g()]`)).toEqual([
      { name: 'f', args: { a: "it's", b: 'x', c: true, d: null, e: [1, new PyFloat(2.5)], g: { k: [new PyFloat(1000), -2] }, h: new PyFloat(4) } },
      { name: 'mod.sub.g', args: {} },
    ]);
    expect(decodePythonCalls('f(a=1), g(b=.5)')).toEqual([{ name: 'f', args: { a: 1 } }, { name: 'g', args: { b: new PyFloat(0.5) } }]);
    expect(decodePythonCalls('[]')).toEqual([]);
  });
  it('rejects what Python call syntax cannot be, with an offset', () => {
    expect(() => decodePythonCalls('f(a=1')).toThrow(PythonCallError);
    expect(() => decodePythonCalls('[f(1)]')).toThrow('expected a name at offset 3');
    expect(() => decodePythonCalls('f(a=x)')).toThrow('unsupported value "x" (only literals are read)');
    expect(() => decodePythonCalls('f(a=1, a=2)')).toThrow('keyword argument "a" repeated');
  });
  it('tells call syntax from prose', () => {
    expect(looksLikePythonCalls('[math.hypot(x=1)]')).toBe(true);
    expect(looksLikePythonCalls('get_weather(city="Paris")')).toBe(true);
    expect(looksLikePythonCalls('I cannot help (sorry).')).toBe(false);
  });
});

describe('BFCL prompting-format predictions', () => {
  const dir = resolve(here, '../../../../shared/bfcl');
  const cases = readBfclCases(readFileSync(`${dir}/BFCL_v4_parallel_multiple.json`, 'utf8'), readFileSync(`${dir}/possible_answer/BFCL_v4_parallel_multiple.json`, 'utf8'));
  it('every ground truth printed as Python reads back identically and scores valid', () => {
    const lines = cases.map((c) => {
      const calls = c.answers.map((a) => correctCall(c, a));
      const text = `[${calls.map((k) => `${k.name}(${Object.entries(k.args).map(([p, v]) => `${p}=${pyRepr(v)}`).join(', ')})`).join(', ')}]`;
      expect(decodePythonCalls(text)).toEqual(calls);
      return JSON.stringify({ id: c.id, output: text });
    });
    expect(scoreBfcl(cases, readBfclPredictions(lines.join('\n'))).summary.accuracy).toBe(1);
  });
  it('a float where BFCL wants an integer fails, as in BFCL', () => {
    const simple = readBfclCases(readFileSync(`${dir}/BFCL_v4_simple_python.json`, 'utf8'), readFileSync(`${dir}/possible_answer/BFCL_v4_simple_python.json`, 'utf8')).slice(2, 3);
    const ok = scoreBfcl(simple, readBfclPredictions(JSON.stringify({ id: 'simple_python_2', output: '[math.hypot(x=4, y=5)]' })));
    const bad = scoreBfcl(simple, readBfclPredictions(JSON.stringify({ id: 'simple_python_2', output: '[math.hypot(x=4.0, y=5)]' })));
    expect(ok.cases[0].valid).toBe(true);
    expect(bad.cases[0]).toMatchObject({ valid: false, errorType: 'type_error:simple' });
  });
});
