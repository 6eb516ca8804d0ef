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
    // acc += g, in place unless acc's buffer is also another live gradient: `add` hands both its inputs views of
    // one dy, and adding into that buffer would change the other input's gradient too (copy on write).
    const sum = (acc: Tensor, g: Tensor): Tensor => {
      if (acc.storage.refs === 1) {
        accumulate(e, acc, g);
        g.release();
        return acc;
      }
      const gv = g.view(acc.shape);
      const out = e.keep(binaryForward(e, 'add', acc, gv));
      for (const t of [acc, gv, g]) t.release();
      return out;
    };
    const give = (t: Tensor, g: Tensor) => {
      if (t.requiresGrad) {
        if (t.grad) {
          t.grad = sum(t.grad, g);
        } else {
          this.owned.delete(g);
          t.grad = g.shape.length === t.shape.length && g.shape.every((d, i) => d === t.shape[i]) ? g : reshapeOwned(g, t.shape);
        }
        return;
      }
      const prev = grads.get(t);
      grads.set(t, prev ? sum(prev, g) : g);
    };
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
