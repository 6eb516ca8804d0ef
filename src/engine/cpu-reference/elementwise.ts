// Float64 references of the elementwise ops (add / sub / mul with row broadcast, scale, exp) and column sums.

export function binaryRef(op: 'add' | 'sub' | 'mul', a: Float64Array, b: Float64Array): Float64Array {
  return a.map((x, i) => {
    const y = b[i % b.length];
    return op === 'add' ? x + y : op === 'sub' ? x - y : x * y;
  });
}

/** Gradient of a row-broadcast operand: sum over rows of dy (rows, C) -> (C). */
export function sumRowsRef(dy: Float64Array, C: number): Float64Array {
  const out = new Float64Array(C);
  dy.forEach((v, i) => (out[i % C] += v));
  return out;
}

export function scaleRef(x: Float64Array, s: number): Float64Array {
  return x.map((v) => v * s);
}

export function expRef(x: Float64Array): Float64Array {
  return x.map(Math.exp);
}
