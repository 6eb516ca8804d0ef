// Float64 references of the clipping ops: clamp(a·x + b, lo, hi) and elementwise minimum / maximum, with backward.

export function affineClampRef(x: Float64Array, a: number, b: number, lo: number, hi: number): Float64Array {
  return x.map((v) => Math.min(Math.max(a * v + b, lo), hi));
}

/** torch.clamp's gradient: passes (times a) where lo <= a·x + b <= hi, boundary included. */
export function affineClampBackwardRef(x: Float64Array, dy: Float64Array, a: number, b: number, lo: number, hi: number): Float64Array {
  return x.map((v, i) => {
    const z = a * v + b;
    return z >= lo && z <= hi ? a * dy[i] : 0;
  });
}

export function minmaxRef(op: 'minimum' | 'maximum', a: Float64Array, b: Float64Array): Float64Array {
  return a.map((x, i) => (op === 'minimum' ? Math.min(x, b[i]) : Math.max(x, b[i])));
}

/** Gradients of min/max(a, b): to the chosen operand, split evenly on ties (as torch.minimum / torch.maximum). */
export function minmaxBackwardRef(op: 'minimum' | 'maximum', a: Float64Array, b: Float64Array, dy: Float64Array): { da: Float64Array; db: Float64Array } {
  const da = new Float64Array(a.length);
  const db = new Float64Array(a.length);
  a.forEach((x, i) => {
    const y = b[i];
    if (x === y) {
      da[i] = dy[i] / 2;
      db[i] = dy[i] / 2;
    } else if ((op === 'minimum') === x < y) da[i] = dy[i];
    else db[i] = dy[i];
  });
  return { da, db };
}
