// Float64 reference of the fused projection y = x·Wᵀ + bias + R + s·((x ⊙ mask)·Aᵀ)·Bᵀ and its backward.
import { matmulBackwardRef, matmulRef } from './matmul.ts';

export interface ProjectionRefInputs {
  /** (n, in) */
  x: Float64Array;
  /** (out, in) */
  w: Float64Array;
  /** (out) or null */
  bias: Float64Array | null;
  /** (n, out) or null */
  residual: Float64Array | null;
  /** LoRA A (r, in), B (out, r), scale, and the dropout mask of x (n, in: 0 or 1/(1-p)), or null. */
  lora: { A: Float64Array; B: Float64Array; scale: number; mask: Float64Array | null } | null;
  n: number;
  inDim: number;
  outDim: number;
  r: number;
}

const lin = (a: Float64Array, w: Float64Array, M: number, N: number, K: number) => matmulRef(a, w, { batch: 1, M, N, K, transA: false, transB: true });

function dropped(p: ProjectionRefInputs): Float64Array {
  const m = p.lora!.mask;
  return m ? p.x.map((v, i) => v * m[i]) : p.x;
}

export function projectionRef(p: ProjectionRefInputs): Float64Array {
  const { n, inDim, outDim, r } = p;
  const y = lin(p.x, p.w, n, outDim, inDim);
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < outDim; o++) y[i * outDim + o] += (p.bias?.[o] ?? 0) + (p.residual?.[i * outDim + o] ?? 0);
  }
  if (p.lora) {
    const low = lin(lin(dropped(p), p.lora.A, n, r, inDim), p.lora.B, n, outDim, r);
    for (let i = 0; i < y.length; i++) y[i] += p.lora.scale * low[i];
  }
  return y;
}

/** Gradients of sum(dy · y) for every input, in their layouts. */
export function projectionBackwardRef(p: ProjectionRefInputs, dy: Float64Array) {
  const { n, inDim, outDim, r } = p;
  const base = matmulBackwardRef(p.x, p.w, dy, { batch: 1, M: n, N: outDim, K: inDim, transA: false, transB: true });
  const dbias = new Float64Array(outDim);
  for (let i = 0; i < n; i++) for (let o = 0; o < outDim; o++) dbias[o] += dy[i * outDim + o];
  const dx = base.da;
  let dA: Float64Array | null = null;
  let dB: Float64Array | null = null;
  if (p.lora) {
    const xd = dropped(p);
    const u = lin(xd, p.lora.A, n, r, inDim);
    const dyS = dy.map((v) => v * p.lora!.scale);
    const b = matmulBackwardRef(u, p.lora.B, dyS, { batch: 1, M: n, N: outDim, K: r, transA: false, transB: true });
    const a = matmulBackwardRef(xd, p.lora.A, b.da, { batch: 1, M: n, N: r, K: inDim, transA: false, transB: true });
    dB = b.db;
    dA = a.db;
    const m = p.lora.mask;
    for (let i = 0; i < dx.length; i++) dx[i] += a.da[i] * (m ? m[i] : 1);
  }
  return { dx, dw: base.db, dbias, dresidual: dy.slice(), dA, dB };
}
