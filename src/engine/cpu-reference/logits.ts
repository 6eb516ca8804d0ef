// Float64 references of the losses on logits: masked mean cross-entropy, target log-probs, entropy, and their gradients.

export const IGNORE = 0xffffffff;

function softmaxRow(z: Float64Array): { p: Float64Array; lse: number } {
  const m = Math.max(...z);
  let s = 0;
  for (const v of z) s += Math.exp(v - m);
  const lse = m + Math.log(s);
  return { p: z.map((v) => Math.exp(v - lse)), lse };
}

/** logits (rows, V), targets (rows) -> mean over non-ignored rows of -log p[target] (0 if none). */
export function crossEntropyRef(logits: Float64Array, targets: Uint32Array, V: number): number {
  let sum = 0;
  let count = 0;
  targets.forEach((t, r) => {
    if (t === IGNORE) return;
    const { lse } = softmaxRow(logits.subarray(r * V, r * V + V));
    sum += lse - logits[r * V + t];
    count++;
  });
  return count ? sum / count : 0;
}

export function crossEntropyBackwardRef(logits: Float64Array, targets: Uint32Array, V: number, g = 1): Float64Array {
  const d = new Float64Array(logits.length);
  const count = targets.filter((t) => t !== IGNORE).length;
  targets.forEach((t, r) => {
    if (t === IGNORE) return;
    const { p } = softmaxRow(logits.subarray(r * V, r * V + V));
    for (let c = 0; c < V; c++) d[r * V + c] = (g / count) * (p[c] - (c === t ? 1 : 0));
  });
  return d;
}

/** (rows): log p[target], 0 where ignored. */
export function tokenLogprobsRef(logits: Float64Array, targets: Uint32Array, V: number): Float64Array {
  return Float64Array.from(targets, (t, r) => (t === IGNORE ? 0 : logits[r * V + t] - softmaxRow(logits.subarray(r * V, r * V + V)).lse));
}

export function tokenLogprobsBackwardRef(logits: Float64Array, targets: Uint32Array, V: number, g: Float64Array): Float64Array {
  const d = new Float64Array(logits.length);
  targets.forEach((t, r) => {
    if (t === IGNORE) return;
    const { p } = softmaxRow(logits.subarray(r * V, r * V + V));
    for (let c = 0; c < V; c++) d[r * V + c] = g[r] * ((c === t ? 1 : 0) - p[c]);
  });
  return d;
}

/** (rows): -sum p log p. */
export function entropyRef(logits: Float64Array, V: number): Float64Array {
  const rows = logits.length / V;
  return Float64Array.from({ length: rows }, (_, r) => {
    const { p, lse } = softmaxRow(logits.subarray(r * V, r * V + V));
    let h = 0;
    for (let c = 0; c < V; c++) h -= p[c] * (logits[r * V + c] - lse);
    return h;
  });
}

export function entropyBackwardRef(logits: Float64Array, V: number, g: Float64Array): Float64Array {
  const rows = logits.length / V;
  const d = new Float64Array(logits.length);
  for (let r = 0; r < rows; r++) {
    const z = logits.subarray(r * V, r * V + V);
    const { p } = softmaxRow(z);
    let ez = 0;
    for (let c = 0; c < V; c++) ez += p[c] * z[c];
    for (let c = 0; c < V; c++) d[r * V + c] = -g[r] * p[c] * (z[c] - ez);
  }
  return d;
}
