// Reward components on hand-computed cases, the ToolRL and binary presets, and the YAML configs.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeReward, parseRewardConfig, REWARD_PRESETS, RewardConfigError } from '../../../src/eval/reward.ts';
import { enterpriseEnvironment } from '../../../src/tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';

const env = enterpriseEnvironment();
const tools = ENTERPRISE_TOOLS;
const call = (name: string, args: Record<string, unknown>) => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
const weather = { name: 'queryWeather', arguments: { city: 'Beijing', date: '2025-06-03' } };

describe('reward components', () => {
  it('one wrong value: ToolRL correctness 6*3/4-3 = 1.5', () => {
    const r = computeReward({ output: call('queryWeather', { city: 'Beijing', date: '2025-06-04' }), expected: [weather], tools, environment: env }, REWARD_PRESETS.toolrl);
    expect(r.components).toEqual({
      format: 1, intent: 1, tool_name: 1, param_names: 1, param_values: 0.5, params: 0, execution: 1, correctness: 1.5, binary: 0,
    });
    expect(r.total).toBeCloseTo(2.5);
    expect(computeReward({ output: call('queryWeather', { city: 'Beijing', date: '2025-06-04' }), expected: [weather], tools, environment: env }, REWARD_PRESETS.pipeline).total).toBe(3);
  });
  it('a perfect call gets the maximum of each preset', () => {
    const out = `<think>weather lookup</think>\n${call('queryWeather', weather.arguments)}`;
    const input = { output: out, expected: [weather], tools, environment: env };
    expect(computeReward(input, REWARD_PRESETS.toolrl).total).toBe(4);
    expect(computeReward(input, REWARD_PRESETS.binary).total).toBe(1);
    expect(computeReward(input, REWARD_PRESETS.pipeline).total).toBe(4);
  });
  it('no tool needed: an answer is rewarded, a call is punished', () => {
    const answer = computeReward({ output: 'Hello! I am fine.', expected: [] }, REWARD_PRESETS.toolrl);
    expect(answer.components).toMatchObject({ format: 1, intent: 1, correctness: 3, binary: 1 });
    const called = computeReward({ output: call('queryWeather', { city: 'Paris' }), expected: [] }, REWARD_PRESETS.toolrl);
    expect(called.components).toMatchObject({ format: 0, intent: 0, tool_name: 0, correctness: -3, binary: 0 });
    expect(called.total).toBe(-3);
  });
  it('a partial answer: half the tools, an extra parameter', () => {
    const expected = [{ name: 'queryWeather', arguments: { city: 'Beijing' } }, { name: 'getLeaveBalance', arguments: { employeeId: 'E1001' } }];
    const r = computeReward({ output: call('queryWeather', { city: 'Beijing', unit: 'celsius' }), expected, tools }, REWARD_PRESETS.toolrl);
    // r_name = 1/2; best pair (qW,qW): param Jaccard 1/2 + 1 value; S_max = 1 + 2 + 2 = 5; R_max = 2.
    expect(r.components.tool_name).toBe(0.5);
    expect(r.components.correctness).toBeCloseTo(6 * 2 / 5 - 3);
    expect(r.components.param_names).toBeCloseTo(0.25);
    expect(r.components.param_values).toBeCloseTo(0.5);
    expect(r.components.params).toBe(0); // "unit" is not in the gold call: BFCL says unexpected parameter
  });
  it('malformed output fails format and intent', () => {
    const r = computeReward({ output: '<tool_call>{"name": "queryWeather", "arguments": {"city": "Beijing"}', expected: [weather] }, REWARD_PRESETS.toolrl);
    expect(r.components).toMatchObject({ format: 0, intent: 0, binary: 0, correctness: 6 * 0 / 4 - 3 });
  });
  it('execution runs after the chain prefix: a room booked there is taken', () => {
    const book = { name: 'bookMeetingRoom', arguments: { roomId: 'BJ-301', date: '2025-06-20', startTime: '10:00', endTime: '11:00', organizerId: 'E1002' } };
    const other = { ...book, arguments: { ...book.arguments, roomId: 'BJ-402' } };
    const fresh = computeReward({ output: call(book.name, book.arguments), expected: [book], tools, environment: env }, REWARD_PRESETS.binary);
    expect(fresh.components).toMatchObject({ execution: 1, binary: 1 });
    // The prefix booked BJ-301; the reference books BJ-402 (free), the prediction insists on BJ-301.
    const taken = computeReward({ output: call(book.name, book.arguments), expected: [other], tools, environment: env, prefix: [book] }, REWARD_PRESETS.pipeline);
    expect(taken.components).toMatchObject({ execution: 0, params: 0 });
  });
  it('a call that fails exactly as its reference does is not punished; a different failure is', () => {
    // BJ-301 is booked twice in a row: the second booking fails for the reference too (conflict).
    const book = { name: 'bookMeetingRoom', arguments: { roomId: 'BJ-301', date: '2025-06-20', startTime: '10:00', endTime: '11:00', organizerId: 'E1002' } };
    const same = computeReward({ output: call(book.name, book.arguments), expected: [book], tools, environment: env, prefix: [book] }, REWARD_PRESETS.binary);
    expect(same.components).toMatchObject({ execution: 1, binary: 1 });
    // A wrong organizer fails with not_found where the reference fails with conflict.
    const other = computeReward({ output: call(book.name, { ...book.arguments, organizerId: 'E9999' }), expected: [book], tools, environment: env, prefix: [book] }, REWARD_PRESETS.pipeline);
    expect(other.components.execution).toBe(0);
  });
  it('requireThink makes the format component demand a <think> block', () => {
    const cfg = { ...REWARD_PRESETS.toolrl, requireThink: true };
    expect(computeReward({ output: call('queryWeather', weather.arguments), expected: [weather] }, cfg).components.format).toBe(0);
    expect(computeReward({ output: `<think>x</think>${call('queryWeather', weather.arguments)}`, expected: [weather] }, cfg).components.format).toBe(1);
  });
});

