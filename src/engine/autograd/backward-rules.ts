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
import { ropeApply, ropePairApply } from '../ops/rope.ts';
import { swigluBackward } from '../ops/swiglu.ts';
import type { Tensor } from '../tensor.ts';
import type { BackwardRules } from './op-records.ts';
import { accumulateTarget, gradTarget, pendingGrad, Tape } from './tape.ts';

/** Folds leading dims: (…, M, K) -> (rows, K) views for the weight gradient of a shared 2-D operand. */
function flat2(t: Tensor): Tensor {
  const last = t.shape[t.shape.length - 1];
  return t.view([t.size / last, last]);
}

/**
 * Runs `write` with the output options that put a gradient of `t` where it belongs: into t's existing gradient or its
 * arena slot (returns null: nothing left to give), or into a new tensor (returned).
 */
function intoTarget(t: Tensor, write: (o: { out?: Tensor; accumulateInto?: Tensor }) => Tensor): Tensor | null {
  const target = gradTarget(t);
  if (!target) return write({});
  write(target.accumulate ? { accumulateInto: target.into } : { out: target.into });
  return null;
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
      da = intoTarget(a, (o) => (transA ? matmulForward(e, b, dC, { transA: transB, transB: true, ...o }) : matmulForward(e, dC, b, { transB: !transB, ...o })));
    }
    if (needs[1]) {
      const shared = b.shape.length === 2 && a.shape.length > 2;
      const a2 = shared ? flat2(a) : a;
      const d2 = shared ? flat2(dC) : dC;
      // dB = op(A)ᵀ·dC, or (B stored transposed) dBᵀ = dCᵀ·op(A).
      db = intoTarget(b, (o) => (transB ? matmulForward(e, d2, a2, { transA: true, transB: transA, ...o }) : matmulForward(e, a2, d2, { transA: !transA, ...o })));
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
    // Added into x's gradient so far (the residual stream's) when it has one: no separate accumulate dispatch.
    const into = needs[0] ? accumulateTarget(x) : null;
    const dx = needs[0] ? rmsnormBackwardInput(x.engine, x, w, dy, rstd, into ?? undefined) : null;
    return [into ? null : dx, needs[1] ? rmsnormBackwardWeight(x.engine, x, dy, rstd) : null];
  },

  rope(node, dy, needs) {
    const [x, positions] = node.inputs;
    // A rotation's transpose is the rotation by the opposite angle.
    if (!needs[0]) return [null, null];
    const { tables, pair } = node.attrs;
    if (pair && node.output === pair.first && pair.dFirst) {
      const d = pair.dFirst; // rotated by the second node's fused dispatch
      pair.dFirst = null;
      return [d, null];
    }
    const dFirst = pair && node.output === pair.second && pair.firstInput.needsGrad ? pendingGrad(pair.first) : null;
    if (dFirst) {
      const [da, db] = ropePairApply(x.engine, dFirst, dy, positions, tables, -1);
      pair!.dFirst = da;
      return [db, null];
    }
    return [ropeApply(x.engine, dy, positions, tables, -1), null];
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

  projection(node, g, needs) {
    const { inputs, attrs: at } = node;
    const [x, w] = inputs;
    const e = g.engine;
    const grads: Array<Tensor | null> = inputs.map(() => null);
    const flat = x.shape.length > 2;
    const x2 = flat ? flat2(x) : x;
    const g2 = flat ? flat2(g) : g;
    const drop = at.dropout;
    if (at.residual >= 0 && needs[at.residual]) grads[at.residual] = g.view(g.shape);
    if (at.bias >= 0 && needs[at.bias]) grads[at.bias] = sumRows(e, g);
    if (needs[1]) grads[1] = intoTarget(w, (o) => matmulForward(e, g2, x2, { transA: true, ...o })); // dW = gᵀ·x
    let du: Tensor | null = null;
    if (at.loraA >= 0) {
      const A = inputs[at.loraA];
      const B = inputs[at.loraB];
      const u = node.saved.u!;
      const u2 = flat ? flat2(u) : u;
      if (needs[at.loraB]) grads[at.loraB] = intoTarget(B, (o) => matmulForward(e, g2, u2, { transA: true, alpha: at.scale, ...o })); // dB = s·gᵀ·u
      if (needs[at.loraA] || needs[0]) du = matmulForward(e, g2, B, { alpha: at.scale }); // du = s·g·B (N, r)
      if (needs[at.loraA]) grads[at.loraA] = intoTarget(A, (o) => matmulForward(e, du!, x2, { transA: true, dropout: drop ? { on: 'B', ...drop } : undefined, ...o })); // dA = duᵀ·drop(x)
      if (flat) u2.release();
    }
    if (needs[0]) {
      // dx = g·W (+ drop(du·A)), written into x's existing gradient when it has one.
      const t = gradTarget(x);
      const dx = matmulForward(e, g, w, t ? { [t.accumulate ? 'accumulateInto' : 'out']: t.into } : {});
      if (du) matmulForward(e, du, inputs[at.loraA], { accumulateInto: dx, dropout: drop ? { on: 'C', ...drop } : undefined });
      grads[0] = t ? null : dx;
    }
    du?.release();
    if (flat) {
      x2.release();
      g2.release();
    }
    return grads;
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
