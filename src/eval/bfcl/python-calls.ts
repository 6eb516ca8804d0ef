// Decodes BFCL's prompting-mode output, Python call syntax `[func(a=1, b='x'), mod.g(c=[1.0, 2])]`, into
// calls with Python-typed values (5.0 stays a float, True/None are Python's), as BFCL reads it with
// Python's `ast`. Supports the literals BFCL answers use: int, float, str ('…' or "…"), True, False,
// None, lists, tuples (read as lists, as BFCL does), dicts; keyword arguments only.

import type { PyCall } from './ast-checker.ts';
import { PyFloat, type PyDict, type PyValue } from './py-value.ts';

export class PythonCallError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'PythonCallError';
  }
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /[+-]?(?:\d[\d_]*\.?[\d_]*(?:[eE][+-]?\d+)?|\.\d[\d_]*(?:[eE][+-]?\d+)?)/y;

/** Parses `[f(...), g(...)]` or `f(...), g(...)` (also one call without brackets). Throws PythonCallError. */
export function decodePythonCalls(text: string): PyCall[] {
  let i = 0;
  const fail = (msg: string): never => {
    throw new PythonCallError(msg, i);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const eat = (c: string) => {
    ws();
    if (text[i] !== c) fail(`expected '${c}'`);
    i++;
  };
  const name = (): string => {
    ws();
    NAME.lastIndex = i;
    const m = NAME.exec(text);
    if (!m) fail('expected a name');
    i += m![0].length;
    return m![0];
  };
  const seq = (close: string, item: () => void) => {
    ws();
    if (text[i] === close) return void i++;
    for (;;) {
      item();
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        if (text[i] === close) return void i++; // trailing comma
        continue;
      }
      if (text[i] === close) return void i++;
      fail(`expected ',' or '${close}'`);
    }
  };
  const str = (): string => {
    const q = text[i];
    i++;
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') fail('unterminated string');
      if (c === q) {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' || e === 'x') {
          const len = e === 'u' ? 4 : 2;
          const hex = text.slice(i + 2, i + 2 + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail('bad escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 2 + len;
        } else {
          out += '\\' + (e ?? '');
          i += 2;
        }
        continue;
      }
      out += c;
      i++;
    }
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      let s = str();
      // Adjacent literals concatenate, as in Python.
      for (ws(); text[i] === "'" || text[i] === '"'; ws()) s += str();
      return s;
    }
    if (c === '[' || c === '(') {
      i++;
      const items: PyValue[] = [];
      seq(c === '[' ? ']' : ')', () => items.push(value()));
      return items;
    }
    if (c === '{') {
      i++;
      const d: PyDict = {};
      seq('}', () => {
        const k = value();
        if (typeof k !== 'string') fail('only string dict keys are supported');
        eat(':');
        Object.defineProperty(d, k as string, { value: value(), enumerable: true, writable: true, configurable: true });
      });
      return d;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0] !== '+' && m[0] !== '-' && /\d/.test(m[0])) {
      i += m[0].length;
      const lit = m[0].replace(/_/g, '');
      return /[.eE]/.test(lit) ? new PyFloat(Number(lit)) : Number(lit);
    }
    const word = name();
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    return fail(`unsupported value "${word}" (only literals are read)`);
  };
  const call = (): PyCall => {
    const parts = [name()];
    for (ws(); text[i] === '.'; ws()) {
      i++;
      parts.push(name());
    }
    eat('(');
    const args: PyDict = {};
    seq(')', () => {
      const k = name();
      eat('=');
      if (Object.hasOwn(args, k)) fail(`keyword argument "${k}" repeated`);
      Object.defineProperty(args, k, { value: value(), enumerable: true, writable: true, configurable: true });
    });
    return { name: parts.join('.'), args };
  };

  ws();
  const calls: PyCall[] = [];
  if (text[i] === '[') {
    i++;
    seq(']', () => calls.push(call()));
  } else {
    for (;;) {
      calls.push(call());
      ws();
      if (i >= text.length) break;
      if (text[i] !== ',' && text[i] !== ';') fail("expected ',' between calls");
      i++;
      ws();
      if (i >= text.length) break;
    }
  }
  ws();
  if (i < text.length) fail('unexpected text after the calls');
  return calls;
}

/** Whether text starts like Python call syntax (`[f(` or `mod.f(`), i.e. should be read by decodePythonCalls. */
export function looksLikePythonCalls(text: string): boolean {
  return /^\s*\[?\s*(?:\]\s*$|[A-Za-z_][\w.]*\s*\()/.test(text);
}
