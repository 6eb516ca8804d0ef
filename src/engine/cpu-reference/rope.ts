// Float64 reference of rotary embedding (rotate-half) and its backward (the inverse rotation).

/** x (tokens, H, D), positions (tokens) -> rotated (tokens, H, D); sign -1 rotates back. */
export function ropeRef(x: Float64Array, positions: Uint32Array, H: number, D: number, theta: number, sign: 1 | -1 = 1): Float64Array {
  const half = D / 2;
  const out = new Float64Array(x.length);
  const tokens = positions.length;
  for (let t = 0; t < tokens; t++) {
    for (let h = 0; h < H; h++) {
      const base = (t * H + h) * D;
      for (let i = 0; i < half; i++) {
        const angle = positions[t] * Math.pow(theta, (-2 * i) / D);
        const c = Math.cos(angle);
        const s = sign * Math.sin(angle);
        const x1 = x[base + i];
        const x2 = x[base + i + half];
        out[base + i] = x1 * c - x2 * s;
        out[base + i + half] = x2 * c + x1 * s;
      }
    }
  }
  return out;
}

export function ropeBackwardRef(dy: Float64Array, positions: Uint32Array, H: number, D: number, theta: number): Float64Array {
  return ropeRef(dy, positions, H, D, theta, -1);
}
