// Finds where a JSON text goes wrong, with a message a person can act on (JSON.parse's messages and
// positions differ between engines; this scanner gives the same offset everywhere).

export interface JsonErrorLocation {
  /** 0-based offset into the text. */
  offset: number;
  message: string;
}

/** Returns null when the text is valid JSON, else the first error's offset and a message. */
export function locateJsonError(text: string): JsonErrorLocation | null {
  const scanner = new JsonScanner(text);
  try {
    scanner.skipWs();
    scanner.value();
    scanner.skipWs();
    if (scanner.pos < text.length) scanner.fail('unexpected text after the end of the JSON value');
    return null;
  } catch (e) {
    if (e instanceof ScanError) return { offset: e.offset, message: e.message };
    throw e;
  }
}

/** 1-based line and column of an offset (columns count UTF-16 code units, as editors mostly do). */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class ScanError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

class JsonScanner {
  pos = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  fail(message: string, at = this.pos): never {
    throw new ScanError(message, at);
  }

  private describe(): string {
    return this.pos >= this.text.length ? 'the end of the line' : `'${this.text[this.pos]}'`;
  }

  skipWs(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) this.pos++;
  }

  value(): void {
    const c = this.text[this.pos];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return;
      }
    }
    if (c === "'") this.fail("strings must use double quotes, found '");
    this.fail(`expected a JSON value, found ${this.describe()}`);
  }

  private object(): void {
    if (++this.depth > 512) this.fail('nesting deeper than 512 levels');
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === '}') {
      this.pos++;
      this.depth--;
      return;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail(`expected a property name in double quotes, found ${this.describe()}`);
      this.string();
      this.skipWs();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after the property name, found ${this.describe()}`);
      this.pos++;
      this.skipWs();
      this.value();
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipWs();
        if (this.text[this.pos] === '}') this.fail("trailing comma before '}'");
        continue;
      }
      if (c === '}') {
        this.pos++;
        this.depth--;
        return;
      }
      this.fail(`expected ',' or '}' after a property value, found ${this.describe()}`);
    }
  }

  private array(): void {
    if (++this.depth > 512) this.fail('nesting deeper than 512 levels');
    this.pos++;
    this.skipWs();
    if (this.text[this.pos] === ']') {
      this.pos++;
      this.depth--;
      return;
    }
    for (;;) {
      this.value();
      this.skipWs();
      const c = this.text[this.pos];
      if (c === ',') {
        this.pos++;
        this.skipWs();
        if (this.text[this.pos] === ']') this.fail("trailing comma before ']'");
        continue;
      }
      if (c === ']') {
        this.pos++;
        this.depth--;
        return;
      }
      this.fail(`expected ',' or ']' after an array element, found ${this.describe()}`);
    }
  }

  private string(): void {
    const start = this.pos;
    this.pos++;
    while (this.pos < this.text.length) {
      const code = this.text.charCodeAt(this.pos);
      if (code === 34) {
        this.pos++;
        return;
      }
      if (code < 32) this.fail('unescaped control character (a raw new line or tab) inside a string');
      if (code === 92) {
        const e = this.text[this.pos + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) this.fail('bad \\u escape: needs 4 hex digits');
          this.pos += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail(`bad escape '\\${e ?? ''}' in string`);
        this.pos += 2;
        continue;
      }
      this.pos++;
    }
    this.fail('unterminated string (missing closing ")', start);
  }

  private number(): void {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (!m || m[0] === '-' || m[0] === '') this.fail('bad number');
    this.pos += m[0].length;
  }
}
