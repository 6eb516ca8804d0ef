// Float64 reference of the GPU token sampler (same rules, same counter-based noise): greedy argmax, temperature,
// top-k with ties kept, top-p over the renormalised kept set, Gumbel-max with the PCG hash of (seed, counter, row, token).

/** PCG hash (Jarzynski & Olano 2020), as the kernel computes it on u32. */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> (((state >>> 28) + 4) >>> 0)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

export function gumbelNoise(seed: number, counter: number, row: number, token: number): number {
  const h = pcgHash((token + pcgHash((row + pcgHash((counter + pcgHash(seed >>> 0)) >>> 0)) >>> 0)) >>> 0);
  const u = (Math.fround(h >>> 8) + 0.5) / 16777216;
  return -Math.log(-Math.log(u));
}

export interface SampleRefOptions {
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  counter: number;
}

/** The set of token indices sampling may pick from in one row (greedy: the argmax). */
export function keptTokensRef(z: ArrayLike<number>, o: Pick<SampleRefOptions, 'temperature' | 'topK' | 'topP'>): number[] {
  const V = z.length;
  let zmax = -Infinity;
  let best = 0;
  for (let i = 0; i < V; i++) if (z[i] > zmax) (zmax = z[i]), (best = i);
  if (o.temperature === 0) return [best];
  const scale = 1 / o.temperature;
  let kept = Array.from({ length: V }, (_, i) => i);
  if (o.topK > 0 && o.topK < V) {
    const kth = [...kept].sort((a, b) => z[b] - z[a])[o.topK - 1];
    kept = kept.filter((i) => z[i] >= z[kth]);
  }
  if (o.topP < 1) {
    const w = new Map(kept.map((i) => [i, Math.exp((z[i] - zmax) * scale)]));
    const total = [...w.values()].reduce((a, b) => a + b, 0);
    kept = kept.filter((i) => {
      let above = 0;
      for (const j of kept) if (z[j] > z[i]) above += w.get(j)!;
      return above < o.topP * total;
    });
  }
  return kept;
}

/** What the kernel returns for one row: the token and its log-prob under log softmax((z - max) / T). */
export function sampleTokenRef(z: ArrayLike<number>, row: number, o: SampleRefOptions): { id: number; logprob: number } {
  const kept = keptTokensRef(z, o);
  const scale = o.temperature === 0 ? 1 : 1 / o.temperature;
  let zmax = -Infinity;
  for (let i = 0; i < z.length; i++) zmax = Math.max(zmax, z[i]);
  let lse = 0;
  for (let i = 0; i < z.length; i++) lse += Math.exp((z[i] - zmax) * scale);
  lse = Math.log(lse);
  let id = kept[0];
  if (o.temperature > 0) {
    let g = -Infinity;
    for (const i of kept) {
      const v = (z[i] - zmax) * scale + gumbelNoise(o.seed, o.counter, row, i);
      if (v > g) (g = v), (id = i);
    }
  }
  return { id, logprob: (z[id] - zmax) * scale - lse };
}
