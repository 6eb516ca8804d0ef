// Configuration and deterministic initial weights of the toy Qwen-style transformer used by tests and benchmarks.
import { Rng } from '../../util/rng.ts';

export interface ToyConfig {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ffn: number;
  ropeTheta: number;
  eps: number;
  /** Qwen3-style per-head RMSNorm of q and k. */
  qkNorm: boolean;
  /** Qwen2-style bias on the q/k/v projections. */
  qkvBias: boolean;
}

export const TOY_DEFAULT: ToyConfig = { vocab: 23, hidden: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, ffn: 24, ropeTheta: 10000, eps: 1e-6, qkNorm: true, qkvBias: true };

/** Parameter name -> shape, in a fixed order (PyTorch layout: Linear weights are (out, in)). */
export function toyParamShapes(c: ToyConfig): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [['embed', [c.vocab, c.hidden]]];
  for (let l = 0; l < c.layers; l++) {
    const p = `l${l}.`;
    out.push([`${p}ln1`, [c.hidden]], [`${p}wq`, [c.heads * c.headDim, c.hidden]], [`${p}wk`, [c.kvHeads * c.headDim, c.hidden]], [`${p}wv`, [c.kvHeads * c.headDim, c.hidden]]);
    if (c.qkvBias) out.push([`${p}bq`, [c.heads * c.headDim]], [`${p}bk`, [c.kvHeads * c.headDim]], [`${p}bv`, [c.kvHeads * c.headDim]]);
    if (c.qkNorm) out.push([`${p}qn`, [c.headDim]], [`${p}kn`, [c.headDim]]);
    out.push([`${p}wo`, [c.hidden, c.heads * c.headDim]], [`${p}ln2`, [c.hidden]], [`${p}wg`, [c.ffn, c.hidden]], [`${p}wu`, [c.ffn, c.hidden]], [`${p}wd`, [c.hidden, c.ffn]]);
  }
  out.push(['lnf', [c.hidden]], ['head', [c.vocab, c.hidden]]);
  return out;
}

/** Norm weights around 1, matrices ~ N(0, scale^2): large enough that gradients are far from zero. */
export function toyInitWeights(c: ToyConfig, seed: number, scale = 0.3): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const w = new Map<string, Float32Array>();
  for (const [name, shape] of toyParamShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const isNorm = /ln|qn|kn/.test(name);
    w.set(name, Float32Array.from({ length: n }, () => (isNorm ? 1 + 0.1 * rng.normal() : scale * rng.normal())));
  }
  return w;
}

export interface ToyBatch {
  B: number;
  T: number;
  ids: Uint32Array; // (B * T)
  targets: Uint32Array; // (B * T), 0xffffffff = ignored
  mask: Uint32Array; // (B, T), 0 = padding
  positions: Uint32Array; // (B * T)
}

/** A fixed batch with right padding in the second sequence and ignored prompt tokens. */
export function toyBatch(c: ToyConfig, B: number, T: number, seed: number): ToyBatch {
  const rng = new Rng(seed);
  const ids = Uint32Array.from({ length: B * T }, () => rng.int(c.vocab));
  const mask = new Uint32Array(B * T).fill(1);
  const targets = new Uint32Array(B * T);
  const positions = Uint32Array.from({ length: B * T }, (_, i) => i % T);
  for (let b = 0; b < B; b++) {
    const len = b === 1 ? T - 2 : T;
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (t >= len) mask[i] = 0;
      targets[i] = t < 1 || t + 1 >= len ? 0xffffffff : ids[i + 1];
    }
  }
  return { B, T, ids, targets, mask, positions };
}
