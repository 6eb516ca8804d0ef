// Launchers for SwiGLU: silu(gate) * up and its backward.
import backwardSrc from '../../../shaders/swiglu_backward.wgsl?raw';
import forwardSrc from '../../../shaders/swiglu.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertShape } from './shape.ts';

export function swigluForward(e: Engine, gate: Tensor, up: Tensor): Tensor {
  assertShape('swiglu', 'up', up.shape, gate.shape);
  const out = e.empty(gate.shape, 'f32', 'swiglu');
  e.run(forwardSrc, words({ u: gate.size }), [gate, up, out], e.grid(Math.ceil(gate.size / 64)), 'swiglu');
  return out;
}

export function swigluBackward(e: Engine, gate: Tensor, up: Tensor, dy: Tensor): { dgate: Tensor; dup: Tensor } {
  const dgate = e.empty(gate.shape, 'f32', 'swiglu.dgate');
  const dup = e.empty(gate.shape, 'f32', 'swiglu.dup');
  e.run(backwardSrc, words({ u: gate.size }), [gate, up, dy, dgate, dup], e.grid(Math.ceil(gate.size / 64)), 'swigluBackward');
  return { dgate, dup };
}
