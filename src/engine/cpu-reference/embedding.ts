// Float64 reference of the embedding gather and its scatter-add backward.

/** table (V, C), ids (n) -> (n, C). */
export function embeddingRef(table: Float64Array, ids: Uint32Array, C: number): Float64Array {
  const out = new Float64Array(ids.length * C);
  ids.forEach((id, t) => out.set(table.subarray(id * C, id * C + C), t * C));
  return out;
}

/** dTable (V, C) = sum over positions t with ids[t] = v of dy[t]. */
export function embeddingBackwardRef(ids: Uint32Array, dy: Float64Array, V: number, C: number): Float64Array {
  const d = new Float64Array(V * C);
  ids.forEach((id, t) => {
    for (let c = 0; c < C; c++) d[id * C + c] += dy[t * C + c];
  });
  return d;
}
