// Invariants of the metrics and the reward on random records (fast-check): a perfect prediction scores 1
// everywhere whatever its form (text or calls, any order within a step); dropping one call costs exactly
// one expected call; the ToolRL reward stays in [-3, 4] and reaches 4 for the right calls. Seeds are fixed
// so CI is reproducible (runs with 3,000 cases per property and random seeds passed while writing them).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scoreRecords, type EvalRecord } from '../../../src/eval/metrics.ts';
import { computeReward, REWARD_PRESETS } from '../../../src/eval/reward.ts';
import { parseModelOutput } from '../../../src/tools/parse-output.ts';
import type { ToolCall } from '../../../src/tools/types.ts';

const name = fc.constantFrom('queryWeather', 'getLeaveBalance', 'bookMeetingRoom', 'searchEmployees', 'math.hypot');
const key = fc.constantFrom('city', 'date', 'employeeId', 'roomId', 'x', 'y', 'tags', 'opts');
const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.boolean());
const dict = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.oneof(scalar, fc.array(fc.integer(), { maxLength: 2 })), { maxKeys: 3 });
const value = fc.oneof(
  scalar, fc.constant(null),
  fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), { maxLength: 3 }),
  dict, fc.array(dict, { maxLength: 2 }),
);
const call: fc.Arbitrary<ToolCall> = fc.record({ name, arguments: fc.dictionary(key, value, { maxKeys: 4 }) });
const steps = fc.array(fc.array(call, { maxLength: 3 }), { minLength: 1, maxLength: 3 });

const hermes = (calls: ToolCall[]) => calls.map((c) => `<tool_call>\n${JSON.stringify(c)}\n</tool_call>`).join('\n') || 'No tool is needed.';

describe('metric invariants', () => {
  it('a perfect prediction scores 1 in every form and order', () => {
    fc.assert(fc.property(steps, fc.boolean(), fc.integer(), (expected, asText, seed) => {
      const shuffled = expected.map((s) => [...s].sort((a, b) => ((JSON.stringify(a).length * 31 + seed) % 7) - ((JSON.stringify(b).length * 31 + seed) % 7)));
      const predicted = asText ? shuffled.map(hermes) : shuffled;
      const r = scoreRecords([{ id: 'x', expected, predicted }]);
      const nCalls = expected.flat().length;
      expect(r.metrics.chainSuccess).toBe(1);
      expect(r.metrics.stepAccuracy).toBe(1);
      expect(r.metrics.intentAccuracy).toBe(1);
      if (nCalls > 0) {
        expect(r.metrics.toolAccuracy).toBe(1);
        expect(r.metrics.toolNameAccuracy).toBe(1);
        expect(r.metrics.exactArgumentMatch).toBe(1);
      }
      if (expected.flat().some((c) => Object.keys(c.arguments).length)) expect(r.metrics.argumentF1).toBe(1);
      if (asText) expect(r.metrics.formatValidity).toBe(1);
    }), { numRuns: 300, seed: 20250602 });
  });

  it('dropping one predicted call costs exactly that call', () => {
    fc.assert(fc.property(steps.filter((s) => s.flat().length > 0), fc.nat(), (expected, pick) => {
      const flat = expected.flatMap((s, i) => s.map((_, j) => [i, j] as const));
      const [si, ci] = flat[pick % flat.length];
      // Identical twins in one step make "which one was dropped" ambiguous but not the count.
      const predicted = expected.map((s, i) => (i === si ? s.filter((_, j) => j !== ci) : s));
      const r = scoreRecords([{ id: 'x', expected, predicted }]);
      expect(r.metrics.toolAccuracy).toBeCloseTo((flat.length - 1) / flat.length, 12);
      expect(r.metrics.chainSuccess).toBe(0);
      expect(r.records[0].steps[si].correct).toBe(false);
    }), { numRuns: 300, seed: 20250602 });
  });

  it('metrics stay in [0, 1] and per-tool counts add up, for any prediction', () => {
    fc.assert(fc.property(fc.array(fc.record({ expected: steps, predicted: steps }), { minLength: 1, maxLength: 4 }), (pairs) => {
      const records: EvalRecord[] = pairs.map((p, i) => ({ id: String(i), ...p }));
      const r = scoreRecords(records);
      for (const v of Object.values(r.metrics)) if (v !== null) expect(v >= 0 && v <= 1).toBe(true);
      expect(r.perTool.reduce((s, t) => s + t.expected, 0)).toBe(r.counts.expectedCalls);
      expect(r.perTool.reduce((s, t) => s + t.predicted, 0)).toBe(r.counts.predictedCalls);
      const matrixTotal = r.confusion.matrix.flat().reduce((a, b) => a + b, 0);
      expect(matrixTotal).toBeGreaterThanOrEqual(Math.max(r.counts.expectedCalls, r.counts.predictedCalls) > 0 ? 1 : 0);
    }), { numRuns: 100, seed: 20250602 });
  });
});

describe('reward invariants', () => {
  it('ToolRL stays in [-3, 4]; 4 exactly for the right calls', () => {
    fc.assert(fc.property(fc.array(call, { maxLength: 3 }), fc.array(call, { maxLength: 3 }), (expected, predicted) => {
      const r = computeReward({ output: hermes(predicted), expected }, REWARD_PRESETS.toolrl);
      expect(r.total).toBeGreaterThanOrEqual(-3 - 1e-9);
      expect(r.total).toBeLessThanOrEqual(4 + 1e-9);
      const perfect = computeReward({ output: hermes(expected), expected }, REWARD_PRESETS.toolrl);
      expect(perfect.total).toBeCloseTo(4, 12);
      expect(computeReward({ output: hermes(expected), expected }, REWARD_PRESETS.binary).total).toBe(1);
    }), { numRuns: 300, seed: 20250602 });
  });

  it('Hermes text round-trips any calls through the parser', () => {
    fc.assert(fc.property(fc.array(call, { minLength: 1, maxLength: 4 }), (calls) => {
      expect(parseModelOutput(hermes(calls)).calls).toEqual(calls);
    }), { numRuns: 300, seed: 20250602 });
  });
});
