// Float64 reference of matmul C = op(A)·op(B) (batched) and its backward.

export interface MatmulRefShape {
  batch: number;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /** B is one (K, N) matrix for every batch entry. */
  sharedB?: boolean;
}

/** a: (batch, M, K) [transA: (batch, K, M)], b: (batch, K, N) [transB: (batch, N, K)] -> (batch, M, N). */
export function matmulRef(a: Float64Array, b: Float64Array, s: MatmulRefShape): Float64Array {
  const { batch, M, N, K, transA, transB } = s;
  const c = new Float64Array(batch * M * N);
  for (let z = 0; z < batch; z++) {
    const ao = z * M * K;
    const bo = s.sharedB ? 0 : z * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const av = a[ao + (transA ? k * M + m : m * K + k)];
          const bv = b[bo + (transB ? n * K + k : k * N + n)];
          acc += av * bv;
        }
        c[z * M * N + m * N + n] = acc;
      }
    }
  }
  return c;
}

/** Gradients of sum(dc * C) with respect to a and b, in a's and b's storage layouts. */
export function matmulBackwardRef(a: Float64Array, b: Float64Array, dc: Float64Array, s: MatmulRefShape): { da: Float64Array; db: Float64Array } {
  const { batch, M, N, K, transA, transB } = s;
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let z = 0; z < batch; z++) {
    const ao = z * M * K;
    const bo = s.sharedB ? 0 : z * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const g = dc[z * M * N + m * N + n];
        for (let k = 0; k < K; k++) {
          const ai = ao + (transA ? k * M + m : m * K + k);
          const bi = bo + (transB ? n * K + k : k * N + n);
          da[ai] += g * b[bi];
          db[bi] += g * a[ai];
        }
      }
    }
  }
  return { da, db };
}
