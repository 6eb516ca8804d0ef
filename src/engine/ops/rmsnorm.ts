// Launchers for RMSNorm over the last dim (a per-head RMSNorm is the same op on a (…, heads, head_dim) view).
import backwardSrc from '../../../shaders/rmsnorm_backward.wgsl?raw';
import dweightSrc from '../../../shaders/rmsnorm_dweight.wgsl?raw';
import forwardSrc from '../../../shaders/rmsnorm.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertShape, rowsOf } from './shape.ts';

/** The longest row the one-invocation-per-row layout (forward and input backward) takes. */
const ROW_KERNEL_MAX = 64;

/**
 * The layout both kernels take for rows of C values: rows of up to 64 one invocation each (64 rows a workgroup), longer
 * rows a workgroup each. As workgroups, the CPU adapters ran a decode step's per-head norms at twice a matmul's cost and
 * a PPO micro-batch's norm backwards at 12x their forwards (docs/benchmarks.md). Returns the kernels' perRow word and grid.
 */
function rowLayout(e: Engine, rows: number, C: number): { perRow: number; grid: [number, number] } {
  const perRow = C <= ROW_KERNEL_MAX;
  return { perRow: perRow ? 1 : 0, grid: e.grid(perRow ? Math.ceil(rows / 64) : rows) };
}

/** x (…, C), w (C) -> y (…, C) and rstd (rows). */
export function rmsnormForward(e: Engine, x: Tensor, w: Tensor, eps: number): { y: Tensor; rstd: Tensor } {
  const [rows, C] = rowsOf(x.shape);
  assertShape('rmsnorm', 'weight', w.shape, [C]);
  const y = e.empty(x.shape, 'f32', 'rmsnorm');
  const rstd = e.empty([rows], 'f32', 'rmsnorm.rstd');
  const { perRow, grid } = rowLayout(e, rows, C);
  e.run(forwardSrc, words({ u: rows }, { u: C }, { f: eps }, { u: perRow }), [x, w, y, rstd], grid, 'rmsnorm');
  return { y, rstd };
}

/** dx, or dx added into `accumulateInto` (x's gradient so far) without a separate dispatch. */
export function rmsnormBackwardInput(e: Engine, x: Tensor, w: Tensor, dy: Tensor, rstd: Tensor, accumulateInto?: Tensor): Tensor {
  const [rows, C] = rowsOf(x.shape);
  if (accumulateInto && accumulateInto.size !== x.size) throw new Error(`rmsnorm backward: accumulateInto has ${accumulateInto.size} elements, x ${x.size}`);
  const dx = accumulateInto ?? e.empty(x.shape, 'f32', 'rmsnorm.dx');
  const { perRow, grid } = rowLayout(e, rows, C);
  e.run(backwardSrc, words({ u: rows }, { u: C }, { u: accumulateInto ? 1 : 0 }, { u: perRow }), [x, w, dy, rstd, dx], grid, 'rmsnormBackward');
  return dx;
}

export function rmsnormBackwardWeight(e: Engine, x: Tensor, dy: Tensor, rstd: Tensor): Tensor {
  const [rows, C] = rowsOf(x.shape);
  const dw = e.empty([C], 'f32', 'rmsnorm.dw');
  e.run(dweightSrc, words({ u: rows }, { u: C }), [x, dy, rstd, dw], e.grid(Math.ceil(C / 64)), 'rmsnormDweight');
  return dw;
}
