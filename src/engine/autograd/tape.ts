// Reverse-mode autograd: ops record nodes while a tape is active; backward() walks them in reverse,
// accumulates parameter gradients into `.grad` and releases each intermediate as soon as it is no longer needed.
import { accumulate, binaryForward } from '../ops/elementwise.ts';
import type { Engine } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { BACKWARD_RULES } from './backward-rules.ts';
import type { OpName, OpRecords, TapeNode } from './op-records.ts';

export interface BackwardOptions {
  /** Gradient of `output` (default: ones; required when output has more than one element and no default is wanted). */
  gradOutput?: Tensor;
  /** Tensors the backward pass must not release (e.g. logits you still want to read). The output is always kept. */
  keep?: Tensor[];
  /** Non-parameter tensors whose gradients to return (activation checkpointing uses this). */
  wrt?: Tensor[];
}

/** The tape whose backward pass is running (rules ask it where a gradient may be written directly). */
let active: { grads: Map<Tensor, Tensor> } | null = null;

/**
 * Where a backward rule may write the gradient of `t` itself instead of returning it: into the gradient that `t`
 * already has (accumulate: true), or, for a parameter with a gradient slot (an optimizer's arena) that has no gradient
 * yet, into that slot (accumulate: false: overwrite it). A rule that writes there returns null for `t`. Null: return
 * the gradient as usual. This is what makes gradient accumulation free: a matmul adds into the existing gradient in
 * its epilogue instead of a separate accumulate dispatch.
 */
export function gradTarget(t: Tensor): { into: Tensor; accumulate: boolean } | null {
  if (!active || !t.needsGrad) return null;
  if (t.requiresGrad) {
    if (t.grad) return t.grad.pinned || t.grad.storage.refs === 1 ? { into: t.grad, accumulate: true } : null;
    if (!t.gradSlot) return null;
    t.grad = t.gradSlot;
    return { into: t.gradSlot, accumulate: false };
  }
  const prev = active.grads.get(t);
  // A gradient that shares its buffer (a view another input also got, e.g. both sides of an add) is not ours to change.
  return prev && prev.storage.refs === 1 ? { into: prev, accumulate: true } : null;
}

/** The gradient of a non-leaf tensor waiting in the running backward pass, if any (read-only use). */
export function pendingGrad(t: Tensor): Tensor | null {
  return active?.grads.get(t) ?? null;
}

/** The gradient of `t` so far, when a rule may add into it in place (never claims a fresh arena slot). */
export function accumulateTarget(t: Tensor): Tensor | null {
  if (!active || !t.needsGrad) return null;
  if (t.requiresGrad) return t.grad && (t.grad.pinned || t.grad.storage.refs === 1) ? t.grad : null;
  const prev = active.grads.get(t);
  return prev && prev.storage.refs === 1 ? prev : null;
}

export class Tape {
  readonly nodes: TapeNode[] = [];
  /** Every tensor created while recording; dispose() releases what backward did not. */
  readonly owned = new Set<Tensor>();
  private recording = true;

  constructor(readonly engine: Engine) {
    if (engine.tape) throw new Error('a tape is already recording on this engine: call backward() or dispose() on it first');
    engine.tape = this;
    engine.owners.push(this.owned);
  }

  record<K extends OpName>(op: K, inputs: OpRecords[K]['inputs'], attrs: OpRecords[K]['attrs'], saved: OpRecords[K]['saved'], output: Tensor): void {
    this.nodes.push({ op, inputs, attrs, saved, output } as unknown as TapeNode);
    output.needsGrad = true;
  }

  /** Stops recording (backward does this itself). */
  stop(): void {
    if (!this.recording) return;
    this.recording = false;
    if (this.engine.tape === this) this.engine.tape = null;
    const i = this.engine.owners.lastIndexOf(this.owned);
    if (i >= 0) this.engine.owners.splice(i, 1);
  }

