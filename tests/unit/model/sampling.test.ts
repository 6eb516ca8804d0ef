// CPU sampling rules: greedy, temperature, top-k and top-p restrict the candidates as documented; seeded.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/util/rng.ts';
import { sampleToken, validateSampling, GREEDY } from '../../../src/model/generate.ts';

const logits = Float32Array.from([1.0, 3.0, 2.5, -1.0, 2.9, 0.0]);
const probs = (() => {
  const e = Array.from(logits, (x) => Math.exp(x));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
})();

function histogram(cfg: { temperature: number; topK: number; topP: number }, n = 20000): number[] {
  const rng = new Rng(5);
  const h = new Array(logits.length).fill(0);
  for (let i = 0; i < n; i++) h[sampleToken(logits, cfg, rng)]++;
  return h.map((c) => c / n);
}

describe('sampleToken', () => {
  it('greedy picks the argmax', () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new Rng(1))).toBe(1);
  });
  it('temperature 1 follows softmax; top-k keeps the k best; top-p keeps the nucleus', () => {
    const full = histogram({ temperature: 1, topK: 0, topP: 1 });
    full.forEach((f, i) => expect(Math.abs(f - probs[i])).toBeLessThan(0.015));
    const k2 = histogram({ temperature: 1, topK: 2, topP: 1 });
    expect(k2[0] + k2[2] + k2[3] + k2[5]).toBe(0);
    expect(Math.abs(k2[1] - probs[1] / (probs[1] + probs[4]))).toBeLessThan(0.015);
    // Sorted probabilities: 1 (0.33), 4 (0.30), 2 (0.20), ...: p = 0.6 needs tokens 1 and 4 (0.63).
    const p6 = histogram({ temperature: 1, topK: 0, topP: 0.6 });
    expect(p6[0] + p6[2] + p6[3] + p6[5]).toBe(0);
    expect(p6[1]).toBeGreaterThan(0.45);
    // Temperature 0.1 divides the logits by 0.1: token 1 gets softmax(10·logits)[1] ≈ 0.73 (token 4 is 0.1 behind).
    const sharp = Array.from(logits, (x) => Math.exp(10 * (x - 3)));
    const zs = sharp.reduce((a, b) => a + b, 0);
    expect(Math.abs(histogram({ temperature: 0.1, topK: 0, topP: 1 })[1] - sharp[1] / zs)).toBeLessThan(0.015);
  });
  it('rejects bad settings with the field name', () => {
    expect(() => validateSampling({ ...GREEDY, topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => validateSampling({ ...GREEDY, maxNewTokens: 0 })).toThrow(/maxNewTokens/);
  });
});
