// Python's view of JSON values, which BFCL's checker depends on: `5` is an int but `5.0` is a float,
// `True == 1`, `[1] == [1.0]`. JavaScript's JSON.parse loses the int/float distinction, so this file
// has a lossless JSON reader (floats come back as PyFloat) and Python's equality and type names.

/** A JSON number that Python would read as float (it had a '.', 'e' or 'E'). */
export class PyFloat {
  constructor(readonly value: number) {}
  toJSON(): number {
    return this.value;
  }
}

export type PyValue = null | boolean | number | PyFloat | string | PyValue[] | { [key: string]: PyValue };
export type PyDict = { [key: string]: PyValue };
export type PyTypeName = 'NoneType' | 'bool' | 'int' | 'float' | 'str' | 'list' | 'dict';

export function pyType(v: PyValue): PyTypeName {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof PyFloat) return 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  return 'dict';
}

export function isPyDict(v: PyValue): v is PyDict {
  return pyType(v) === 'dict';
}

/** The numeric value of int, float and bool (Python compares all three as numbers). */
function numeric(v: PyValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof PyFloat) return v.value;
  return undefined;
}

/** Python `a == b` for JSON-shaped values. */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined || nb !== undefined) return na !== undefined && nb !== undefined && na === nb;
  if (a === null || b === null) return a === b;
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => pyEquals(x, b[i]));
  }
  const ka = Object.keys(a as PyDict);
  const kb = Object.keys(b as PyDict);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b as PyDict, k) && pyEquals((a as PyDict)[k], (b as PyDict)[k]));
}

/** Python `item in container`: list membership by ==, substring for str, key for dict. */
export function pyContains(container: PyValue, item: PyValue): boolean {
  if (Array.isArray(container)) return container.some((x) => pyEquals(x, item));
  if (typeof container === 'string') return typeof item === 'string' && container.includes(item);
  if (container !== null && isPyDict(container)) return typeof item === 'string' && Object.hasOwn(container, item);
  return false;
}

/** Python `len(x)` where BFCL relies on it (str, list, dict); undefined where Python would raise. */
export function pyLen(v: PyValue): number | undefined {
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (v !== null && isPyDict(v)) return Object.keys(v).length;
  return undefined;
}

/** Items of a sequence the way BFCL indexes it (`x[i] for i in range(len(x))`): list items or str characters. */
export function pySequence(v: PyValue): PyValue[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [...v];
  return undefined;
}

/** Converts a JavaScript value (e.g. from JSON.parse) to a PyValue: integral numbers become int. */
export function fromJs(v: unknown): PyValue {
  if (v === null || v === undefined) return null;
  if (v instanceof PyFloat) return v;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? v : new PyFloat(v);
  if (Array.isArray(v)) return v.map(fromJs);
  if (typeof v === 'object') {
    const out: PyDict = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) defineKey(out, k, fromJs(x));
    return out;
  }
  return String(v);
}

/** Converts back to plain JavaScript (floats become numbers). */
export function toJs(v: PyValue): unknown {
  if (v instanceof PyFloat) return v.value;
  if (Array.isArray(v)) return v.map(toJs);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: toJs(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** Python-like repr, for error messages that read like BFCL's. */
export function pyRepr(v: PyValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (v instanceof PyFloat) return Number.isInteger(v.value) ? `${v.value}.0` : String(v.value);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

// Assigning obj['__proto__'] would change the prototype instead of adding a key; define it instead.
function defineKey(obj: PyDict, key: string, value: PyValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export class PyJsonError extends Error {
  constructor(message: string, readonly offset: number, readonly line: number, readonly column: number) {
    super(`${message} at line ${line}, column ${column}`);
    this.name = 'PyJsonError';
  }
}

/** Parses JSON text keeping Python's int/float distinction. Throws PyJsonError with line and column. */
export function parsePyJson(text: string): PyValue {
  let i = 0;
  const fail = (msg: string): never => {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    const column = i - before.lastIndexOf('\n');
    throw new PyJsonError(msg, i, line, column);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: PyDict = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a string key');
        const key = string();
        ws();
        if (text[i] !== ':') fail("expected ':' after a key");
        i++;
        defineKey(obj, key, value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("expected ',' or '}' in an object");
      }
    }
    if (c === '[') {
      i++;
      const arr: PyValue[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("expected ',' or ']' in an array");
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m && m[0].length > 0 && m[0] !== '-') {
      i += m[0].length;
      const n = Number(m[0]);
      return m[2] || m[3] ? new PyFloat(n) : n;
    }
    return c === undefined ? fail('unexpected end of input') : fail(`unexpected character ${JSON.stringify(c)}`);
  };
  const string = (): string => {
    const start = i;
    i++; // opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined) fail('unterminated string');
      if (c === '"') break;
      if (c === '\\') i++;
      else if (c < ' ') fail('control character in a string');
      i++;
    }
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      i = start;
      return fail('invalid escape in a string');
    }
  };
  const v = value();
  ws();
  if (i < text.length) fail('unexpected text after the JSON value');
  return v;
}

/** JSON text that keeps floats floats (5.0 stays "5.0"), so Python reads back the same types. */
export function stringifyPyJson(v: PyValue): string {
  if (v instanceof PyFloat) {
    if (!Number.isFinite(v.value)) return 'null';
    const s = String(v.value);
    return /[.eE]/.test(s) ? s : `${s}.0`;
  }
  if (Array.isArray(v)) return `[${v.map(stringifyPyJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${stringifyPyJson(x)}`).join(', ')}}`;
  }
  return JSON.stringify(v);
}
