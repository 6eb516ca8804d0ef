// Float64 reference of global-norm clipping and one AdamW step (PyTorch semantics: decoupled decay, bias correction).

export interface AdamWRefConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maxGradNorm: number;
}

/** Global L2 norm, clip coefficient and whether any value is NaN/Inf. */
export function gradNormRef(grads: Float64Array[], maxNorm: number): { norm: number; clip: number; nonFinite: boolean } {
  let ss = 0;
  let nonFinite = false;
  for (const g of grads) for (const v of g) Number.isFinite(v) ? (ss += v * v) : (nonFinite = true);
  const norm = Math.sqrt(ss);
  return { norm, clip: maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1, nonFinite: nonFinite || !Number.isFinite(ss) };
}

/** Updates w, m, v in place for step t (1-based), with g already multiplied by the clip coefficient by the caller. */
export function adamwStepRef(w: Float64Array, g: Float64Array, m: Float64Array, v: Float64Array, t: number, c: AdamWRefConfig, clip = 1): void {
  const bc1 = 1 - c.beta1 ** t;
  const bc2 = 1 - c.beta2 ** t;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i] * clip;
    m[i] = c.beta1 * m[i] + (1 - c.beta1) * gi;
    v[i] = c.beta2 * v[i] + (1 - c.beta2) * gi * gi;
    w[i] = w[i] * (1 - c.lr * c.weightDecay) - (c.lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + c.eps);
  }
}
