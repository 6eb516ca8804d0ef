// Global gradient norm, clip coefficient and non-finite flag of many tensors, computed and kept on the GPU.
import finalizeSrc from '../../../shaders/grad_norm_finalize.wgsl?raw';
import sumsqSrc from '../../../shaders/sumsq.wgsl?raw';
import sumsqSubgroupSrc from '../../../shaders/sumsq_subgroups.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';

/** Workgroups per tensor: enough to spread a large tensor over a GPU, one for a small one. */
function partsFor(n: number): number {
  return Math.max(1, Math.min(64, Math.ceil(n / 4096)));
}

export interface GradNormOptions {
  /** Clip to this global norm (0 = no clipping; the norm and the flag are still computed). */
  maxNorm: number;
  /** Override the reduction path (tests run both where subgroups exist). */
  subgroups?: boolean;
}

/**
 * Returns info (4): [global L2 norm, clip coefficient min(1, maxNorm / norm), 1 if any value is NaN/Inf, 0].
 * Read it asynchronously (info.readLater()) to report the norm or a skipped step; AdamW consumes it on the GPU.
 */
export function gradNormInfo(e: Engine, tensors: Tensor[], opts: GradNormOptions): Tensor {
  const useSub = opts.subgroups ?? e.hasSubgroups;
  if (useSub && !e.device.features.has('subgroups')) throw new Error('gradNormInfo: subgroups requested but the device lacks the subgroups feature');
  const slots = tensors.reduce((a, t) => a + partsFor(t.size), 0);
  const partials = e.empty([Math.max(slots, 1), 2], 'f32', 'gradNorm.partials');
  const info = e.empty([4], 'f32', 'gradNorm.info');
  let slot = 0;
  if (slots === 0) e.batch.clear(partials.buffer, partials.bytes);
  for (const t of tensors) {
    if (t.dtype !== 'f32') throw new Error(`gradNormInfo: ${t.label || 'tensor'} has dtype ${t.dtype}`);
    const parts = partsFor(t.size);
    e.run(useSub ? sumsqSubgroupSrc : sumsqSrc, words({ u: t.size }, { u: slot }, { u: parts }), [t, partials], [parts], 'sumsq');
    slot += parts;
  }
  e.run(finalizeSrc, words({ u: Math.max(slots, 1) }, { f: opts.maxNorm }), [partials, info], [1], 'gradNormFinalize');
  partials.release();
  return info;
}
