// Batching and schedules: every example once per epoch, similar lengths together, exact resume, HF-style LR curves.
import { describe, expect, it } from 'vitest';
import { batchesPerEpoch, batchStream, epochPlan, padBatch, type TokenizedExample } from '../../../src/train/batching.ts';
import { learningRateAt } from '../../../src/train/schedule.ts';
import { Rng } from '../../../src/util/rng.ts';

function examples(n: number, seed = 1): TokenizedExample[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const len = 3 + rng.int(60);
    const ids = Int32Array.from({ length: len }, () => 1 + rng.int(500));
    const lossMask = Uint8Array.from({ length: len }, (_, t) => (t >= len / 2 ? 1 : 0));
    ids[0] = 1000 + i; // identifies the example
    return { ids, lossMask };
  });
}

describe('epochPlan', () => {
  it('covers every example exactly once per epoch, in batches of the requested size', () => {
    const lengths = examples(301).map((e) => e.ids.length);
    const plan = epochPlan(lengths, 8, 7, 0);
    const seen = plan.flat().sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 301 }, (_, i) => i));
    expect(plan.length).toBe(batchesPerEpoch(301, 8));
    expect(plan.filter((b) => b.length !== 8).length).toBeLessThanOrEqual(2);
  });

  it('puts similar lengths together (less padding than random batches)', () => {
    const lengths = examples(512).map((e) => e.ids.length);
    const padding = (plan: number[][]) => plan.reduce((s, b) => s + b.length * Math.max(...b.map((i) => lengths[i])) - b.reduce((t, i) => t + lengths[i], 0), 0);
    const random = new Rng(3).shuffle(lengths.map((_, i) => i));
    const randomPlan = Array.from({ length: 64 }, (_, k) => random.slice(k * 8, k * 8 + 8));
    expect(padding(epochPlan(lengths, 8, 7, 0))).toBeLessThan(padding(randomPlan) / 3);
  });

  it('is the same for the same seed and epoch, and differs across epochs and seeds', () => {
    const lengths = examples(100).map((e) => e.ids.length);
    expect(epochPlan(lengths, 4, 9, 2)).toEqual(epochPlan(lengths, 4, 9, 2));
    expect(epochPlan(lengths, 4, 9, 3)).not.toEqual(epochPlan(lengths, 4, 9, 2));
    expect(epochPlan(lengths, 4, 10, 2)).not.toEqual(epochPlan(lengths, 4, 9, 2));
  });
});

describe('padBatch', () => {
  it('pads to the longest example, masks padding, and takes targets only where the next token is trained', () => {
    const ex: TokenizedExample[] = [
      { ids: Int32Array.from([5, 6, 7, 8]), lossMask: Uint8Array.from([0, 0, 1, 1]) },
      { ids: Int32Array.from([9, 10]), lossMask: Uint8Array.from([0, 1]) },
    ];
    const b = padBatch(ex, [0, 1], 0);
    expect(b.seqLen).toBe(4);
    expect([...b.ids]).toEqual([5, 6, 7, 8, 9, 10, 0, 0]);
    expect([...b.attention]).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    expect([...b.targets]).toEqual([-1, 7, 8, -1, 10, -1, -1, -1]);
    expect(b.lossTokens).toBe(3);
  });
});

describe('batchStream', () => {
  it('resumes from a saved position with exactly the batches an uninterrupted stream gives', () => {
    const ex = examples(50);
    const take = (n: number, it: Iterator<{ batch: { indices: number[] }; next: { epoch: number; batch: number } }>) => {
      const out: Array<{ indices: number[]; next: { epoch: number; batch: number } }> = [];
      for (let i = 0; i < n; i++) {
        const v = it.next().value!;
        out.push({ indices: v.batch.indices, next: v.next });
      }
      return out;
    };
    const whole = take(40, batchStream(ex, 4, 5, 0)); // crosses several epochs (13 batches each)
    const first = take(17, batchStream(ex, 4, 5, 0));
    const rest = take(23, batchStream(ex, 4, 5, 0, first[16].next));
    expect([...first, ...rest].map((b) => b.indices)).toEqual(whole.map((b) => b.indices));
  });

  it('refuses an empty dataset with a clear message', () => {
    expect(() => batchStream([], 4, 1, 0).next()).toThrow(/No training examples/);
  });
});

describe('learningRateAt', () => {
  it('warms up linearly, then follows the schedule to 0', () => {
    expect(learningRateAt(0, 1, 'cosine', 4, 104)).toBeCloseTo(0.25);
    expect(learningRateAt(3, 1, 'cosine', 4, 104)).toBeCloseTo(1);
    expect(learningRateAt(54, 1, 'cosine', 4, 104)).toBeCloseTo(0.5);
    expect(learningRateAt(104, 1, 'cosine', 4, 104)).toBeCloseTo(0);
    expect(learningRateAt(54, 2, 'linear', 4, 104)).toBeCloseTo(1);
    expect(learningRateAt(90, 2, 'constant', 4, 104)).toBe(2);
  });
});
