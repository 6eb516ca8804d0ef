// The function-call string form `queryWeather(location=北京, date=2025-04-24)`: parser and printer.
//
// Grammar (whitespace allowed between tokens):
//   calls := call ( (';' | newline) call )*
//   call  := name '(' [ arg ( ',' arg )* [','] ] ')'
//   arg   := name '=' value
//   value := "json string" | 'single-quoted string' | JSON array / object | bare text
// Bare text runs to the next ',' or ')' at the top level and is trimmed; a bare `true`, `false`,
// `null` or JSON number becomes that value, everything else is a string. The printer quotes every
// string that would not read back as itself, so parse(print(calls)) gives the same calls.

import type { ToolCall } from './types.ts';

export interface CallStringError {
  error: string;
  /** 0-based offset into the text where the problem was found. */
  position: number;
}

export type CallStringResult = { calls: ToolCall[] } | CallStringError;

const NAME_START = /[A-Za-z_$\u00C0-\uFFFF]/;
const NAME_CHAR = /[A-Za-z0-9_$.\-\u00C0-\uFFFF]/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** Parses one or more calls. Never throws: a malformed text gives an error with its offset. */
export function parseCallString(text: string): CallStringResult {
  try {
    return { calls: new CallStringParser(text).parseAll() };
  } catch (e) {
    if (e instanceof ParseFailure) return { error: e.message, position: e.position };
    throw e;
  }
}

/** Prints calls as `name(key=value, ...)`, several calls separated by `; `. */
export function printCallString(calls: readonly ToolCall[]): string {
  return calls.map(printOneCall).join('; ');
}

/**
 * For showing calls to a user: the call-string form when every tool and parameter name allows it, else one
 * JSON object per line (a dataset may call a tool named anything). Never throws.
 */
export function displayCalls(calls: readonly ToolCall[]): string {
  try {
    return printCallString(calls);
  } catch {
    return calls.map((c) => JSON.stringify({ name: c.name, arguments: c.arguments })).join('\n');
  }
}

function printOneCall(call: ToolCall): string {
  if (!isName(call.name)) throw new Error(`printCallString: '${call.name}' is not a valid tool name`);
  for (const key of Object.keys(call.arguments)) {
    if (!isName(key)) throw new Error(`printCallString: '${key}' is not a valid parameter name of '${call.name}'`);
  }
  const args = Object.entries(call.arguments).map(([key, value]) => `${key}=${printValue(value)}`);
  return `${call.name}(${args.join(', ')})`;
}

function printValue(value: unknown): string {
  if (typeof value === 'string') return needsQuotes(value) ? JSON.stringify(value) : value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`printCallString: ${value} is not a JSON number`);
    return JSON.stringify(value);
  }
  if (value === undefined) return 'null';
  return JSON.stringify(value);
}

function isName(s: string): boolean {
  return s.length > 0 && NAME_START.test(s[0]) && [...s].every((c) => NAME_CHAR.test(c));
}

