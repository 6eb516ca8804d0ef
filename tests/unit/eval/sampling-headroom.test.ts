// samplingHeadroom on hand-counted runs: pass@k from the per-example counts, the greedy failures a sample got right,
// and the errors when the runs did not score the same examples.
import { describe, expect, it } from 'vitest';
import { samplingHeadroom, samplingHeadroomLines } from '../../../src/eval/sampling-headroom.ts';

const rec = (id: string, chainSuccess: boolean) => ({ id, chainSuccess });
const greedy = [rec('a', true), rec('b', false), rec('c', false), rec('d', true), rec('e', false)];
// Right per example over 3 samples (records in another order than greedy's): a 3, b 1, c 0, d 2, e 2.
const runs = [
  { toolAccuracy: 0.5, records: [rec('e', true), rec('d', true), rec('c', false), rec('b', false), rec('a', true)] },
  { toolAccuracy: 0.25, records: [rec('a', true), rec('b', true), rec('c', false), rec('d', false), rec('e', true)] },
  { toolAccuracy: null, records: [rec('a', true), rec('b', false), rec('c', false), rec('d', true), rec('e', false)] },
];

describe('samplingHeadroom', () => {
  it('counts what the samples got right against the greedy run', () => {
    const h = samplingHeadroom(greedy, runs, 1.2);
    expect(h).toMatchObject({ samples: 3, temperature: 1.2, examples: 5, greedyFailures: 3, greedyFailuresWithRightSample: 2 });
    // b 1 + c 0 + e 2 right of 3 failures x 3 samples.
    expect(h.rightSampleRateOnGreedyFailures).toBeCloseTo(3 / 9, 12);
    // The run without a tool-level figure (no expected call) is left out of the mean.
    expect(h.sampledToolAccuracy).toBeCloseTo(0.375, 12);
    expect(h.passAtK.map((r) => r.k)).toEqual([1, 2, 3]);
    // pass@1 = mean c/n; pass@3 = any right; pass@2 = mean of 1 - C(3-c,2)/C(3,2): a 1, b 1 - 1/3, c 0, d 1, e 1.
    expect(h.passAtK[0].passAtK).toBeCloseTo((3 + 1 + 0 + 2 + 2) / 15, 12);
    expect(h.passAtK[1].passAtK).toBeCloseTo((1 + 2 / 3 + 0 + 1 + 1) / 5, 12);
    expect(h.passAtK[2].passAtK).toBeCloseTo(4 / 5, 12);
    expect(samplingHeadroomLines(h).join('\n')).toContain('greedy failures that a sample got right: 2 of 3 (33.3% of their samples right)');
  });

  it('refuses runs that scored other examples', () => {
    expect(() => samplingHeadroom(greedy, [{ toolAccuracy: 1, records: greedy.slice(1) }], 1)).toThrow(/sampled run 1 scored 4 examples, the greedy run 5/);
    expect(() => samplingHeadroom(greedy, [{ toolAccuracy: 1, records: [...greedy.slice(1), rec('z', true)] }], 1)).toThrow(/sampled run 1 scored z, which the greedy run did not/);
    expect(() => samplingHeadroom(greedy, [], 1)).toThrow(/at least one sampled run/);
  });
});