describe('reward configs', () => {
  it('the shipped YAML files give the presets', () => {
    expect(parseRewardConfig(readFileSync('configs/reward_toolrl.yaml', 'utf8'))).toEqual(REWARD_PRESETS.toolrl);
    expect(parseRewardConfig(readFileSync('configs/reward_binary.yaml', 'utf8'))).toEqual(REWARD_PRESETS.binary);
    expect(parseRewardConfig(readFileSync('configs/reward.yaml', 'utf8'))).toEqual({ ...REWARD_PRESETS.pipeline, weights: { ...REWARD_PRESETS.pipeline.weights, format: 0 } });
  });
  it('names the line and the valid choices on bad input', () => {
    const bad = (t: string) => { try { parseRewardConfig(t, 'r.yaml'); } catch (e) { return e as RewardConfigError; } throw new Error('no error'); };
    expect(bad('weights:\n  format: 1\n  corectness: 1\n').message).toMatch(/^r\.yaml:3: weights\.corectness: unknown component; expected one of format, .*correctness/);
    expect(bad('weights:\n  format: high\n').message).toBe('r.yaml:2: weights.format: weight must be a number, got "high"');
    expect(bad('preset: toolrll\n').message).toMatch(/^r\.yaml:1: preset: unknown preset "toolrll"/);
    expect(bad('wieghts:\n  format: 1\n').message).toMatch(/^r\.yaml:1: wieghts: unknown key/);
  });
});

describe('summariseRewards', () => {
  it('averages totals and components over text steps, chains rewarded after their prefix', async () => {
    const { summariseRewards } = await import('../../../src/eval/reward-summary.ts');
    const book = { name: 'bookMeetingRoom', arguments: { roomId: 'BJ-301', date: '2025-06-20', startTime: '10:00', endTime: '11:00', organizerId: 'E1002' } };
    const records = [
      { id: 'a', expected: [[weather]], predicted: call('queryWeather', weather.arguments) },
      { id: 'b', expected: [[]], predicted: [weather] }, // decoded calls: no text, skipped
      // Two steps that book the same room: the second runs after the first and must fail to execute.
      { id: 'c', expected: [[book], [book]], predicted: [call(book.name, book.arguments), call(book.name, book.arguments)] },
    ];
    const [binary, toolrl] = summariseRewards(records, [REWARD_PRESETS.binary, REWARD_PRESETS.toolrl], { tools, environment: env });
    expect(binary.steps).toBe(3);
    expect(binary.meanTotal).toBe(1);
    expect(binary.meanComponents.execution).toBe(1);
    expect(toolrl.meanTotal).toBeCloseTo(4);
  });
});
