// The exported HTML report is one self-contained file: no script, no external reference, a CSP that forbids both,
// model output and ids as escaped text, the comparison's figures and SVG charts in it. The JSON file reads back
// (and a malformed one is refused with its field named). Evaluations persist in IndexedDB.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { compareEvaluations } from '../../../src/eval/compare.ts';
import { escapeHtml, evaluationReportHtml } from '../../../src/eval/html-report.ts';
import { scoreRecords } from '../../../src/eval/metrics.ts';
import { evaluationFile, readEvaluationFile, type ModelEvaluation } from '../../../src/eval/model-evaluation.ts';
import { EvaluationStore } from '../../../src/store/evaluations.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';

const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';
const gold = [{ name: 'queryWeather', arguments: { city: 'Beijing' } }];
const call = '<tool_call>\n{"name": "queryWeather", "arguments": {"city": "Beijing"}}\n</tool_call>';

function ev(label: string, outputs: string[]): ModelEvaluation {
  const ids = ['a', 'b', HOSTILE];
  const report = scoreRecords(ids.map((id, i) => ({ id, expected: [gold], predicted: outputs[i] })), { tools: [...ENTERPRISE_TOOLS] });
  return {
    id: label, createdAt: 1_700_000_000_000, model: { label, source: label }, dataset: { label: 'd.jsonl', examples: 3 }, mode: 'free',
    settings: { maxNewTokens: 32, promptTools: 'listed', executed: false }, report,
    outputs: ids.map((id, i) => ({ id, texts: [outputs[i]] })), tokensPerSecond: 10, seconds: 1,
  };
}

const base = ev('base', ['no', HOSTILE, 'no']);
const tuned = ev('tuned <b>v2</b>', [call, call, call]);

describe('HTML report', () => {
  const cmp = compareEvaluations([base, tuned], { resamples: 200 });
  const html = evaluationReportHtml([base, tuned], cmp);

  it('has no script, no external reference, and a CSP forbidding both', () => {
    expect(html).not.toMatch(/<script/i);
    // No tag carries an event handler or a source (escaped model text may spell them, as text).
    expect(html).not.toMatch(/<[^>]*\son\w+=/i);
    expect(html).not.toMatch(/<[^>]*\s(src|href)=/i);
    // The only URL is the SVG namespace, which names, never loads.
    expect([...html.matchAll(/https?:\/\/[^\s"'<>]+/g)].every((m) => m[0] === 'http://www.w3.org/2000/svg')).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('model output, ids and labels are escaped text', () => {
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).not.toContain('<img');
    expect(html).toContain('tuned &lt;b&gt;v2&lt;/b&gt;');
  });

  it('holds the comparison: metrics with deltas and tests, charts, the fixed examples with both outputs', () => {
    expect(html).toContain('McNemar: 3 fixed, 0 broken, p = 0.250');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3);
    expect(html).toContain('Fixed by tuned &lt;b&gt;v2&lt;/b&gt; (3)');
    expect(html).toContain(escapeHtml('{"name": "queryWeather"'));
    expect(html).toContain('+100.0');
  });

  it('a single evaluation gives a report without a comparison', () => {
    const one = evaluationReportHtml([base], null);
    expect(one).toContain('Tool-level accuracy');
    expect(one).not.toContain('Fixed by');
    expect(() => evaluationReportHtml([], null)).toThrow(/at least one/);
  });
});

describe('evaluation files and the store', () => {
  it('the JSON file reads back; a malformed one names the field', () => {
    const text = JSON.stringify(evaluationFile([base, tuned]));
    expect(readEvaluationFile(text, 'r.json').map((e) => e.model.label)).toEqual(['base', 'tuned <b>v2</b>']);
    const bad = JSON.parse(text);
    bad.evaluations[1].mode = 'sideways';
    expect(() => readEvaluationFile(JSON.stringify(bad), 'r.json')).toThrow('r.json: evaluations[1].mode: must be one of free, teacher-forced');
    delete bad.evaluations[0].report.records[0].counts;
    expect(() => readEvaluationFile(JSON.stringify(bad), 'r.json')).toThrow('r.json: evaluations[0].report.records[0]: must be a scored record');
    expect(() => readEvaluationFile('{"x": 1}', 'r.json')).toThrow(/field "evaluations" must be a list/);
    expect(() => readEvaluationFile('{', 'r.json')).toThrow(/r.json: not valid JSON/);
  });

  it('IndexedDB keeps whole evaluations, newest first, and by run', async () => {
    const store = new EvaluationStore(`test-evals-${Date.now()}`);
    await store.put({ ...base, createdAt: 1 });
    await store.put({ ...tuned, createdAt: 2, runId: 'run-7' });
    const list = await store.list();
    expect(list.map((e) => e.id)).toEqual(['tuned <b>v2</b>', 'base']);
    expect(list[1]).toEqual({ ...base, createdAt: 1 });
    expect((await store.forRun('run-7')).map((e) => e.id)).toEqual(['tuned <b>v2</b>']);
    await store.remove('base');
    expect((await store.list()).length).toBe(1);
  });
});
