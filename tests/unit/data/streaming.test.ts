// The streaming reader: chunks split anywhere (even inside a UTF-8 character or a CRLF) give the same
// report as reading the whole text, with progress that ends at the file size.
import { describe, expect, it } from 'vitest';
import { readDatasetStream, readDatasetText } from '../../../src/data/read-dataset.ts';
import { Rng } from '../../../src/util/rng.ts';

function bigJsonl(rows: number): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    if (i % 997 === 13) lines.push('{"prompt": "坏行", "response": }');
    else lines.push(JSON.stringify({ prompt: `第${i}个问题：明天北京天气怎么样？ row ${i}`, response: `queryWeather(city=北京, date=2025-06-0${(i % 7) + 1})` }));
  }
  return '\ufeff' + lines.join('\r\n') + '\r\n';
}

function chunkedStream(bytes: Uint8Array, rng: Rng): ReadableStream<Uint8Array> {
  let pos = 0;
  return new ReadableStream({
    pull(controller) {
      if (pos >= bytes.length) return controller.close();
      const n = 1 + rng.int(70_000);
      controller.enqueue(bytes.slice(pos, pos + n));
      pos += n;
    },
  });
}

function byteByByte(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let pos = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (pos >= bytes.length) c.close();
      else c.enqueue(bytes.slice(pos, ++pos));
    },
  });
}

describe('readDatasetStream', () => {
  it('matches the whole-text reading on a 2 MB file cut into random chunks', async () => {
    const text = bigJsonl(20_000);
    const bytes = new TextEncoder().encode(text);
    expect(bytes.length).toBeGreaterThan(2_000_000);
    const progress: number[] = [];
    const streamed = await readDatasetStream(chunkedStream(bytes, new Rng(7)), {
      totalBytes: bytes.length,
      onProgress: (read, total) => {
        expect(total).toBe(bytes.length);
        progress.push(read);
      },
    });
    const whole = readDatasetText(text);
    expect(streamed.report).toEqual(whole.report);
    expect(streamed.examples).toEqual(whole.examples);
    expect(streamed.report.invalid).toBe(21);
    expect(streamed.report.valid).toBe(20_000 - 21);
    expect(streamed.report.badLines[0]).toBe(14);
    expect(progress.length).toBeGreaterThan(20);
    expect(progress.every((v, i) => i === 0 || v > progress[i - 1])).toBe(true);
    expect(progress[progress.length - 1]).toBe(bytes.length);
  });

  it('reads UTF-16 files (with their BOM) as well as UTF-8', async () => {
    const text = '{"prompt": "明天北京天气", "response": "queryWeather(city=北京)"}\r\n{"prompt": ""}\r\n';
    for (const [bom, encode] of [
      [[0xff, 0xfe], (s: string) => Buffer.from(s, 'utf16le')],
      [[0xfe, 0xff], (s: string) => Buffer.from(s, 'utf16le').swap16()],
    ] as const) {
      const bytes = new Uint8Array([...bom, ...encode(text)]);
      for (const stream of [chunkedStream(bytes, new Rng(3)), byteByByte(bytes)]) {
        const r = await readDatasetStream(stream);
        expect(r.report.problems.map((p) => [p.line, p.kind])).toEqual([[2, 'empty-prompt']]);
        expect(r.examples[0].kind === 'ppo' && r.examples[0].prompt.turns[0]).toEqual({ role: 'user', content: '明天北京天气' });
      }
    }
  });

  it('reads files of zero and one byte', async () => {
    expect((await readDatasetStream(byteByByte(new Uint8Array(0)))).report.problems[0].message).toMatch(/empty/);
    expect((await readDatasetStream(byteByByte(new TextEncoder().encode('x')))).report.problems[0].kind).toBe('not-jsonl');
  });

  it('handles a JSON array split one byte at a time', async () => {
    const text = '[{"prompt": "北京"},\n {"prompt": "上海", "response": "queryWeather(city=上海)"}]';
    const r = await readDatasetStream(byteByByte(new TextEncoder().encode(text)));
    expect(r.report.problems).toEqual([]);
    expect(r.examples.map((e) => e.line)).toEqual([1, 2]);
  });
});
