// Float64 reference of RMSNorm over rows of C (per-head RMSNorm is the same on (tokens * heads, head_dim) rows).

export function rmsnormRef(x: Float64Array, w: Float64Array, C: number, eps: number): { y: Float64Array; rstd: Float64Array } {
  const rows = x.length / C;
  const y = new Float64Array(x.length);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let ss = 0;
    for (let c = 0; c < C; c++) ss += x[r * C + c] ** 2;
    const s = 1 / Math.sqrt(ss / C + eps);
    rstd[r] = s;
    for (let c = 0; c < C; c++) y[r * C + c] = x[r * C + c] * s * w[c];
  }
  return { y, rstd };
}

export function rmsnormBackwardRef(x: Float64Array, w: Float64Array, dy: Float64Array, C: number, eps: number): { dx: Float64Array; dw: Float64Array } {
  const rows = x.length / C;
  const { rstd } = rmsnormRef(x, w, C, eps);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(C);
  for (let r = 0; r < rows; r++) {
    const s = rstd[r];
    let dot = 0;
    for (let c = 0; c < C; c++) dot += w[c] * dy[r * C + c] * x[r * C + c] * s;
    const mean = dot / C;
    for (let c = 0; c < C; c++) {
      const i = r * C + c;
      dx[i] = s * (w[c] * dy[i] - x[i] * s * mean);
      dw[c] += dy[i] * x[i] * s;
    }
  }
  return { dx, dw };
}
