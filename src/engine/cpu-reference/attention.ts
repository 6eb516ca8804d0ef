// Float64 reference of causal grouped-query attention with a key padding mask (full score matrix; tests only).

export interface AttentionRefShape {
  B: number;
  T: number;
  Hq: number;
  Hkv: number;
  D: number;
  scale?: number;
}

/** q (B, T, Hq, D), k/v (B, T, Hkv, D), mask (B, T) -> out (B, T, Hq, D). A query that sees no key outputs 0. */
export function attentionRef(q: Float64Array, k: Float64Array, v: Float64Array, mask: Uint32Array, s: AttentionRefShape): Float64Array {
  return attentionCore(q, k, v, mask, s, null).out;
}

/** Gradients of sum(dout * out) with respect to q, k and v. */
export function attentionBackwardRef(q: Float64Array, k: Float64Array, v: Float64Array, mask: Uint32Array, dout: Float64Array, s: AttentionRefShape): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const r = attentionCore(q, k, v, mask, s, dout);
  return { dq: r.dq!, dk: r.dk!, dv: r.dv! };
}

function attentionCore(q: Float64Array, k: Float64Array, v: Float64Array, mask: Uint32Array, s: AttentionRefShape, dout: Float64Array | null) {
  const { B, T, Hq, Hkv, D } = s;
  const scale = s.scale ?? 1 / Math.sqrt(D);
  const group = Hq / Hkv;
  const out = new Float64Array(q.length);
  const dq = dout ? new Float64Array(q.length) : null;
  const dk = dout ? new Float64Array(k.length) : null;
  const dv = dout ? new Float64Array(v.length) : null;
  const qi = (b: number, t: number, h: number) => ((b * T + t) * Hq + h) * D;
  const ki = (b: number, t: number, h: number) => ((b * T + t) * Hkv + h) * D;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kh = Math.floor(h / group);
      for (let t = 0; t < T; t++) {
        const keys: number[] = [];
        for (let j = 0; j <= t; j++) if (mask[b * T + j]) keys.push(j);
        if (keys.length === 0) continue;
        const scores = keys.map((j) => {
          let acc = 0;
          for (let d = 0; d < D; d++) acc += q[qi(b, t, h) + d] * k[ki(b, j, kh) + d];
          return acc * scale;
        });
        const m = Math.max(...scores);
        const ex = scores.map((x) => Math.exp(x - m));
        const z = ex.reduce((x, y) => x + y, 0);
        const p = ex.map((x) => x / z);
        keys.forEach((j, n) => {
          for (let d = 0; d < D; d++) out[qi(b, t, h) + d] += p[n] * v[ki(b, j, kh) + d];
        });
        if (dout) {
          const g = dout.subarray(qi(b, t, h), qi(b, t, h) + D);
          const dp = keys.map((j) => {
            let acc = 0;
            for (let d = 0; d < D; d++) acc += g[d] * v[ki(b, j, kh) + d];
            return acc;
          });
          const delta = p.reduce((acc, pn, n) => acc + pn * dp[n], 0);
          keys.forEach((j, n) => {
            const ds = p[n] * (dp[n] - delta) * scale;
            for (let d = 0; d < D; d++) {
              dq![qi(b, t, h) + d] += ds * k[ki(b, j, kh) + d];
              dk![ki(b, j, kh) + d] += ds * q[qi(b, t, h) + d];
              dv![ki(b, j, kh) + d] += p[n] * g[d];
            }
          });
        }
      }
    }
  }
  return { out, dq, dk, dv };
}
