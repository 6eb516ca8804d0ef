// Launchers for the weighted mean to a scalar (mean over unmasked tokens) and its backward.
import backwardSrc from '../../../shaders/masked_mean_backward.wgsl?raw';
import forwardSrc from '../../../shaders/masked_mean.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { fmt } from './shape.ts';

/** x and w of equal size -> (2): sum(x w) / sum(w), sum(w). */
export function maskedMeanForward(e: Engine, x: Tensor, w: Tensor): Tensor {
  if (x.size !== w.size) throw new Error(`maskedMean: x ${fmt(x.shape)} and weights ${fmt(w.shape)} differ in size`);
  const out = e.empty([2], 'f32', 'maskedMean');
  e.run(forwardSrc, words({ u: x.size }), [x, w, out], [1], 'maskedMean');
  return out;
}

export function maskedMeanBackward(e: Engine, w: Tensor, gout: Tensor, info: Tensor, shape: readonly number[]): Tensor {
  const dx = e.empty(shape, 'f32', 'maskedMean.dx');
  e.run(backwardSrc, words({ u: w.size }), [w, gout, info, dx], e.grid(Math.ceil(w.size / 64)), 'maskedMeanBackward');
  return dx;
}
