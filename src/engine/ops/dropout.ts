// Counter-based dropout: the mask of a tensor is a pure function of two seed words and each element's index, so the
// GPU computes it inside the kernel that reads the tensor (no mask is drawn on the CPU or uploaded), a recomputed
// layer gets the same mask, and a resumed run gets the same masks from the same seeds. The same hash runs here on
// the CPU for tests and references. The hash is two rounds of Chris Wellons' "lowbias32" integer mixer.

/** One round of lowbias32 (a bijection on u32 with good avalanche). */
export function lowbias32(v: number): number {
  let x = v >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97) >>> 0;
  x ^= x >>> 15;
  return x >>> 0;
}

/** The u32 an element is compared with: it is kept when its hash is >= p·2^32. */
export function dropoutThreshold(p: number): number {
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p=${p} must be in [0, 1)`);
  return Math.min(0xffffffff, Math.round(p * 2 ** 32));
}

/** The hash of element i under seeds (seed, seed2), as the kernels compute it. */
export function dropoutHash(seed: number, seed2: number, i: number): number {
  return lowbias32((lowbias32((i ^ seed) >>> 0) ^ seed2) >>> 0);
}

/** The inverted-dropout mask of n elements: 0 where dropped, 1/(1-p) where kept (float64 reference). */
export function dropoutMaskRef(seed: number, seed2: number, n: number, p: number): Float64Array {
  const t = dropoutThreshold(p);
  const keep = 1 / (1 - p);
  const m = new Float64Array(n);
  for (let i = 0; i < n; i++) m[i] = dropoutHash(seed, seed2, i) >= t ? keep : 0;
  return m;
}

/** Two seed words for one tensor's mask from a base seed and any number of integer keys (step, layer, target...). */
export function dropoutSeeds(base: number, ...keys: number[]): [number, number] {
  let a = lowbias32((base ^ 0x9e3779b9) >>> 0);
  let b = lowbias32((base + 0x7f4a7c15) >>> 0);
  for (const k of keys) {
    a = lowbias32((a ^ lowbias32(k >>> 0)) >>> 0);
    b = lowbias32((b + a + 0x632be5ab) >>> 0);
  }
  return [a, b];
}
