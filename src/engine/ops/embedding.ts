// Launchers for the embedding gather and its deterministic scatter-add backward.
import backwardSrc from '../../../shaders/embedding_backward.wgsl?raw';
import forwardSrc from '../../../shaders/embedding.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertDtype } from './shape.ts';

/** table (V, C), ids (…) u32 -> (…, C). Ids are checked against V on the CPU (they are uploaded from there). */
export function embeddingForward(e: Engine, table: Tensor, ids: Tensor): Tensor {
  assertDtype('embedding', 'ids', ids.dtype, 'u32');
  if (table.shape.length !== 2) throw new Error(`embedding: table must be (V, C), got [${table.shape.join(', ')}]`);
  const [V, C] = table.shape;
  if (ids.host) {
    for (let i = 0; i < ids.host.length; i++) {
      if (ids.host[i] >= V) throw new Error(`embedding: token id ${ids.host[i]} at position ${i} is outside the vocabulary (size ${V})`);
    }
  }
  const out = e.empty([...ids.shape, C], 'f32', 'embedding');
  e.run(forwardSrc, words({ u: ids.size }, { u: C }, { u: V }), [table, ids, out], e.grid(Math.ceil((ids.size * C) / 64)), 'embedding');
  return out;
}

/** dTable (V, C) from dy (n, C): positions are grouped by id on the CPU, so ids must have a host copy. */
export function embeddingBackward(e: Engine, ids: Tensor, dy: Tensor, V: number): Tensor {
  if (!ids.host) throw new Error('embedding backward: the ids tensor has no CPU copy (create it with engine.tensor(Uint32Array, …))');
  const C = dy.shape[dy.shape.length - 1];
  // CSR by id with a counting sort (typed arrays only; the loss's row gathers run this every step): ids ascending,
  // positions ascending within an id, so each output row sums its positions in a fixed order.
  const host = ids.host;
  const counts = new Uint32Array(V + 1);
  for (let i = 0; i < host.length; i++) {
    if (host[i] >= V) throw new Error(`embedding backward: id ${host[i]} at position ${i} is outside the table (${V} rows)`);
    counts[host[i] + 1]++;
  }
  let n = 0;
  for (let v = 1; v <= V; v++) {
    if (counts[v] > 0) n++;
    counts[v] += counts[v - 1];
  }
  const uniq = new Uint32Array(n);
  const offsets = new Uint32Array(n + 1);
  const positions = new Uint32Array(host.length);
  const fill = counts.slice(0, V);
  for (let i = 0; i < host.length; i++) positions[fill[host[i]]++] = i;
  let u = 0;
  for (let v = 0; v < V; v++) {
    if (counts[v + 1] > counts[v]) {
      uniq[u] = v;
      offsets[u++] = counts[v];
    }
  }
  offsets[n] = host.length;
  const dTable = e.zeros([V, C], 'dEmbedding');
  const tu = e.tensor(uniq, [uniq.length]);
  const to = e.tensor(offsets, [offsets.length]);
  const tp = e.tensor(positions, [positions.length]);
  e.run(backwardSrc, words({ u: uniq.length }, { u: C }), [tu, to, tp, dy, dTable], e.grid(Math.ceil((uniq.length * C) / 64)), 'embeddingBackward');
  for (const t of [tu, to, tp]) t.release();
  return dTable;
}
