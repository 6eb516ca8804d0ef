// Launchers of the elementwise kernels: add/sub/mul (with row broadcast), scale, exp, accumulate, column sums.
import binarySrc from '../../../shaders/binary.wgsl?raw';
import sumRowsSrc from '../../../shaders/sum_rows.wgsl?raw';
import unarySrc from '../../../shaders/unary.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertDtype, fmt, rowsOf } from './shape.ts';

export type BinaryOp = 'add' | 'sub' | 'mul';
const BINARY_CODE: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2 };

/** out = a (op) b where b has a's shape, or b is a vector of a's last dim broadcast over rows (bias add). */
export function binaryForward(e: Engine, op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  assertDtype(op, 'a', a.dtype, 'f32');
  assertDtype(op, 'b', b.dtype, 'f32');
  const [, last] = rowsOf(a.shape);
  const same = a.size === b.size && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
  const rowBroadcast = b.shape.length === 1 && b.size === last;
  if (!same && !rowBroadcast) throw new Error(`${op}: shapes ${fmt(a.shape)} and ${fmt(b.shape)} are neither equal nor (rows, C) with (C)`);
  const out = e.empty(a.shape, 'f32', op);
  e.run(binarySrc, words({ u: a.size }, { u: Math.max(b.size, 1) }, { u: BINARY_CODE[op] }), [a, b, out], e.grid(Math.ceil(a.size / 64)), op);
  return out;
}

export function scaleForward(e: Engine, x: Tensor, s: number): Tensor {
  assertDtype('scale', 'x', x.dtype, 'f32');
  const out = e.empty(x.shape, 'f32', 'scale');
  e.run(unarySrc, words({ u: x.size }, { u: 0 }, { f: s }), [x, out], e.grid(Math.ceil(x.size / 64)), 'scale');
  return out;
}

export function expForward(e: Engine, x: Tensor): Tensor {
  assertDtype('exp', 'x', x.dtype, 'f32');
  const out = e.empty(x.shape, 'f32', 'exp');
  e.run(unarySrc, words({ u: x.size }, { u: 1 }, { f: 0 }), [x, out], e.grid(Math.ceil(x.size / 64)), 'exp');
  return out;
}

/** acc += s * x, in place (gradient accumulation). */
export function accumulate(e: Engine, acc: Tensor, x: Tensor, s = 1): void {
  if (acc.size !== x.size) throw new Error(`accumulate: ${fmt(acc.shape)} += ${fmt(x.shape)}: sizes differ`);
  e.run(unarySrc, words({ u: x.size }, { u: 2 }, { f: s }), [x, acc], e.grid(Math.ceil(x.size / 64)), 'accumulate');
}

/** Sums a (…, C) tensor over every leading dim: (C). */
export function sumRows(e: Engine, x: Tensor): Tensor {
  const [rows, cols] = rowsOf(x.shape);
  const out = e.empty([cols], 'f32', 'sumRows');
  e.run(sumRowsSrc, words({ u: rows }, { u: cols }), [x, out], e.grid(Math.ceil(cols / 64)), 'sumRows');
  return out;
}
