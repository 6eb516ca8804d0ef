// Launchers of the log-sigmoid kernel (shaders/log_sigmoid.wgsl): forward log σ(x) and backward dy · σ(−x).
import logSigmoidSrc from '../../../shaders/log_sigmoid.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertDtype, fmt } from './shape.ts';

function run(e: Engine, x: Tensor, dy: Tensor | null): Tensor {
  assertDtype('logSigmoid', 'x', x.dtype, 'f32');
  const out = e.empty(x.shape, 'f32', dy ? 'logSigmoidBackward' : 'logSigmoid');
  e.run(logSigmoidSrc, words({ u: x.size }, { u: dy ? 1 : 0 }), [x.buffer, (dy ?? x).buffer, out.buffer], e.grid(Math.ceil(x.size / 64)), out.label);
  return out;
}

export function logSigmoidForward(e: Engine, x: Tensor): Tensor {
  return run(e, x, null);
}

/** dx = dy · σ(−x). */
export function logSigmoidBackward(e: Engine, x: Tensor, dy: Tensor): Tensor {
  if (x.size !== dy.size) throw new Error(`logSigmoid backward: x ${fmt(x.shape)} and dy ${fmt(dy.shape)} differ in size`);
  assertDtype('logSigmoid backward', 'dy', dy.dtype, 'f32');
  return run(e, x, dy);
}
