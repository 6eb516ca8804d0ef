// Float64 CPU reference of the toy transformer's loss, composed from the cpu-reference ops.
import { attentionRef } from '../cpu-reference/attention.ts';
import { binaryRef } from '../cpu-reference/elementwise.ts';
import { embeddingRef } from '../cpu-reference/embedding.ts';
import { crossEntropyRef } from '../cpu-reference/logits.ts';
import { matmulRef } from '../cpu-reference/matmul.ts';
import { rmsnormRef } from '../cpu-reference/rmsnorm.ts';
import { ropeRef } from '../cpu-reference/rope.ts';
import { swigluRef } from '../cpu-reference/swiglu.ts';
import type { ToyBatch, ToyConfig } from './toy-config.ts';

/** x (rows, in) · wᵀ (w: (out, in)) + bias. */
function linearRef(x: Float64Array, w: Float64Array, out: number, inDim: number, bias?: Float64Array): Float64Array {
  const y = matmulRef(x, w, { batch: 1, M: x.length / inDim, N: out, K: inDim, transA: false, transB: true });
  return bias ? binaryRef('add', y, bias) : y;
}

export function toyLossRef(c: ToyConfig, w: Map<string, Float64Array>, b: ToyBatch): number {
  const { B, T } = b;
  const qd = c.heads * c.headDim;
  const kd = c.kvHeads * c.headDim;
  let x = embeddingRef(w.get('embed')!, b.ids, c.hidden);
  for (let l = 0; l < c.layers; l++) {
    const P = (n: string) => w.get(`l${l}.${n}`)!;
    const h = rmsnormRef(x, P('ln1'), c.hidden, c.eps).y;
    let q = linearRef(h, P('wq'), qd, c.hidden, c.qkvBias ? P('bq') : undefined);
    let k = linearRef(h, P('wk'), kd, c.hidden, c.qkvBias ? P('bk') : undefined);
    const v = linearRef(h, P('wv'), kd, c.hidden, c.qkvBias ? P('bv') : undefined);
    if (c.qkNorm) {
      q = rmsnormRef(q, P('qn'), c.headDim, c.eps).y;
      k = rmsnormRef(k, P('kn'), c.headDim, c.eps).y;
    }
    q = ropeRef(q, b.positions, c.heads, c.headDim, c.ropeTheta);
    k = ropeRef(k, b.positions, c.kvHeads, c.headDim, c.ropeTheta);
    const a = attentionRef(q, k, v, b.mask, { B, T, Hq: c.heads, Hkv: c.kvHeads, D: c.headDim });
    x = binaryRef('add', x, linearRef(a, P('wo'), c.hidden, qd));
    const h2 = rmsnormRef(x, P('ln2'), c.hidden, c.eps).y;
    const m = swigluRef(linearRef(h2, P('wg'), c.ffn, c.hidden), linearRef(h2, P('wu'), c.ffn, c.hidden));
    x = binaryRef('add', x, linearRef(m, P('wd'), c.hidden, c.ffn));
  }
  const logits = linearRef(rmsnormRef(x, w.get('lnf')!, c.hidden, c.eps).y, w.get('head')!, c.vocab, c.hidden);
  return crossEntropyRef(logits, b.targets, c.vocab);
}
