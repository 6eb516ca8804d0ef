// Free-running evaluation with a scripted policy gives the figures counted by hand: a chain done right (its calls run
// on the mock world and end in the reference state), a parallel step half done, an unparseable first turn; the
// per-example outputs and transcripts with the world's real results; cancel.
import { describe, expect, it } from 'vitest';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { enterpriseEnvironment } from '../../../src/tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';
import { evaluateModel, EvaluationAborted } from '../../../src/train/model-eval.ts';
import { Engine } from '../../../src/engine/index.ts';
import { loadInferenceModel } from '../../../src/train/load-eval-model.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { scriptedPolicy, toolCallText as call } from '../../helpers/scripted-policy.ts';

const SYSTEM = '当前日期：2025-06-02（星期一），当前用户：朱刚（E1036）';
const fn = (name: string, args: Record<string, unknown>) => ({ type: 'function', function: { name, arguments: args } });
const row = (user: string, steps: Array<{ calls?: ReturnType<typeof fn>[]; results?: string[]; answer?: string }>) => {
  const messages: object[] = [{ role: 'system', content: SYSTEM }, { role: 'user', content: user }];
  for (const s of steps) {
    if (s.answer) messages.push({ role: 'assistant', content: s.answer });
    else {
      messages.push({ role: 'assistant', content: '', tool_calls: s.calls });
      for (const r of s.results ?? []) messages.push({ role: 'tool', content: r });
    }
  }
  return JSON.stringify({ messages });
};

const DATA = [
  row('ORD-250028还能取消吗？能就取消', [
    { calls: [fn('queryOrderStatus', { orderId: 'ORD-250028' })], results: ['{"status":"pending"}'] },
    { calls: [fn('cancelOrder', { orderId: 'ORD-250028' })], results: ['{"status":"cancelled"}'] },
    { answer: '已为你取消。' },
  ]),
  row('比一比明天西安跟纽约的气温', [
    { calls: [fn('queryWeather', { city: '西安', date: '2025-06-03' }), fn('queryWeather', { city: '纽约', date: '2025-06-03' })], results: ['{}', '{}'] },
    { answer: '西安更热。' },
  ]),
  row('我还有几天假', [{ calls: [fn('getLeaveBalance', { employeeId: 'E1036' })], results: ['{}'] }, { answer: '你还有 5 天年假。' }]),
].join('\n');

const SCRIPTS: Record<string, string[]> = {
  ORD: [call('queryOrderStatus', { orderId: 'ORD-250028' }), call('cancelOrder', { orderId: 'ORD-250028' }), '订单已取消。'],
  西安: [call('queryWeather', { city: '西安', date: '2025-06-03' }), '西安明天小雨。'],
  假: ['<tool_call>\n{"name": "getLeaveBalance", "arguments": {'],
};
const pick = (prompt: string) => SCRIPTS[Object.keys(SCRIPTS).find((k) => prompt.includes(k))!];

describe('evaluateModel with a scripted policy', async () => {
  const tok = await ChatTokenizer.fromFiles(folderProvider('public/models/tiny'));
  const { examples } = readDatasetText(DATA, { tools: [...ENTERPRISE_TOOLS] });
  const opts = { tools: [...ENTERPRISE_TOOLS], renderTools: [], environment: enterpriseEnvironment(), sampler: scriptedPolicy(tok, pick), maxNewTokens: 64 };

  it('free-running: the hand-counted figures, outputs and transcripts', async () => {
    expect(examples).toHaveLength(3);
    const progress: number[] = [];
    const r = await evaluateModel(null as never, tok, examples, { ...opts, mode: 'free', batchSize: 2, onProgress: (p) => progress.push(p.done) });
    expect(progress).toEqual([2, 3]);
    const m = r.report.metrics;
    // Expected calls 2 + 2 + 1, matched 2 + 1 + 0; steps 3 + 2 + 2, right 3 + 1 (the answer) + 1 (no call due, none made).
    expect(m.toolAccuracy).toBeCloseTo(3 / 5, 12);
    expect(m.stepAccuracy).toBeCloseTo(5 / 7, 12);
    expect(m.chainSuccess).toBeCloseTo(1 / 3, 12);
    // Text steps 3 + 2 + 1; the last one unparseable.
    expect(m.formatValidity).toBeCloseTo(5 / 6, 12);
    expect(m.noToolAccuracy).toBe(1);
    expect(m.executionSuccess).toBe(1);
    expect(r.report.records.map((x) => [x.id, x.chainSuccess, x.stateMatch])).toEqual([['line-1', true, true], ['line-2', false, true], ['line-3', false, true]]);
    expect(r.outputs.map((o) => o.end)).toEqual(['answer', 'answer', 'unparseable']);
    expect(r.outputs[0].texts).toEqual(SCRIPTS.ORD);
    // The transcript holds the real results of the mock world, not the reference's.
    const tools = r.outputs[0].transcript!.filter((t) => t.role === 'tool');
    expect(tools).toHaveLength(2);
    expect(JSON.stringify(tools[1])).toContain('cancelled');
    expect(JSON.stringify(tools[0])).toContain('Wireless Mouse');
  });

  it("maxToolTurnTokens reaches the runner: results longer than the cap end a chain with 'budget'", async () => {
    // The chain's first result (the order's record) is well over 8 template + result tokens; the default 512 holds it.
    const capped = await evaluateModel(null as never, tok, examples.slice(0, 1), { ...opts, mode: 'free', maxToolTurnTokens: 8 });
    expect(capped.outputs[0].end).toBe('budget');
    expect(capped.outputs[0].texts).toEqual(SCRIPTS.ORD.slice(0, 1));
    const uncapped = await evaluateModel(null as never, tok, examples.slice(0, 1), { ...opts, mode: 'free' });
    expect(uncapped.outputs[0].end).toBe('answer');
  });

  it('cancel: an aborted evaluation throws EvaluationAborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(evaluateModel(null as never, tok, examples, { ...opts, mode: 'free', signal: ac.signal })).rejects.toBeInstanceOf(EvaluationAborted);
  });
});

describe.each(testAdapters())('evaluateModel sampling with the tiny model on %s', (adapter) => {
  it('each batch draws its own noise, and the same seed draws the same episodes', async () => {
    const { model, tokenizer: tok } = await loadInferenceModel(new Engine(await gpuFor(adapter)), folderProvider('public/models/tiny'), [], { chatTemplate: 'model' });
    const { examples } = readDatasetText(DATA, { tools: [...ENTERPRISE_TOOLS] });
    // One prompt twice, one episode per batch: with one seed for every batch both would draw the same tokens.
    const twice = [examples[2], examples[2]];
    const o = { mode: 'free' as const, tools: [...ENTERPRISE_TOOLS], renderTools: [], environment: enterpriseEnvironment(), batchSize: 1, maxNewTokens: 12, temperature: 1, seed: 5 };
    const a = await evaluateModel(model, tok, twice, o);
    expect(a.outputs[0].texts[0]).not.toEqual(a.outputs[1].texts[0]);
    const b = await evaluateModel(model, tok, twice, o);
    expect(b.outputs.map((x) => x.texts)).toEqual(a.outputs.map((x) => x.texts));
  }, 120_000);
});
