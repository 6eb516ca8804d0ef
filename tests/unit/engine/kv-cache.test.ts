// Writing new key/value rows into a static KV cache: one dispatch for every batch row, other rows untouched.
import { describe, expect, it } from 'vitest';
import { kvCacheWrite } from '../../../src/engine/ops/kv-cache.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { randomData, testEngine } from './check.ts';

describe.each(testAdapters())('KV cache write on %s', (adapter) => {
  it('writes rows [start, start + Tq) of each batch row in one dispatch and leaves the rest', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(3);
    const [B, S, H, D, Tq, start] = [3, 7, 2, 5, 2, 4];
    const old = randomData(rng, B * S * H * D).f32;
    const fresh = randomData(rng, B * Tq * H * D).f32;
    const cache = e.tensor(old, [B, S, H, D]);
    e.resetCounters();
    kvCacheWrite(e, cache, e.tensor(fresh, [B, Tq, H, D]), start);
    expect(e.stats.dispatches).toBe(1);
    const got = await cache.read();
    const want = old.slice();
    const W = H * D;
    for (let b = 0; b < B; b++) for (let t = 0; t < Tq; t++) want.set(fresh.subarray((b * Tq + t) * W, (b * Tq + t + 1) * W), (b * S + start + t) * W);
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(() => kvCacheWrite(e, cache, e.tensor(fresh, [B, Tq, H, D]), 6)).toThrow(/exceed the cache/);
  });
});
