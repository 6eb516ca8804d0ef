// A small Qwen-style decoder (GQA attention with RoPE, optional q/k norm and qkv bias, SwiGLU MLP) built
// from the engine's differentiable ops: the end-to-end check of the autograd and the benchmark's training step.
import { attention, checkpoint, crossEntropy, embedding, linear, projection, reshape, rmsnorm, ropePair, swiglu } from '../autograd/functions.ts';
import type { Engine } from '../engine.ts';
import { ropeTables, type RopeTables } from '../ops/rope.ts';
import type { Tensor } from '../tensor.ts';
import { toyParamShapes, type ToyBatch, type ToyConfig } from './toy-config.ts';

export class ToyTransformer {
  readonly params = new Map<string, Tensor>();
  readonly rope: RopeTables;

  constructor(
    readonly engine: Engine,
    readonly config: ToyConfig,
    weights: Map<string, Float32Array>,
    maxPositions = 256,
  ) {
    for (const [name, shape] of toyParamShapes(config)) this.params.set(name, engine.param(weights.get(name)!, shape, name));
    this.rope = ropeTables(engine, maxPositions, config.headDim, config.ropeTheta);
    engine.keep(this.rope.cos);
    engine.keep(this.rope.sin);
  }

  private p(name: string): Tensor {
    return this.params.get(name)!;
  }

  /** One decoder layer: x (B*T, C) -> (B*T, C). */
  private layer(l: number, x: Tensor, positions: Tensor, mask: Tensor, B: number, T: number): Tensor {
    const c = this.config;
    const P = (n: string) => this.p(`l${l}.${n}`);
    const h = rmsnorm(x, P('ln1'), c.eps);
    // Bias and residual ride in the projections' matmuls, and q/k rotate in one dispatch (the fused ops the model uses).
    let q = reshape(projection(h, P('wq'), { bias: c.qkvBias ? P('bq') : undefined }), [B, T, c.heads, c.headDim]);
    let k = reshape(projection(h, P('wk'), { bias: c.qkvBias ? P('bk') : undefined }), [B, T, c.kvHeads, c.headDim]);
    const v = reshape(projection(h, P('wv'), { bias: c.qkvBias ? P('bv') : undefined }), [B, T, c.kvHeads, c.headDim]);
    if (c.qkNorm) {
      q = rmsnorm(q, P('qn'), c.eps);
      k = rmsnorm(k, P('kn'), c.eps);
    }
    [q, k] = ropePair(q, k, positions, this.rope);
    const a = reshape(attention(q, k, v, mask), [B * T, c.heads * c.headDim]);
    const x1 = projection(a, P('wo'), { residual: x });
    const h2 = rmsnorm(x1, P('ln2'), c.eps);
    return projection(swiglu(linear(h2, P('wg')), linear(h2, P('wu'))), P('wd'), { residual: x1 });
  }

  /** Mean cross-entropy of the batch (1). With recompute, each layer's activations are rebuilt in backward. */
  loss(batch: { B: number; T: number; ids: Tensor; targets: Tensor; mask: Tensor; positions: Tensor }, recompute = false): Tensor {
    const { B, T, ids, positions, mask } = batch;
    let x = embedding(this.p('embed'), ids);
    for (let l = 0; l < this.config.layers; l++) {
      x = recompute ? checkpoint((y) => this.layer(l, y, positions, mask, B, T), [x]) : this.layer(l, x, positions, mask, B, T);
    }
    const logits = linear(rmsnorm(x, this.p('lnf'), this.config.eps), this.p('head'));
    return crossEntropy(logits, batch.targets);
  }

  /** Uploads a batch (the caller releases the tensors). */
  upload(b: ToyBatch): { B: number; T: number; ids: Tensor; targets: Tensor; mask: Tensor; positions: Tensor } {
    const e = this.engine;
    return { B: b.B, T: b.T, ids: e.tensor(b.ids, [b.B * b.T]), targets: e.tensor(b.targets, [b.B * b.T]), mask: e.tensor(b.mask, [b.B, b.T]), positions: e.tensor(b.positions, [b.B * b.T]) };
  }
}
