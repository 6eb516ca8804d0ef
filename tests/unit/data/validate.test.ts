// Validation of hand-written good and bad files: every problem kind, with its line and field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import type { Problem } from '../../../src/data/problems.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';

const fixture = (name: string) => new TextDecoder().decode(readFileSync(new URL(`../../fixtures/data/${name}`, import.meta.url)));
const read = (name: string, maxTokens = 4096) => readDatasetText(fixture(name), { tools: ENTERPRISE_TOOLS, maxTokens });
const brief = (p: Problem) => [p.line, p.kind, p.field];

describe('good files', () => {
  it('reads the pipeline sft format: single call, list of calls, plain text, JSON object output, call string', () => {
    const { report, examples } = read('sft_good.jsonl');
    expect(report).toMatchObject({ kind: 'sft', records: 5, valid: 5, invalid: 0, problems: [] });
    const [first, multi, text] = examples;
    expect(first.kind === 'sft' && first.conversation).toEqual({
      system: '当前日期：2025-06-03（星期二），当前用户：王伟（E1001）',
      turns: [
        { role: 'user', content: '明天北京天气咋样' },
        { role: 'assistant', calls: [{ name: 'queryWeather', arguments: { city: '北京', date: '2025-06-04' } }] },
      ],
    });
    expect(multi.kind === 'sft' && multi.conversation.turns[1]).toMatchObject({ calls: [{ arguments: { city: '北京' } }, { arguments: { city: '上海' } }] });
    expect(text.kind === 'sft' && text.conversation.turns[1]).toEqual({ role: 'assistant', calls: [], content: '你好！我可以帮你查天气、订会议室、请假、查订单等。' });
    expect(examples.map((e) => e.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('accepts a UTF-8 BOM and CRLF line ends', () => {
    const { report, examples } = read('sft_bom_crlf.jsonl');
    expect(report.valid).toBe(2);
    expect(examples[0].kind === 'sft' && examples[0].conversation.turns[0]).toEqual({ role: 'user', content: 'IT-0001啥进度了' });
    expect(examples[1].kind === 'sft' && examples[1].conversation.turns[1]).toEqual({ role: 'assistant', calls: [], content: '不客气！' });
  });

  it('reads rm pairs: call strings, JSON calls, conversational form; keeps malformed rejected calls verbatim', () => {
    const { report, examples } = read('rm_good.jsonl');
    expect(report).toMatchObject({ kind: 'rm', valid: 4, invalid: 0 });
    const [dated, malformed, , conversational] = examples;
    expect(dated.kind === 'rm' && dated.prompt.system).toBe('当前日期：2025-06-03（星期二），当前用户：王伟（E1001）');
    expect(malformed.kind === 'rm' && malformed.rejected).toEqual([{ role: 'assistant', calls: [], unparsed: 'getLeaveBalance(employeeId=E1001, leaveType=annual' }]);
    expect(conversational.kind === 'rm' && conversational.chosen).toEqual([{ role: 'assistant', calls: [{ name: 'getItTicketStatus', arguments: { ticketId: 'IT-0003' } }] }]);
  });

  it('reads multi-step conversational chains with arguments as objects or JSON strings, and their own tools', () => {
    const { report, examples } = read('conversational.jsonl');
    expect(report.kind).toBe('conversational');
    const chain = examples[0];
    expect(chain.kind === 'conversational' && chain.conversation.turns.map((t) => t.role)).toEqual(['user', 'assistant', 'tool', 'assistant', 'tool', 'assistant']);
    expect(chain.kind === 'conversational' && chain.conversation.turns[3]).toEqual({
      role: 'assistant',
      calls: [{ name: 'getCalendarEvents', arguments: { employeeId: 'E1003', date: '2025-06-04' } }],
    });
    // Lines 2 and 3 call `ping`, which is only in their own tool list.
    expect(examples.map((e) => e.line)).toEqual([1, 2, 3]);
  });
});

describe('community formats from the hub', () => {
  it('reads ShareGPT conversations with <tool_call> blocks, tool results and tools as JSON text', () => {
    const { report, examples } = read('sharegpt.jsonl');
    expect(report.kind).toBe('conversational');
    const chain = examples[0];
    expect(chain.kind === 'conversational' && chain.conversation).toMatchObject({
      system: 'You are a function calling AI model.',
      tools: [{ type: 'function', function: { name: 'queryWeather' } }],
      turns: [
        { role: 'user' },
        { role: 'assistant', calls: [{ name: 'queryWeather', arguments: { city: 'Beijing' } }] },
        { role: 'tool', results: [{ content: '{"city": "Beijing", "high": 26}' }] },
        { role: 'assistant', calls: [], content: 'It is 26°C in Beijing.' },
      ],
    });
    // Prose that starts like a call stays prose.
    expect(examples[1].kind === 'conversational' && examples[1].conversation.turns[1]).toEqual({ role: 'assistant', calls: [], content: 'max(a, b) returns the larger of the two.' });
    expect(report.problems.map(brief)).toEqual([
      [3, 'bad-call', 'conversations[1].value'],
      [4, 'wrong-type', 'conversations[1].from'],
    ]);
  });

  it('reads xLAM rows (JSON text fields, BFCL-style parameters) and checks answers against their own tools', () => {
    const { report, examples } = read('xlam.json');
    expect(report.kind).toBe('sft');
    expect(examples[0].kind === 'sft' && examples[0].conversation.turns[1]).toEqual({ role: 'assistant', calls: [{ name: 'queryOrderStatus', arguments: { orderId: 'ORD-250003' } }] });
    expect(report.problems.map(brief)).toEqual([
      [3, 'schema', 'answers.limit'],
      [4, 'schema', 'answers'],
    ]);
    expect(report.problems[0].message).toContain('must be integer');
    expect(report.problems[1].message).toContain('missing required argument "q"');
  });
});

describe('TRL implicit-prompt preference', () => {
  it('takes the shared leading messages as the prompt', () => {
    const row = {
      chosen: [{ role: 'user', content: 'IT-0003 status?' }, { role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'getItTicketStatus', arguments: { ticketId: 'IT-0003' } } }] }],
      rejected: [{ role: 'user', content: 'IT-0003 status?' }, { role: 'assistant', content: 'I cannot check tickets.' }],
    };
    const { report, examples } = readDatasetText(JSON.stringify(row), { tools: ENTERPRISE_TOOLS });
    expect(report.problems).toEqual([]);
    expect(examples[0]).toEqual({
      kind: 'rm',
      line: 1,
      prompt: { turns: [{ role: 'user', content: 'IT-0003 status?' }] },
      chosen: [{ role: 'assistant', calls: [{ name: 'getItTicketStatus', arguments: { ticketId: 'IT-0003' } }] }],
      rejected: [{ role: 'assistant', calls: [], content: 'I cannot check tickets.' }],
    });
  });
});

describe('every problem kind, by line and field', () => {
  it('sft: syntax, missing, mistyped, unknown tool, schema, empty prompt, duplicate, bad call, mixed kind, too long', () => {
    const { report, examples } = read('sft_bad.jsonl', 90);
    expect(report.problems.map(brief)).toEqual([
      [2, 'json-syntax', ''],
      [3, 'missing-field', 'output'],
      [4, 'wrong-type', 'instruction'],
      [5, 'unknown-tool', 'output'],
      [6, 'schema', 'output.date'],
      [7, 'empty-prompt', 'instruction'],
      [8, 'duplicate', ''],
      [9, 'bad-call', 'output'],
      [10, 'mixed-kind', ''],
      [11, 'too-long', ''],
      [13, 'bad-call', 'output'],
    ]);
    expect(report.problems[0].message).toMatch(/column 137: trailing comma/);
    expect(report.problems[4].message).toContain('后天');
    expect(report.problems[6].message).toBe('duplicate of line 1');
    expect(report.counts).toEqual({
      'json-syntax': 1, 'missing-field': 1, 'wrong-type': 1, 'unknown-tool': 1, schema: 1, 'empty-prompt': 1,
      duplicate: 1, 'bad-call': 2, 'mixed-kind': 1, 'too-long': 1,
    });
    // The one good line is kept; the blank line 12 is neither a record nor a problem.
    expect(report).toMatchObject({ records: 12, valid: 1, invalid: 11, badLines: [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13] });
    expect(examples.map((e) => e.line)).toEqual([1]);
  });

  it('rm: bad chosen call, missing rejected, empty prompt, identical sides, schema of chosen', () => {
    const { report } = read('rm_bad.jsonl');
    expect(report.problems.map(brief)).toEqual([
      [1, 'bad-call', 'chosen'],
      [2, 'missing-field', 'rejected'],
      [3, 'empty-prompt', 'prompt'],
      [4, 'duplicate', 'rejected'],
      [5, 'schema', 'chosen'],
      [5, 'schema', 'chosen'],
    ]);
    expect(report.problems[0].message).toContain("missing ')'");
  });

  it('rm: keeps TRL\'s optional margin and the rejection kind; names them when mistyped', () => {
    const pair = { prompt: '我年假还剩几天', chosen: 'getLeaveBalance(employeeId=E1001)', rejected: 'getLeaveBalance(employeeId=E1002)' };
    const text = [
      { ...pair, margin: 0.5, rejection_kind: 'wrong-value' },
      { ...pair, chosen: 'getLeaveBalance(employeeId=E1003)', margin: '1' },
      { ...pair, chosen: 'getLeaveBalance(employeeId=E1004)', rejection_kind: 3 },
      { ...pair, chosen: 'getLeaveBalance(employeeId=E1005)' },
    ].map((o) => JSON.stringify(o)).join('\n');
    const { report, examples } = readDatasetText(text, { tools: ENTERPRISE_TOOLS });
    expect(report.problems.map(brief)).toEqual([[2, 'wrong-type', 'margin'], [3, 'wrong-type', 'rejection_kind']]);
    expect(examples).toHaveLength(2);
    expect(examples[0]).toMatchObject({ kind: 'rm', margin: 0.5, rejectionKind: 'wrong-value' });
    expect(examples[1].kind === 'rm' && 'margin' in examples[1]).toBe(false);
  });

  it('ppo: optional response, conversational prompt, blank prompt, mistyped argument', () => {
    const { report, examples } = read('ppo.jsonl');
    expect(report.problems.map(brief)).toEqual([
      [4, 'empty-prompt', 'prompt'],
      [5, 'schema', 'response.orderId'],
    ]);
    expect(examples.map((e) => (e.kind === 'ppo' ? !!e.reference : null))).toEqual([true, false, false]);
  });

  it('conversational: bad arguments JSON, unknown role, mistyped messages, no user message', () => {
    const { report } = read('conversational.jsonl');
    expect(report.problems.map(brief)).toEqual([
      [4, 'bad-call', 'messages[1].tool_calls[0]'],
      [5, 'wrong-type', 'messages[1].role'],
      [6, 'wrong-type', 'messages'],
      [7, 'empty-prompt', 'messages'],
    ]);
  });

  it('JSON arrays: elements keep their line numbers; a broken element is reported, the rest kept', () => {
    const { report, examples } = read('array.json');
    expect(report.problems.map(brief)).toEqual([[5, 'json-syntax', '']]);
    expect(report.problems[0].message).toMatch(/column 20/);
    expect(examples.map((e) => e.line)).toEqual([2, 3, 6]);
  });

  it.each([
    ['table.csv', /CSV/],
    ['image.png.jsonl', /binary/],
    ['empty.jsonl', /empty/],
  ])('%s gets one clear whole-file message', (name, message) => {
    const { report, examples } = read(name);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ line: 0, kind: 'not-jsonl' });
    expect(report.problems[0].message).toMatch(message);
    expect(examples).toEqual([]);
  });

  it('an unclosed JSON array keeps its complete elements and says the array is not closed', () => {
    const { report, examples } = readDatasetText('[\n{"prompt": "a"},\n{"prompt": "b"}\n');
    expect(examples.map((e) => e.line)).toEqual([2, 3]);
    expect(report.problems.map((p) => p.kind)).toEqual(['not-jsonl']);
    expect(report.problems[0].message).toMatch(/never closed/);
  });

  it('a broken first line does not make the file "not JSONL": the good lines after it are kept', () => {
    const { report, examples } = readDatasetText('prompt: oops\n{"prompt": "ok"}\n');
    expect(report.problems.map(brief)).toEqual([[1, 'json-syntax', '']]);
    expect(examples.map((e) => e.line)).toEqual([2]);
  });

  it('a line that is valid JSON but not an object, or has unknown fields, is named', () => {
    const { report } = readDatasetText('{"prompt": "ok"}\n[1, 2]\n{"question": "x", "answer": "y"}\n');
    expect(report.problems.map(brief)).toEqual([
      [2, 'wrong-type', ''],
      [3, 'missing-field', ''],
    ]);
    expect(report.problems[1].message).toContain('question, answer');
  });

  it('caps the listed problems but keeps exact counts', () => {
    const text = Array.from({ length: 50 }, () => '{"prompt": ""}').join('\n');
    const { report } = readDatasetText(text, { maxListedProblems: 10 });
    expect(report.problems).toHaveLength(10);
    expect(report.counts['empty-prompt']).toBe(50);
    expect(report.invalid).toBe(50);
  });
});
