// The backward rule of every differentiable op, in one table typed so that a missing rule does not compile.
import { attentionBackward } from '../ops/attention.ts';
import { binaryForward, scaleForward, sumRows } from '../ops/elementwise.ts';
import { chunkedLogitsBackward } from '../ops/chunked-logits.ts';
import { embeddingBackward } from '../ops/embedding.ts';
import { logitsBackward } from '../ops/logits.ts';
import { logSigmoidBackward } from '../ops/log-sigmoid.ts';
import { matmulForward } from '../ops/matmul.ts';
import { affineClampBackward, minmaxBackward } from '../ops/pointwise.ts';
import { maskedMeanBackward } from '../ops/reduce.ts';
import { rmsnormBackwardInput, rmsnormBackwardWeight } from '../ops/rmsnorm.ts';
import { ropeApply } from '../ops/rope.ts';
import { swigluBackward } from '../ops/swiglu.ts';
import type { Tensor } from '../tensor.ts';
import type { BackwardRules } from './op-records.ts';
import { Tape } from './tape.ts';

/** Folds leading dims: (…, M, K) -> (rows, K) views for the weight gradient of a shared 2-D operand. */
function flat2(t: Tensor): Tensor {
  const last = t.shape[t.shape.length - 1];
  return t.view([t.size / last, last]);
}

export const BACKWARD_RULES: BackwardRules = {
  matmul(node, dC, needs) {
    const [a, b] = node.inputs;
    const { transA, transB } = node.attrs;
    const e = a.engine;
    let da: Tensor | null = null;
    let db: Tensor | null = null;
    if (needs[0]) {
      // C = op(A)·op(B): dA = dC·op(B)ᵀ, or (A stored transposed) dAᵀ = op(B)·dCᵀ.
      da = transA ? matmulForward(e, b, dC, { transA: transB, transB: true }) : matmulForward(e, dC, b, { transB: !transB });
    }
    if (needs[1]) {
      const shared = b.shape.length === 2 && a.shape.length > 2;
      const a2 = shared ? flat2(a) : a;
      const d2 = shared ? flat2(dC) : dC;
      // dB = op(A)ᵀ·dC, or (B stored transposed) dBᵀ = dCᵀ·op(A).
      db = transB ? matmulForward(e, d2, a2, { transA: true, transB: transA }) : matmulForward(e, a2, d2, { transA: !transA });
      if (shared) {
        a2.release();
        d2.release();
      }
    }
    return [da, db];
  },

  embedding(node, dy, needs) {
    const [table, ids] = node.inputs;
    return [needs[0] ? embeddingBackward(table.engine, ids, dy, table.shape[0]) : null, null];
  },

  rmsnorm(node, dy, needs) {
    const [x, w] = node.inputs;
    const { rstd } = node.saved;
    return [needs[0] ? rmsnormBackwardInput(x.engine, x, w, dy, rstd) : null, needs[1] ? rmsnormBackwardWeight(x.engine, x, dy, rstd) : null];
  },

  rope(node, dy, needs) {
    const [x, positions] = node.inputs;
    // A rotation's transpose is the rotation by the opposite angle.
    return [needs[0] ? ropeApply(x.engine, dy, positions, node.attrs.tables, -1) : null, null];
  },

  swiglu(node, dy) {
    const [gate, up] = node.inputs;
    const { dgate, dup } = swigluBackward(gate.engine, gate, up, dy);
    return [dgate, dup];
  },

  add(node, dy, needs) {
    const e = dy.engine;
    return [needs[0] ? dy.view(dy.shape) : null, needs[1] ? (node.attrs.broadcast ? sumRows(e, dy) : dy.view(dy.shape)) : null];
  },

  sub(node, dy, needs) {
    const e = dy.engine;
    let db: Tensor | null = null;
    if (needs[1]) {
      const s = node.attrs.broadcast ? sumRows(e, dy) : null;
      db = scaleForward(e, s ?? dy, -1);
      s?.release();
    }
    return [needs[0] ? dy.view(dy.shape) : null, db];
  },

  mul(node, dy, needs) {
    const [a, b] = node.inputs;
    const e = dy.engine;
    return [needs[0] ? binaryForward(e, 'mul', dy, b) : null, needs[1] ? binaryForward(e, 'mul', dy, a) : null];
  },

  scale(node, dy) {
    return [scaleForward(dy.engine, dy, node.attrs.s)];
  },

  exp(node, dy) {
    // d exp(x) = exp(x) dx: the output is still alive (it is released after this rule runs).
    return [binaryForward(dy.engine, 'mul', dy, node.output)];
  },

  reshape(node, dy) {
    return [dy.view(node.inputs[0].shape)];
  },

  affineClamp(node, dy) {
    return [affineClampBackward(dy.engine, node.inputs[0], dy, node.attrs)];
  },

  minmax(node, dy, needs) {
    const [a, b] = node.inputs;
    const e = dy.engine;
    return [needs[0] ? minmaxBackward(e, node.attrs.op, a, b, dy) : null, needs[1] ? minmaxBackward(e, node.attrs.op, b, a, dy) : null];
  },

  logSigmoid(node, dy) {
    return [logSigmoidBackward(dy.engine, node.inputs[0], dy)];
  },

  attention(node, dout, needs) {
    const [q, k, v, mask] = node.inputs;
    const { dq, dk, dv } = attentionBackward(q.engine, q, k, v, mask, node.output, node.saved.stats, dout, node.attrs.dims);
    const keep = (t: Tensor, need: boolean) => {
      if (need) return t;
      t.release();
      return null;
    };
    return [keep(dq, needs[0]), keep(dk, needs[1]), keep(dv, needs[2]), null];
  },

  crossEntropy(node, g) {
    const [logits, targets] = node.inputs;
    return [logitsBackward(logits.engine, 'crossEntropy', logits, targets, node.saved.stats, g, node.saved.info), null];
  },

  tokenLogprobs(node, g) {
    const [logits, targets] = node.inputs;
    return [logitsBackward(logits.engine, 'logprob', logits, targets, node.saved.stats, g, node.saved.stats), null];
  },

  entropy(node, g) {
    const [logits] = node.inputs;
    return [logitsBackward(logits.engine, 'entropy', logits, node.saved.targets, node.saved.stats, g, node.saved.stats)];
  },

  linearLogits(node, g, needs) {
    const [h, w, targets] = node.inputs;
    const { dh, dw } = chunkedLogitsBackward(h.engine, node.attrs.mode, h, w, targets, node.attrs.plan, g, [needs[0], needs[1] && w.dtype === 'f32']);
    return [dh, dw, null];
  },

  maskedMean(node, g, needs) {
    const [x, w] = node.inputs;
    // The weights are a mask, not a learned input: no gradient flows to them.
    return [needs[0] ? maskedMeanBackward(x.engine, w, g, node.saved.info, x.shape) : null, null];
  },

  checkpoint(node, dOut) {
    const inputs = node.inputs;
    const e = dOut.engine;
    const sub = new Tape(e);
    let out: Tensor;
    try {
      out = node.attrs.fn(...inputs);
    } catch (err) {
      sub.dispose();
      throw err;
    }
    const grads = sub.backward(out, { gradOutput: dOut, wrt: inputs.filter((t) => t.needsGrad && !t.requiresGrad) });
    sub.dispose();
    return inputs.map((t) => grads.get(t) ?? null);
  },
};
