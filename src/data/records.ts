// Splits a dataset file into raw records with their line numbers, chunk by chunk, so a 100 MB file
// never has to be one string: JSONL line by line, or the elements of a top-level JSON array.

export interface RawRecord {
  /** 1-based line where the record starts. */
  line: number;
  /** 1-based column where it starts (1 for JSONL; array elements may start mid-line). */
  column: number;
  text: string;
}

export type FileLayout = 'jsonl' | 'json-array';

/** Decides how to read a file from its first few KB (BOM already removed), or says why it is not a dataset. */
export function sniffLayout(head: string): { layout: FileLayout } | { problem: string } {
  if (head.includes('\u0000') || countReplacementChars(head) > Math.max(2, head.length / 100)) {
    return { problem: 'this is a binary file, not JSONL: expected UTF-8 text with one JSON object per line' };
  }
  const trimmed = head.trimStart();
  if (trimmed === '') return { problem: 'the file is empty: expected one JSON object per line (JSONL) or a JSON array' };
  if (trimmed[0] === '[') return { layout: 'json-array' };
  // A broken first line must not cost the good lines after it: any object line in the head means JSONL.
  const lines = trimmed.split(/\r?\n/, 50).filter((l) => l.trim() !== '');
  if (lines.some((l) => l.trimStart()[0] === '{')) return { layout: 'jsonl' };
  const firstLine = lines[0];
  if (firstLine.includes(',') || firstLine.includes('\t') || firstLine.includes(';')) {
    return {
      problem: `this looks like a CSV/TSV table (first line: "${firstLine.slice(0, 80)}"), not JSONL: convert it to one JSON object per line, e.g. {"instruction": ..., "input": ..., "output": ...}`,
    };
  }
  return { problem: `this is not JSONL: the first line "${firstLine.slice(0, 80)}" is not a JSON object (lines must start with '{')` };
}

function countReplacementChars(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === 0xfffd) n++;
  return n;
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export interface RecordSplitter {
  /** Feeds more decoded text; returns the records completed by it. */
  push(chunk: string): RawRecord[];
  /** Ends the input: the last record, and a structural problem of the whole file if any. */
  finish(): { records: RawRecord[]; problem?: { line: number; message: string } };
}

export function makeSplitter(layout: FileLayout): RecordSplitter {
  return layout === 'jsonl' ? new JsonlSplitter() : new JsonArraySplitter();
}

/** One record per non-blank line; LF or CRLF. */
export class JsonlSplitter implements RecordSplitter {
  private partial = '';
  private nextLine = 1;

  push(chunk: string): RawRecord[] {
    const out: RawRecord[] = [];
    const text = this.partial + chunk;
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      this.emit(text.slice(start, nl), out);
      start = nl + 1;
    }
    this.partial = text.slice(start);
    return out;
  }

  finish(): { records: RawRecord[] } {
    const out: RawRecord[] = [];
    if (this.partial !== '') this.emit(this.partial, out);
    this.partial = '';
    return { records: out };
  }

  private emit(rawLine: string, out: RawRecord[]): void {
    const line = this.nextLine++;
    const text = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (text.trim() !== '') out.push({ line, column: 1, text });
  }
}

/** The elements of one top-level JSON array, found by tracking brackets and strings. */
export class JsonArraySplitter implements RecordSplitter {
  private state: 'before' | 'between' | 'element' | 'after' = 'before';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  private column = 0;
  private element = '';
  private elementLine = 0;
  private elementColumn = 0;
  private trailing: { line: number; column: number } | null = null;

  push(chunk: string): RawRecord[] {
    const out: RawRecord[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === '\n') {
        this.line++;
        this.column = 0;
      } else {
        this.column++;
      }
      const blank = c === ' ' || c === '\n' || c === '\r' || c === '\t';
      switch (this.state) {
        case 'before':
          if (c === '[') this.state = 'between';
          break;
        case 'between':
          if (blank || c === ',') break;
          if (c === ']') {
            this.state = 'after';
            break;
          }
          this.state = 'element';
          this.element = '';
          this.elementLine = this.line;
          this.elementColumn = this.column;
          this.depth = 0;
          this.scan(c, out);
          break;
        case 'element':
          this.scan(c, out);
          break;
        case 'after':
          if (!blank && !this.trailing) this.trailing = { line: this.line, column: this.column };
          break;
      }
    }
    return out;
  }

  private scan(c: string, out: RawRecord[]): void {
    if (this.inString) {
      this.element += c;
      if (this.escaped) this.escaped = false;
      else if (c === '\\') this.escaped = true;
      else if (c === '"') this.inString = false;
      return;
    }
    if (this.depth === 0 && (c === ',' || c === ']')) {
      out.push({ line: this.elementLine, column: this.elementColumn, text: this.element.trimEnd() });
      this.state = c === ']' ? 'after' : 'between';
      return;
    }
    this.element += c;
    if (c === '"') this.inString = true;
    else if (c === '{' || c === '[') this.depth++;
    else if (c === '}' || c === ']') this.depth--;
  }

  finish(): { records: RawRecord[]; problem?: { line: number; message: string } } {
    const records: RawRecord[] = [];
    if (this.state === 'element') {
      records.push({ line: this.elementLine, column: this.elementColumn, text: this.element.trimEnd() });
      return { records, problem: { line: this.line, message: "the JSON array is never closed: missing ']' at the end of the file" } };
    }
    if (this.state === 'between') {
      return { records, problem: { line: this.line, message: "the JSON array is never closed: missing ']' at the end of the file" } };
    }
    if (this.trailing) {
      return {
        records,
        problem: { line: this.trailing.line, message: `unexpected text after the closing ']' (column ${this.trailing.column})` },
      };
    }
    return { records };
  }
}
