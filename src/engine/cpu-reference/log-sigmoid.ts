// Float64 reference of log-sigmoid and its backward (the reward model's pairwise loss).

/** log σ(x) = min(x, 0) − log1p(exp(−|x|)). */
export function logSigmoidRef(x: Float64Array): Float64Array {
  return x.map((v) => Math.min(v, 0) - Math.log1p(Math.exp(-Math.abs(v))));
}

/** d log σ(x) / dx = σ(−x) = 1 / (1 + exp(x)). */
export function logSigmoidBackwardRef(x: Float64Array, dy: Float64Array): Float64Array {
  return x.map((v, i) => dy[i] / (1 + Math.exp(v)));
}
