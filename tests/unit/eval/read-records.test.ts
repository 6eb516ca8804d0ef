// Gold and prediction JSONL readers: every accepted shape, bad lines named by file/line/field, ids joined.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatProblem, joinRecords, readGold, readPredictions } from '../../../src/eval/read-records.ts';
import { scoreRecords } from '../../../src/eval/metrics.ts';
import { formatReport } from '../../../src/eval/format-report.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { enterpriseEnvironment } from '../../../src/tools/enterprise/executors.ts';

const goldText = [
  JSON.stringify({ id: 'a', expected: [[{ name: 'queryWeather', arguments: { city: 'Beijing' } }], [{ name: 'getEmployeeInfo', arguments: { employeeId: 'E1001' } }]] }),
  JSON.stringify({ id: 'b', calls: [{ name: 'queryWeather', arguments: { city: 'Shanghai' }, alternatives: { city: ['上海'] } }] }),
  JSON.stringify({ instruction: 'Current date: 2025-06-02 (Monday).', input: 'hi', output: 'Hello!' }),
  '{"id": "bad-json",',
  JSON.stringify({ id: 'c', expected: [[{ name: '', arguments: {} }]] }),
  JSON.stringify({ id: 'a', calls: [] }),
].join('\n');

describe('readGold', () => {
  const { gold, problems } = readGold(goldText, 'gold.jsonl');
  it('reads steps, single-step calls with alternatives, and dataset records (id = line-N)', () => {
    expect(gold.map((g) => g.id)).toEqual(['a', 'b', 'line-3']);
    expect(gold[0].expected).toHaveLength(2);
    expect(gold[1].expected[0][0].alternatives).toEqual({ city: ['上海'] });
    expect(gold[2].expected).toEqual([[]]);
  });
  it('names file, line and field of each bad line and keeps the good ones', () => {
    expect(problems.map(formatProblem)).toEqual([
      expect.stringMatching(/^gold\.jsonl:4: \(line\): not valid JSON: /),
      'gold.jsonl:5: expected[0][0].name: must be a non-empty string',
      'gold.jsonl:6: id: "a" appears twice',
    ]);
  });
});

describe('readPredictions and joinRecords', () => {
  const predText = [
    JSON.stringify({ id: 'a', output: ['<tool_call>{"name":"queryWeather","arguments":{"city":"beijing"}}</tool_call>', 'getEmployeeInfo(employeeId=E1001)'] }),
    JSON.stringify({ id: 'b', sample: 0, calls: [{ name: 'queryWeather', arguments: { city: '上海' } }] }),
    JSON.stringify({ id: 'b', sample: 1, calls: [] }),
    JSON.stringify({ id: 'zzz', output: 'x' }),
    JSON.stringify({ id: 'b', result: 1 }),
  ].join('\n');
  const { preds, problems } = readPredictions(predText, 'pred.jsonl');
  it('reads text per step, decoded calls and samples', () => {
    expect(preds.map((p) => [p.id, p.sample])).toEqual([['a', undefined], ['b', 0], ['b', 1], ['zzz', undefined]]);
    expect(problems.map(formatProblem)).toEqual(['pred.jsonl:5: output: needs "output" (text, or a list of texts per step) or "calls"']);
  });
  it('joins by id; gold without predictions is scored as no call; unknown ids are listed', () => {
    const { gold } = readGold(goldText, 'gold.jsonl');
    const j = joinRecords(gold, preds);
    expect(j.unknown).toEqual(['zzz']);
    expect(j.missing).toEqual(['line-3']);
    const report = scoreRecords(j.records, { tools: ENTERPRISE_TOOLS, environment: enterpriseEnvironment() });
    expect(report.records.map((r) => [r.id, r.chainSuccess])).toEqual([['a', true], ['b', true], ['b', false], ['line-3', true]]);
    expect(report.passAtK[0]).toMatchObject({ k: 1, ids: 3, passAtK: (1 + 0.5 + 1) / 3 });
    // Expected calls: a 2, b 1 per sample (x2), line-3 none = 4; matched: a 2, b sample 0 1 = 3.
    expect(formatReport(report)).toMatch(/Tool-level accuracy\s+75\.0%/);
  });
});

describe('the shipped eval split scores itself perfectly', () => {
  it('its own outputs, read back as model text, match every gold step', () => {
    const text = readFileSync('public/data/eval_data.jsonl', 'utf8');
    const { gold, problems } = readGold(text, 'eval_data.jsonl');
    expect(problems).toEqual([]);
    const preds = text.split('\n').filter(Boolean).map((l, i) => ({ id: `line-${i + 1}`, line: i + 1, predicted: JSON.parse(l).output as string }));
    const report = scoreRecords(joinRecords(gold, preds).records, { tools: ENTERPRISE_TOOLS });
    expect(report.metrics.stepAccuracy).toBe(1);
    expect(report.metrics.formatValidity).toBe(1);
    expect(report.metrics.schemaValidity).toBe(1);
    expect(report.counts.noToolSteps).toBeGreaterThan(0);
  });
});
