// AdamW over a list of parameters: global-norm clipping and NaN/Inf step skipping happen on the GPU, in the same submit.
import adamwSrc from '../../../shaders/adamw.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import { Tensor } from '../tensor.ts';
import { ParamArena, type ArenaGroup } from './param-arena.ts';
import { gradNormInfo } from './grad-norm.ts';

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clip (0 disables clipping). */
  maxGradNorm: number;
}

export const ADAMW_DEFAULTS: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1.0 };

export function validateAdamW(c: AdamWConfig): void {
  const bad = (field: keyof AdamWConfig, why: string) => new Error(`AdamW config: ${field}=${c[field]} ${why}`);
  if (!(c.lr >= 0) || !Number.isFinite(c.lr)) throw bad('lr', 'must be a finite number >= 0');
  if (!(c.beta1 >= 0 && c.beta1 < 1)) throw bad('beta1', 'must be in [0, 1)');
  if (!(c.beta2 >= 0 && c.beta2 < 1)) throw bad('beta2', 'must be in [0, 1)');
  if (!(c.eps > 0)) throw bad('eps', 'must be > 0');
  if (!(c.weightDecay >= 0)) throw bad('weightDecay', 'must be >= 0');
  if (!(c.maxGradNorm >= 0)) throw bad('maxGradNorm', 'must be >= 0 (0 disables clipping)');
}

export class AdamW {
  readonly config: AdamWConfig;
  /** Steps taken (bias correction uses t; a step skipped on the GPU for NaN/Inf still counts). */
  t = 0;
  /** First and second moments per parameter (views of the arena's flat moments, in `params` order). */
  readonly m: Tensor[];
  readonly v: Tensor[];
  /** The parameters, their gradient slots and moments in a few shared buffers (one norm + one update per buffer). */
  readonly arena: ParamArena;

  constructor(
    private readonly engine: Engine,
    readonly params: Tensor[],
    config: Partial<AdamWConfig> = {},
    /** Per-parameter multipliers of the step's learning rate (a parameter group's own lr; default 1 each). */
    private readonly lrScale: ReadonlyMap<Tensor, number> = new Map(),
  ) {
    this.config = { ...ADAMW_DEFAULTS, ...config };
    validateAdamW(this.config);
    for (const [p, s] of lrScale) if (!(s >= 0) || !Number.isFinite(s)) throw new Error(`AdamW: the learning-rate scale of ${p.label} must be a finite number >= 0, got ${s}`);
    this.arena = new ParamArena(engine, params);
    this.m = this.arena.m;
    this.v = this.arena.v;
  }

  /**
   * Records one update of every parameter that has a gradient (nothing is submitted here): the global gradient norm
   * over all arenas, then one AdamW dispatch per arena (or per run of parameters with gradients, when some have none:
   * those are left unchanged, as PyTorch leaves a parameter whose grad is None).
   * Returns info (4): [grad norm before clipping, clip coefficient, non-finite flag, 0]; the caller owns it.
   */
  step(lr = this.config.lr): Tensor {
    const e = this.engine;
    const c = this.config;
    this.t++;
    const ranges: Array<{ group: ArenaGroup; from: number; to: number; scale: number }> = [];
    const scaleOf = (p: Tensor) => this.lrScale.get(p) ?? 1;
    for (const group of this.arena.groups) {
      let from = -1;
      group.params.forEach((p, i) => {
        // A parameter with another learning rate starts a dispatch of its own.
        if (from >= 0 && p.grad && scaleOf(p) !== scaleOf(group.params[from])) {
          ranges.push({ group, from, to: i, scale: scaleOf(group.params[from]) });
          from = -1;
        }
        if (p.grad && p.grad !== p.gradSlot) {
          // A gradient set by hand (not by backward): it joins the arena by a copy.
          e.copy(p.grad, 0, p.gradSlot!, 0, p.bytes);
          p.grad.release();
          p.grad = p.gradSlot;
        }
        if (!p.grad) {
          // No gradient this step: its slot may hold an old one, which must not count in the norm.
          e.batch.clear(group.grad.storageBuffer, p.bytes, group.offsets[i]);
          if (from >= 0) ranges.push({ group, from, to: i, scale: scaleOf(group.params[from]) });
          from = -1;
        } else if (from < 0) from = i;
      });
      if (from >= 0) ranges.push({ group, from, to: group.params.length, scale: scaleOf(group.params[from]) });
    }
    const info = gradNormInfo(e, this.arena.groups.map((g) => g.grad), { maxNorm: c.maxGradNorm });
    const bc1 = 1 - Math.pow(c.beta1, this.t);
    const bc2 = 1 - Math.pow(c.beta2, this.t);
    for (const { group, from, to, scale } of ranges) {
      const whole = from === 0 && to === group.params.length;
      const start = group.offsets[from] / 4;
      const end = to === group.params.length ? group.size : group.offsets[to] / 4;
      const range = (t: Tensor) => (whole ? t : new Tensor(e, [end - start], 'f32', t.storage, t.label, group.offsets[from]));
      const [w, g, m, v] = [group.flat, group.grad, group.m, group.v].map(range);
      const u = words({ u: end - start }, { f: lr * scale }, { f: c.beta1 }, { f: c.beta2 }, { f: c.eps }, { f: c.weightDecay }, { f: bc1 }, { f: bc2 });
      e.run(adamwSrc, u, [w, g, m, v, info], e.grid(Math.ceil((end - start) / 64)), 'adamw');
    }
    return info;
  }

  /** Forgets every parameter's gradient (call after step, before the next accumulation); the slots are overwritten. */
  zeroGrad(): void {
    for (const p of this.params) {
      if (p.grad !== p.gradSlot) p.grad?.release();
      p.grad = null;
    }
  }

  /** Frees the moments and gives the parameters their own buffers back. */
  dispose(): void {
    this.arena.dispose();
  }
}