  /**
   * Backpropagates from `output`. Leaves with requiresGrad get `.grad` (accumulated if already set).
   * Returns the gradients of `opts.wrt` (caller owns them). All work is recorded, nothing is submitted.
   */
  backward(output: Tensor, opts: BackwardOptions = {}): Map<Tensor, Tensor> {
    this.stop();
    const e = this.engine;
    const keep = new Set<Tensor>([output, ...(opts.keep ?? [])]);
    const wrt = new Set<Tensor>(opts.wrt ?? []);
    const grads = new Map<Tensor, Tensor>();
    if (opts.gradOutput) {
      if (opts.gradOutput.size !== output.size) throw new Error(`backward: gradOutput has ${opts.gradOutput.size} elements, output ${output.size}`);
      grads.set(output, opts.gradOutput.view(output.shape));
    } else {
      grads.set(output, e.tensor(new Float32Array(output.size).fill(1), output.shape, 'f32', 'seed'));
    }
    const result = new Map<Tensor, Tensor>();
    /** prev + g into prev when prev's buffer is its own; else into a new tensor (prev may be a view of a shared one). */
    const sum = (prev: Tensor, g: Tensor): Tensor => {
      if (prev.pinned || prev.storage.refs === 1) {
        accumulate(e, prev, g);
        g.release();
        return prev;
      }
      const [a, b] = [prev.view([prev.size]), g.view([g.size])];
      const flat = binaryForward(e, 'add', a, b);
      this.owned.delete(flat);
      const out = flat.view(prev.shape);
      for (const x of [a, b, flat, prev, g]) x.release();
      return out;
    };
    const give = (t: Tensor, g: Tensor) => {
      if (t.requiresGrad) {
        if (t.grad) t.grad = sum(t.grad, g);
        else if (t.gradSlot) {
          // The parameter's slot in its optimizer's arena: copy (not a dispatch) the first gradient of the step there.
          e.copy(g, 0, t.gradSlot, 0, t.bytes);
          g.release();
          t.grad = t.gradSlot;
        } else {
          this.owned.delete(g);
          t.grad = g.shape.length === t.shape.length && g.shape.every((d, i) => d === t.shape[i]) ? g : reshapeOwned(g, t.shape);
        }
        return;
      }
      const prev = grads.get(t);
      grads.set(t, prev ? sum(prev, g) : g);
    };
    const outer = active;
    active = { grads };
    try {
    for (let n = this.nodes.length - 1; n >= 0; n--) {
      const node = this.nodes[n];
      const g = grads.get(node.output);
      if (g) {
        grads.delete(node.output);
        const needs = (node.inputs as Tensor[]).map((t) => t.needsGrad);
        const rule = BACKWARD_RULES[node.op] as (node: TapeNode, dOut: Tensor, needs: boolean[]) => Array<Tensor | null>;
        const ins = rule(node, g, needs);
        g.release();
        (node.inputs as Tensor[]).forEach((t, i) => {
          const gi = ins[i];
          if (!gi) return;
          if (needs[i]) give(t, gi);
          else gi.release();
        });
      }
      for (const s of Object.values(node.saved as Record<string, Tensor>)) s.release();
      if (!keep.has(node.output)) node.output.release();
    }
    } finally {
      active = outer;
    }
    for (const [t, g] of grads) {
      if (wrt.has(t)) result.set(t, g);
      else g.release();
    }
    return result;
  }

  /** Releases every tensor created while recording, except `keep`. */
  dispose(keep: Tensor[] = []): void {
    this.stop();
    const k = new Set(keep);
    for (const t of this.owned) if (!k.has(t)) t.release();
    this.owned.clear();
    this.nodes.length = 0;
  }
}

function reshapeOwned(g: Tensor, shape: readonly number[]): Tensor {
  const v = g.view(shape, g.label);
  g.release();
  return v;
}

/** Starts recording differentiable ops on `engine`. */
export function startTape(engine: Engine): Tape {
  return new Tape(engine);
}
