// Test helpers for the engine: relative error against float64 references, random data, finite differences.
import { Engine } from '../../../src/engine/engine.ts';
import type { NodeGpuChoice } from '../../../src/gpu/node-gpu.ts';
import { Rng } from '../../../src/util/rng.ts';
import { gpuFor } from '../../helpers/gpu.ts';

/** ‖out − ref‖ / ‖ref‖ (Infinity if out holds a NaN, e.g. an unwritten poisoned element). */
export function relErr(out: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (out.length !== ref.length) throw new Error(`relErr: lengths differ (${out.length} vs ${ref.length})`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < out.length; i++) {
    if (Number.isNaN(out[i])) return Infinity;
    num += (out[i] - ref[i]) ** 2;
    den += ref[i] ** 2;
  }
  if (den === 0) return Math.sqrt(num);
  return Math.sqrt(num / den);
}

/** Random f32 values (normal * scale) and their exact float64 copy. */
export function randomData(rng: Rng, n: number, scale = 1): { f32: Float32Array; f64: Float64Array } {
  const f32 = new Float32Array(n);
  for (let i = 0; i < n; i++) f32[i] = rng.normal() * scale;
  return { f32, f64: Float64Array.from(f32) };
}

export function f64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a);
}

/** An engine on `choice` that poisons every new tensor with NaN. */
export async function testEngine(choice: NodeGpuChoice, opts: ConstructorParameters<typeof Engine>[1] = {}): Promise<Engine> {
  const ctx = await gpuFor(choice);
  return new Engine(ctx, { poison: true, ...opts });
}

/**
 * Compares an analytic gradient with central finite differences of a float64 function, at `samples`
 * random coordinates. Returns the relative error over those coordinates.
 */
export function finiteDiffErr(f: (x: Float64Array) => number, x: Float64Array, analytic: Float64Array, rng: Rng, samples = 24, h = 1e-6): number {
  const idx = x.length <= samples ? [...Array(x.length).keys()] : Array.from({ length: samples }, () => rng.int(x.length));
  const num: number[] = [];
  const ana: number[] = [];
  for (const i of idx) {
    const save = x[i];
    x[i] = save + h;
    const fp = f(x);
    x[i] = save - h;
    const fm = f(x);
    x[i] = save;
    num.push((fp - fm) / (2 * h));
    ana.push(analytic[i]);
  }
  return relErr(ana, num);
}

/** sum(a * b) */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

import { startTape } from '../../../src/engine/autograd/tape.ts';
import type { Tensor } from '../../../src/engine/tensor.ts';

/**
 * Runs `fn` on `inputs` under a tape (the f32 inputs become trainable leaves), backpropagates `dOut`
 * and returns the forward output and each f32 input's gradient (null for u32 inputs).
 */
export async function forwardBackward(fn: (...ins: Tensor[]) => Tensor, inputs: Tensor[], dOut: Float32Array | null): Promise<{ out: Float32Array; grads: Array<Float32Array | null> }> {
  const e = inputs[0].engine;
  for (const t of inputs) {
    if (t.dtype === 'f32') {
      t.requiresGrad = true;
      t.needsGrad = true;
      t.grad?.release();
      t.grad = null;
    }
  }
  const tape = startTape(e);
  const y = fn(...inputs);
  const outP = y.readLater();
  const g = dOut ? e.tensor(dOut, y.shape) : undefined;
  tape.backward(y, { gradOutput: g });
  const gradPs = inputs.map((t) => (t.grad ? t.grad.readLater() : null));
  e.flush();
  const out = await outP;
  const grads = await Promise.all(gradPs);
  tape.dispose();
  g?.release();
  return { out, grads };
}