/** A string can stay bare only when it reads back as the same string. */
function needsQuotes(s: string): boolean {
  if (s.length === 0 || s.trim() !== s) return true;
  if (s === 'true' || s === 'false' || s === 'null' || JSON_NUMBER.test(s)) return true;
  if (/[,()"'=;\n\r\\[\]{}]/.test(s)) return true;
  return false;
}

class ParseFailure extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

class CallStringParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseAll(): ToolCall[] {
    const calls: ToolCall[] = [];
    this.skipSeparators();
    if (this.pos >= this.text.length) this.fail('expected a call like name(key=value), found nothing');
    while (this.pos < this.text.length) {
      calls.push(this.parseCall());
      const before = this.pos;
      this.skipSpaces();
      if (this.pos >= this.text.length) break;
      const c = this.text[this.pos];
      if (c !== ';' && c !== '\n' && c !== '\r') {
        this.fail(`expected ';' or a new line between calls, found '${c}'`, before);
      }
      this.skipSeparators();
    }
    return calls;
  }

  private parseCall(): ToolCall {
    const name = this.parseName('tool name');
    this.skipSpaces();
    this.expect('(', `expected '(' after tool name '${name}'`);
    const args: Record<string, unknown> = {};
    this.skipWhitespace();
    while (this.peek() !== ')') {
      const keyAt = this.pos;
      const key = this.parseName('parameter name');
      if (Object.prototype.hasOwnProperty.call(args, key)) this.fail(`parameter '${key}' given twice`, keyAt);
      this.skipSpaces();
      this.expect('=', `expected '=' after parameter '${key}'`);
      this.skipSpaces();
      args[key] = this.parseValue();
      this.skipWhitespace();
      if (this.peek() === ',') {
        this.pos++;
        this.skipWhitespace();
      } else if (this.peek() !== ')') {
        this.fail(this.pos >= this.text.length ? `missing ')' to close '${name}('` : `expected ',' or ')'`);
      }
    }
    this.pos++; // ')'
    return { name, arguments: args };
  }

  private parseName(what: string): string {
    const start = this.pos;
    if (!NAME_START.test(this.text[this.pos] ?? '')) {
      this.fail(this.pos >= this.text.length ? `expected ${what}, found end of text` : `expected ${what}, found '${this.text[this.pos]}'`);
    }
    while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos]) && this.text[this.pos] !== '=') this.pos++;
    return this.text.slice(start, this.pos);
  }

  private parseValue(): unknown {
    const c = this.peek();
    if (c === '"') return this.parseJsonString();
    if (c === "'") return this.parseSingleQuoted();
    if (c === '[' || c === '{') return this.parseJsonBlock();
    return this.parseBare();
  }

  private parseJsonString(): string {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length && this.text[this.pos] !== '"') {
      this.pos += this.text[this.pos] === '\\' ? 2 : 1;
    }
    if (this.pos >= this.text.length) this.fail('unterminated string', start);
    this.pos++;
    try {
      return JSON.parse(this.text.slice(start, this.pos)) as string;
    } catch {
      this.fail('bad escape in string', start);
    }
  }

  private parseSingleQuoted(): string {
    const start = this.pos;
    this.pos++;
    let out = '';
    while (this.pos < this.text.length && this.text[this.pos] !== "'") {
      const ch = this.text[this.pos];
      if (ch === '\\' && this.pos + 1 < this.text.length) {
        const next = this.text[this.pos + 1];
        out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
        this.pos += 2;
      } else {
        out += ch;
        this.pos++;
      }
    }
    if (this.pos >= this.text.length) this.fail('unterminated string', start);
    this.pos++;
    return out;
  }

  /** A JSON array or object: find its matching close bracket (skipping strings), then JSON.parse it. */
  private parseJsonBlock(): unknown {
    const start = this.pos;
    let depth = 0;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos];
      if (ch === '"') {
        this.pos++;
        while (this.pos < this.text.length && this.text[this.pos] !== '"') this.pos += this.text[this.pos] === '\\' ? 2 : 1;
      } else if (ch === '[' || ch === '{') {
        depth++;
      } else if (ch === ']' || ch === '}') {
        depth--;
        if (depth === 0) {
          this.pos++;
          try {
            return JSON.parse(this.text.slice(start, this.pos));
          } catch (e) {
            this.fail(`value is not valid JSON: ${(e as Error).message}`, start);
          }
        }
      }
      this.pos++;
    }
    this.fail('unclosed JSON value', start);
  }

  private parseBare(): unknown {
    const start = this.pos;
    while (this.pos < this.text.length && !',)\n;'.includes(this.text[this.pos])) this.pos++;
    const raw = this.text.slice(start, this.pos).trim();
    if (raw === '') this.fail('missing value', start);
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    if (raw === 'null') return null;
    if (JSON_NUMBER.test(raw) && Number.isFinite(Number(raw))) return Number(raw);
    return raw;
  }

  private skipSpaces(): void {
    while (this.pos < this.text.length && (this.text[this.pos] === ' ' || this.text[this.pos] === '\t')) this.pos++;
  }

  /** Inside the parentheses a call may span lines. */
  private skipWhitespace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private skipSeparators(): void {
    while (this.pos < this.text.length && /[\s;]/.test(this.text[this.pos])) this.pos++;
  }

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private expect(ch: string, message: string): void {
    if (this.text[this.pos] !== ch) this.fail(message);
    this.pos++;
  }

  private fail(message: string, position = this.pos): never {
    throw new ParseFailure(message, position);
  }
}
