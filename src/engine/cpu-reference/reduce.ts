// Float64 reference of the weighted mean to a scalar (mean over unmasked tokens) and its backward.

export function maskedMeanRef(x: Float64Array, w: Float64Array): number {
  let a = 0;
  let s = 0;
  x.forEach((v, i) => {
    a += v * w[i];
    s += w[i];
  });
  return s === 0 ? 0 : a / s;
}

export function maskedMeanBackwardRef(w: Float64Array, g = 1): Float64Array {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => (s === 0 ? 0 : (g * v) / s));
}
