// Every metric on hand-made records whose answers are worked out by hand in the comments.

import { describe, expect, it } from 'vitest';
import { scoreRecords, NO_TOOL, type EvalRecord } from '../../../src/eval/metrics.ts';
import { passAtK, passHatK } from '../../../src/eval/pass-at-k.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { enterpriseEnvironment } from '../../../src/tools/enterprise/executors.ts';
import { DEFAULT_WORLD } from '../../../src/tools/enterprise/world.ts';

const qw = (city: string, date?: string) => ({ name: 'queryWeather', arguments: date ? { city, date } : { city } });
const hermes = (calls: { name: string; arguments: object }[]) => calls.map((c) => `<tool_call>\n${JSON.stringify(c)}\n</tool_call>`).join('\n');

const records: EvalRecord[] = [
  // r1: right call; "beijing" matches "Beijing" after BFCL normalisation, but is not an exact match.
  { id: 'r1', expected: [[qw('Beijing', '2025-06-03')]], predicted: hermes([qw('beijing', '2025-06-03')]) },
  // r2: right tool, wrong employee, an unexpected argument with an invalid enum value.
  { id: 'r2', expected: [[{ name: 'getLeaveBalance', arguments: { employeeId: 'E1001' } }]], predicted: [{ name: 'getLeaveBalance', arguments: { employeeId: 'E1002', leaveType: 'vacation' } }] },
  // r3: no tool needed, none called.
  { id: 'r3', expected: [[]], predicted: '<think>chit-chat</think>Hello! How can I help?' },
  // r4: no tool needed, but the model called one.
  { id: 'r4', expected: [[]], predicted: [qw('Shanghai')] },
  // r5: two parallel calls, predicted in the other order.
  { id: 'r5', expected: [[qw('Beijing'), qw('Shanghai')]], predicted: [qw('Shanghai'), qw('Beijing')] },
  // r6: malformed output (unclosed tag).
  { id: 'r6', expected: [[qw('Beijing')]], predicted: '<tool_call>{"name": "queryWeather", "arguments": {"city": "Beijing"}}' },
];

describe('scoreRecords on hand-made cases', () => {
  const report = scoreRecords(records, { tools: ENTERPRISE_TOOLS, environment: enterpriseEnvironment() });
  const m = report.metrics;

  it('counts', () => {
    expect(report.counts).toEqual({ records: 6, ids: 6, steps: 6, expectedCalls: 5, predictedCalls: 5, noToolSteps: 2 });
  });
  it('tool-level, name and exact-argument accuracy', () => {
    expect(m.toolAccuracy).toBeCloseTo(3 / 5); // r1, r5 x2
    expect(m.toolNameAccuracy).toBeCloseTo(4 / 5); // + r2
    expect(m.exactArgumentMatch).toBeCloseTo(2 / 5); // r5 x2 (r1 differs in case)
  });
  it('argument precision, recall and F1', () => {
    // gold args: r1 2 + r2 1 + r5 2 + r6 1 = 6; predicted args: r1 2 + r2 2 + r4 1 + r5 2 = 7; correct: r1 2 + r5 2 = 4.
    expect(m.argumentPrecision).toBeCloseTo(4 / 7);
    expect(m.argumentRecall).toBeCloseTo(4 / 6);
    expect(m.argumentF1).toBeCloseTo(8 / 13);
  });
  it('format, schema and execution validity', () => {
    expect(m.formatValidity).toBeCloseTo(2 / 3); // text steps r1, r3, r6; r6 malformed
    expect(m.schemaValidity).toBeCloseTo(4 / 5); // r2's leaveType "vacation" breaks the enum
    expect(m.executionSuccess).toBeCloseTo(4 / 5); // the same call fails to execute
  });
  it('no-tool and intent accuracy, step and chain success', () => {
    expect(m.noToolAccuracy).toBeCloseTo(1 / 2);
    expect(m.intentAccuracy).toBeCloseTo(4 / 6); // wrong: r4 (called), r6 (nothing parsed)
    expect(m.stepAccuracy).toBeCloseTo(3 / 6);
    expect(m.chainSuccess).toBeCloseTo(3 / 6);
    expect(report.records.map((r) => r.chainSuccess)).toEqual([true, false, true, false, true, false]);
    expect(report.records[5].steps[0].errors[0]).toMatch(/^format: <tool_call> is never closed/);
  });
  it('per-tool breakdown and confusion table', () => {
    expect(report.perTool).toEqual([
      { name: 'queryWeather', expected: 4, predicted: 4, nameHits: 3, correct: 3, accuracy: 0.75 },
      { name: 'getLeaveBalance', expected: 1, predicted: 1, nameHits: 1, correct: 0, accuracy: 0 },
    ]);
    expect(report.confusion.labels).toEqual(['getLeaveBalance', 'queryWeather', NO_TOOL]);
    expect(report.confusion.matrix).toEqual([
      [1, 0, 0],
      [0, 3, 1], // r6 missed
      [0, 1, 1], // r4 spurious, r3 right abstention
    ]);
  });
  it('has no pass@k with one sample per id', () => {
    expect(report.passAtK).toEqual([]);
  });
});

