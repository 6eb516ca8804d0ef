// Fuzzing the dataset reader (JSONL and JSON-array layouts, streaming decoder): it never throws, no record
// is lost or counted twice, every problem names its line (0 only for the whole file), its field and a known
// kind, none is the reader's own safety net ("could not be checked" = an exception inside the checks),
// and reading the same bytes in random chunks gives exactly the report of reading them whole.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDatasetStream, readDatasetText, type DatasetReadResult } from '../../../src/data/read-dataset.ts';
import { PROBLEM_KINDS } from '../../../src/data/problems.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { mutated, nastyString, RUNS, seeded } from './named-errors.ts';

const GOOD = [
  '{"instruction": "当前日期：2025-06-02（星期一）", "input": "明天北京天气", "output": "queryWeather(city=北京, date=2025-06-03)"}',
  '{"prompt": "帮我查一下假期", "chosen": "getLeaveBalance(employeeId=E1001)", "rejected": "不知道"}',
  '{"prompt": "book the usual room"}',
  '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "queryWeather", "arguments": "{\\"city\\": \\"上海\\"}"}}]}]}',
  '{"conversations": [{"from": "human", "value": "x"}, {"from": "gpt", "value": "y"}]}',
  '{"query": "q", "tools": "[]", "answers": "[{\\"name\\": \\"f\\", \\"arguments\\": {}}]"}',
];
const field = fc.constantFrom('instruction', 'input', 'output', 'prompt', 'chosen', 'rejected', 'response', 'messages', 'tools', 'role', 'content', 'tool_calls', 'conversations', 'query', 'answers', 'system', '__proto__');
const record = fc.oneof(
  fc.constantFrom(...GOOD),
  fc.constantFrom(...GOOD).chain((g) => mutated(g)),
  fc.dictionary(field, fc.oneof(nastyString(), fc.jsonValue({ maxDepth: 3 })), { maxKeys: 5 }).map((o) => JSON.stringify(o)),
  nastyString(60),
);

function checkReport(text: string, r: DatasetReadResult): void {
  const { report, examples } = r;
  const lineCount = text.split('\n').length;
  expect(report.valid).toBe(examples.length);
  expect(report.valid + report.invalid).toBe(report.records);
  for (const p of report.problems) {
    expect(PROBLEM_KINDS).toContain(p.kind);
    expect(p.message.length).toBeGreaterThan(0);
    expect(p.message).not.toMatch(/^could not be checked/);
    expect(typeof p.field).toBe('string');
    expect(p.line).toBeGreaterThanOrEqual(p.kind === 'not-jsonl' ? 0 : 1);
    expect(p.line).toBeLessThanOrEqual(lineCount);
  }
  for (const e of examples) expect(e.line).toBeGreaterThanOrEqual(1);
}

/** The same text as a byte stream cut at the given (seeded) offsets. */
function chunkedStream(bytes: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    pieces.push(bytes.subarray(prev, c));
    prev = c;
  }
  return new ReadableStream({
    pull(ctrl) {
      const p = pieces.shift();
      if (p) ctrl.enqueue(p);
      else ctrl.close();
    },
  });
}

describe('dataset reader fuzz', () => {
  it('JSONL: never throws, accounts for every line, names line, field and kind of every problem', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 10 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), (lines, eol, bom) => {
        const text = (bom ? '\ufeff' : '') + lines.map((l) => l.replace(/[\r\n]/g, ' ')).join(eol);
        const r = readDatasetText(text, { tools: ENTERPRISE_TOOLS });
        checkReport(text, r);
        if (r.report.kind !== null || r.report.problems.every((p) => p.kind !== 'not-jsonl')) {
          const kept = new Set(r.examples.map((e) => e.line));
          const bad = new Set(r.report.badLines);
          const nonBlank = text.split('\n').map((l, i) => [l, i + 1] as const).filter(([l]) => l.replace(/^\ufeff/, '').trim() !== '');
          for (const [, n] of nonBlank) expect(kept.has(n) !== bad.has(n), `line ${n} kept xor bad`).toBe(true);
        }
      }),
      seeded(1501),
    );
  });

  it('JSON array: never throws and names the line of every problem, broken brackets included', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), fc.constantFrom('', ']', ']\n', '] trailing', ',]'), (parts, end) => {
        const text = '[' + parts.join(',\n') + end;
        checkReport(text, readDatasetText(text));
      }),
      seeded(1502),
    );
  });

  it('a byte stream cut anywhere (inside a UTF-8 sequence, a CRLF or a BOM) gives the report of the whole text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), async (lines, cuts, bom) => {
        const text = (bom ? '\ufeff' : '') + lines.map((l) => l.replace(/[\r\n]/g, ' ')).join('\r\n');
        const bytes = new TextEncoder().encode(text);
        const whole = await readDatasetStream(chunkedStream(bytes, []), { tools: ENTERPRISE_TOOLS });
        const cut = await readDatasetStream(chunkedStream(bytes, cuts), { tools: ENTERPRISE_TOOLS });
        expect(cut.report).toEqual(whole.report);
        expect(cut.examples).toEqual(whole.examples);
        checkReport(new TextDecoder().decode(bytes), whole);
      }),
      seeded(1503, Math.ceil(RUNS / 3)), // each case reads the text twice through streams
    );
  });

  it('random bytes (binary, UTF-16, truncated UTF-8) give a file problem or line problems, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom([], [0xff, 0xfe], [0xfe, 0xff], [0xef, 0xbb, 0xbf]), async (body, prefix) => {
        const bytes = new Uint8Array([...prefix, ...body]);
        const r = await readDatasetStream(chunkedStream(bytes, [1, 7, 33]));
        expect(r.report.valid + r.report.invalid).toBe(r.report.records);
        for (const p of r.report.problems) expect(p.message).not.toMatch(/^could not be checked/);
      }),
      seeded(1504),
    );
  });
});
