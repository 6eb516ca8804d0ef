// Float64 reference of SwiGLU: silu(gate) * up, and its backward.

const sigmoid = (g: number) => 1 / (1 + Math.exp(-g));

export function swigluRef(gate: Float64Array, up: Float64Array): Float64Array {
  return gate.map((g, i) => g * sigmoid(g) * up[i]);
}

export function swigluBackwardRef(gate: Float64Array, up: Float64Array, dy: Float64Array): { dgate: Float64Array; dup: Float64Array } {
  const dgate = new Float64Array(gate.length);
  const dup = new Float64Array(gate.length);
  for (let i = 0; i < gate.length; i++) {
    const g = gate[i];
    const s = sigmoid(g);
    dup[i] = dy[i] * g * s;
    dgate[i] = dy[i] * up[i] * s * (1 + g * (1 - s));
  }
  return { dgate, dup };
}