describe('gold alternatives (BFCL possible answers in our data)', () => {
  const gold = { name: 'queryWeather', arguments: { city: 'Beijing' }, alternatives: { city: ['北京'], unit: ['celsius', ''] } };
  const score = (args: Record<string, unknown>) => scoreRecords([{ id: 'x', expected: [[gold]], predicted: [{ name: 'queryWeather', arguments: args }] }]).metrics.toolAccuracy;
  it('accepts any allowed value and an omitted optional parameter', () => {
    expect(score({ city: 'Beijing' })).toBe(1);
    expect(score({ city: '北京', unit: 'celsius' })).toBe(1);
    expect(score({ city: 'Beijing', unit: 'fahrenheit' })).toBe(0);
    expect(score({ city: 'Shanghai' })).toBe(0);
    expect(score({})).toBe(0);
  });
});

describe('chains', () => {
  const emp = DEFAULT_WORLD.employees[5].id;
  const slot = { date: '2025-06-10', startTime: '09:00', endTime: '10:00' };
  const room = DEFAULT_WORLD.rooms.find((r) => !DEFAULT_WORLD.bookings.some((b) => b.roomId === r.id && b.date === slot.date))!.id;
  const search = { name: 'searchMeetingRooms', arguments: { ...slot, minCapacity: 4 } };
  const book = (title: string) => ({ name: 'bookMeetingRoom', arguments: { roomId: room, ...slot, title, organizerId: emp } });
  const expected = [[search], [book('Design review')]];
  const run = (predicted: EvalRecord['predicted']) =>
    scoreRecords([{ id: 'c', expected, predicted }], { tools: ENTERPRISE_TOOLS, environment: enterpriseEnvironment() }).records[0];

  it('succeeds when every step is right and the final state matches', () => {
    const r = run([[search], [book('Design review')]]);
    expect(r).toMatchObject({ chainSuccess: true, stateMatch: true, executionErrors: [] });
  });
  it('fails when steps come out of order', () => {
    const r = run([[book('Design review')], [search]]);
    expect(r.steps.map((s) => s.correct)).toEqual([false, false]);
    expect(r.chainSuccess).toBe(false);
  });
  it('fails on final state even when each call passes the AST check', () => {
    // "design review" equals "Design review" after normalisation, but the booking stored differs.
    const r = run([[search], [book('design review')]]);
    expect(r.steps.every((s) => s.correct)).toBe(true);
    expect(r).toMatchObject({ stateMatch: false, chainSuccess: false });
  });
  it('fails when a step is missing', () => {
    expect(run([[search]]).chainSuccess).toBe(false);
  });
});

describe('pass@k and pass^k', () => {
  it('match the binomial formulas', () => {
    const C = (n: number, k: number): number => (k < 0 || k > n ? 0 : k === 0 ? 1 : (C(n - 1, k - 1) * n) / k);
    for (const [n, c, k] of [[4, 2, 1], [4, 2, 2], [10, 3, 4], [10, 0, 3], [10, 10, 5], [7, 6, 7]]) {
      expect(passAtK(n, c, k)).toBeCloseTo(1 - C(n - c, k) / C(n, k), 12);
      expect(passHatK(n, c, k)).toBeCloseTo(C(c, k) / C(n, k), 12);
    }
    expect(() => passAtK(3, 4, 1)).toThrow(/0 <= c <= n/);
  });
  it('are reported over samples of the same id', () => {
    const ok = [qw('Beijing')];
    const bad = [qw('Paris')];
    const recs: EvalRecord[] = [ok, bad, ok, bad].map((p, i) => ({ id: 'a', sample: i, expected: [[qw('Beijing')]], predicted: p }));
    const table = scoreRecords(recs).passAtK;
    expect(table.map((t) => t.k)).toEqual([1, 2, 4]);
    expect(table[0].passAtK).toBeCloseTo(0.5);
    expect(table[1].passAtK).toBeCloseTo(5 / 6);
    expect(table[1].passHatK).toBeCloseTo(1 / 6);
    expect(table[2]).toMatchObject({ passAtK: 1, passHatK: 0 });
  });
});
