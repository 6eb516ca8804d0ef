// Launcher for writing new key/value rows into a static KV cache (generation), one dispatch for all batch rows.
import kvWriteSrc from '../../../shaders/kv_cache_write.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { fmt } from './shape.ts';

/** cache (B, S, …) rows [start, start + Tq) = fresh (B, Tq, …), in command order. */
export function kvCacheWrite(e: Engine, cache: Tensor, fresh: Tensor, start: number): void {
  const [B, S] = cache.shape;
  const W = cache.size / (B * S);
  const Tq = fresh.size / (B * W);
  if (!Number.isInteger(Tq) || fresh.shape[0] !== B) throw new Error(`kvCacheWrite: fresh ${fmt(fresh.shape)} does not hold whole rows of cache ${fmt(cache.shape)}`);
  if (start + Tq > S) throw new Error(`kvCacheWrite: rows ${start}..${start + Tq} exceed the cache's ${S} slots`);
  e.run(kvWriteSrc, words({ u: B }, { u: Tq }, { u: S }, { u: W }, { u: start }), [fresh, cache], e.grid(Math.ceil((B * Tq * W) / 64)), 'kvCacheWrite');
}
