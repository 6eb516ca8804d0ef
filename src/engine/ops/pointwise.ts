// Launchers of the clipping kernels: y = clamp(a·x + b, lo, hi) and elementwise minimum / maximum, with backward.
import affineClampSrc from '../../../shaders/affine_clamp.wgsl?raw';
import minmaxSrc from '../../../shaders/minmax.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertDtype, fmt } from './shape.ts';

/** The largest finite f32: a bound that never binds. */
export const NO_BOUND = 3.4028234663852886e38;

export interface AffineClamp {
  a: number;
  b: number;
  lo: number;
  hi: number;
}

function bound(v: number): number {
  return Math.max(-NO_BOUND, Math.min(NO_BOUND, v));
}

function sameShape(op: string, x: Tensor, y: Tensor): void {
  if (x.size !== y.size || x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) {
    throw new Error(`${op}: shapes ${fmt(x.shape)} and ${fmt(y.shape)} must be equal`);
  }
}

function affineClampRun(e: Engine, x: Tensor, dy: Tensor | null, p: AffineClamp): Tensor {
  assertDtype('affineClamp', 'x', x.dtype, 'f32');
  if (!(p.lo <= p.hi)) throw new Error(`clamp: lower bound ${p.lo} is above upper bound ${p.hi}`);
  const out = e.empty(x.shape, 'f32', dy ? 'affineClampBackward' : 'affineClamp');
  const params = words({ u: x.size }, { u: dy ? 1 : 0 }, { f: p.a }, { f: p.b }, { f: bound(p.lo) }, { f: bound(p.hi) });
  e.run(affineClampSrc, params, [x.buffer, (dy ?? x).buffer, out.buffer], e.grid(Math.ceil(x.size / 64)), 'affineClamp');
  return out;
}

export function affineClampForward(e: Engine, x: Tensor, p: AffineClamp): Tensor {
  return affineClampRun(e, x, null, p);
}

/** dx = a·dy where the affine value is inside [lo, hi], else 0. */
export function affineClampBackward(e: Engine, x: Tensor, dy: Tensor, p: AffineClamp): Tensor {
  sameShape('affineClamp backward', x, dy);
  return affineClampRun(e, x, dy, p);
}

export type MinMaxOp = 'minimum' | 'maximum';

export function minmaxForward(e: Engine, op: MinMaxOp, a: Tensor, b: Tensor): Tensor {
  assertDtype(op, 'a', a.dtype, 'f32');
  assertDtype(op, 'b', b.dtype, 'f32');
  sameShape(op, a, b);
  const out = e.empty(a.shape, 'f32', op);
  e.run(minmaxSrc, words({ u: a.size }, { u: op === 'minimum' ? 0 : 1 }), [a.buffer, b.buffer, a.buffer, out.buffer], e.grid(Math.ceil(a.size / 64)), op);
  return out;
}

/** Gradient of min/max(self, other) with respect to `self`: dy where self is chosen, dy/2 on ties, else 0. */
export function minmaxBackward(e: Engine, op: MinMaxOp, self: Tensor, other: Tensor, dy: Tensor): Tensor {
  sameShape(op, self, dy);
  const out = e.empty(self.shape, 'f32', `${op}Backward`);
  e.run(minmaxSrc, words({ u: self.size }, { u: op === 'minimum' ? 2 : 3 }), [self.buffer, other.buffer, dy.buffer, out.buffer], e.grid(Math.ceil(self.size / 64)), `${op}Backward`);
  return out;
}
