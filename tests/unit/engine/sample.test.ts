// The GPU token sampler against its float64 reference on both CPU adapters: greedy ties, the kept sets of
// top-k / top-p, the draws themselves (same counter-based noise), their frequencies against the exact
// distribution, and the log-probs. 8 bytes per row come back, never the logits.
import { describe, expect, it } from 'vitest';
import { sampleTokens, unpackSamples } from '../../../src/engine/ops/sample.ts';
import { keptTokensRef, sampleTokenRef } from '../../../src/engine/cpu-reference/sample.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { randomData, testEngine } from './check.ts';
import type { Engine } from '../../../src/engine/engine.ts';

async function draw(e: Engine, z: Float32Array, rows: number, V: number, o: { temperature: number; topK: number; topP: number; seed: number; counter: number }) {
  const t = e.tensor(z, [rows, V]);
  const out = sampleTokens(e, t, o);
  const raw = await out.readU32();
  expect(out.bytes).toBe(rows * 8);
  t.release();
  out.release();
  return unpackSamples(raw);
}

describe.each(testAdapters())('GPU sampling on %s', (adapter) => {
  it('greedy: the first index of the maximum (ties included) and its log-prob under softmax(z)', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(41);
    const [rows, V] = [6, 203];
    const z = randomData(rng, rows * V, 3).f32;
    z[1 * V + 17] = z[1 * V + 90] = 50; // a tie: the lower index wins
    const { ids, logprobs } = await draw(e, z, rows, V, { temperature: 0, topK: 0, topP: 1, seed: 1, counter: 0 });
    for (let r = 0; r < rows; r++) {
      const row = z.subarray(r * V, (r + 1) * V);
      const ref = sampleTokenRef(row, r, { temperature: 0, topK: 0, topP: 1, seed: 1, counter: 0 });
      expect(ids[r], `row ${r}`).toBe(ref.id);
      expect(Math.abs(logprobs[r] - ref.logprob)).toBeLessThan(1e-5);
    }
    expect(ids[1]).toBe(17);
  });

  it('temperature, top-k (ties kept) and top-p: every draw is in the reference kept set and equals the reference draw', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(42);
    const [rows, V] = [40, 97];
    const z = randomData(rng, rows * V, 2).f32;
    for (let c = 0; c < 4; c++) z[3 * V + c] = 9; // row 3: four tokens tie at the top
    const configs = [
      { temperature: 1, topK: 0, topP: 1 },
      { temperature: 0.7, topK: 5, topP: 1 },
      { temperature: 1.3, topK: 0, topP: 0.8 },
      { temperature: 0.9, topK: 8, topP: 0.6 },
      { temperature: 1, topK: 2, topP: 1 },
    ];
    let same = 0;
    let total = 0;
    for (const [k, cfg] of configs.entries()) {
      const o = { ...cfg, seed: 1234, counter: 77 + k };
      const { ids, logprobs } = await draw(e, z, rows, V, o);
      for (let r = 0; r < rows; r++) {
        const row = z.subarray(r * V, (r + 1) * V);
        const kept = keptTokensRef(row, o);
        expect(kept, `config ${k} row ${r}: token ${ids[r]} outside the kept set`).toContain(ids[r]);
        const ref = sampleTokenRef(row, r, o);
        if (ref.id === ids[r]) same++;
        total++;
        // The log-prob is the chosen token's under the full temperature-scaled distribution.
        const scale = 1 / o.temperature;
        let m = -Infinity;
        for (const v of row) m = Math.max(m, v);
        let s = 0;
        for (const v of row) s += Math.exp((v - m) * scale);
        expect(Math.abs(logprobs[r] - ((row[ids[r]] - m) * scale - Math.log(s)))).toBeLessThan(2e-5);
      }
      if (cfg.topK === 2) expect(keptTokensRef(z.subarray(3 * V, 4 * V), o)).toEqual([0, 1, 2, 3]); // ties of the 2nd value kept
    }
    // The same noise in f32 and float64: only a near-tie of two noisy scores may pick differently.
    expect(same / total).toBeGreaterThan(0.98);
  });

  it('draws follow the exact renormalised distribution (2,000 draws of one row) and a seed reproduces them', async () => {
    const e = await testEngine(adapter);
    const V = 11;
    const row = Float32Array.from([2.0, 1.5, 1.4, 0.3, -0.5, 0.9, 1.9, -2, 0.1, 1.0, 1.2]);
    const rows = 2000;
    const z = new Float32Array(rows * V);
    for (let r = 0; r < rows; r++) z.set(row, r * V);
    const o = { temperature: 0.8, topK: 6, topP: 0.9, seed: 9, counter: 3 };
    const a = await draw(e, z, rows, V, o);
    const b = await draw(e, z, rows, V, o);
    expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
    const c = await draw(e, z, rows, V, { ...o, counter: 4 });
    expect(Array.from(c.ids)).not.toEqual(Array.from(a.ids));
    const kept = keptTokensRef(row, o);
    const w = kept.map((i) => Math.exp(row[i] / o.temperature));
    const zsum = w.reduce((x, y) => x + y, 0);
    const counts = new Map<number, number>();
    for (const id of a.ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts.keys()].every((id) => kept.includes(id))).toBe(true);
    let tv = 0;
    kept.forEach((i, k) => (tv += Math.abs((counts.get(i) ?? 0) / rows - w[k] / zsum)));
    expect(tv / 2).toBeLessThan(0.04); // total variation; ~0.015 expected from 2,000 draws
  }, 300_000); // three draws of 2,000 rows: seconds, but over 120 s on SwiftShader under heavy load

  it('rejects bad settings with the value', async () => {
    const e = await testEngine(adapter);
    const t = e.tensor(new Float32Array(10), [2, 5]);
    expect(() => sampleTokens(e, t, { temperature: -1, topK: 0, topP: 1, seed: 0, counter: 0 })).toThrow(/temperature must be >= 0, got -1/);
    expect(() => sampleTokens(e, t, { temperature: 1, topK: 0, topP: 0, seed: 0, counter: 0 })).toThrow(/topP must be in \(0, 1\], got 0/);
  });
});
