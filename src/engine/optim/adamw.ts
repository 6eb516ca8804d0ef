// AdamW over a list of parameters: global-norm clipping and NaN/Inf step skipping happen on the GPU, in the same submit.
import adamwSrc from '../../../shaders/adamw.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
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
  readonly m: Tensor[];
  readonly v: Tensor[];

  constructor(
    private readonly engine: Engine,
    readonly params: Tensor[],
    config: Partial<AdamWConfig> = {},
  ) {
    this.config = { ...ADAMW_DEFAULTS, ...config };
    validateAdamW(this.config);
    this.m = params.map((p) => engine.zeros(p.shape, `${p.label}.adam_m`));
    this.v = params.map((p) => engine.zeros(p.shape, `${p.label}.adam_v`));
  }

  /**
   * Records one update of every parameter that has a gradient (nothing is submitted here).
   * Returns info (4): [grad norm before clipping, clip coefficient, non-finite flag, 0]; the caller owns it.
   */
  step(lr = this.config.lr): Tensor {
    const e = this.engine;
    const c = this.config;
    this.t++;
    const withGrad = this.params.map((p, i) => ({ p, i })).filter(({ p }) => p.grad);
    const info = gradNormInfo(e, withGrad.map(({ p }) => p.grad!), { maxNorm: c.maxGradNorm });
    const bc1 = 1 - Math.pow(c.beta1, this.t);
    const bc2 = 1 - Math.pow(c.beta2, this.t);
    for (const { p, i } of withGrad) {
      const u = words({ u: p.size }, { f: lr }, { f: c.beta1 }, { f: c.beta2 }, { f: c.eps }, { f: c.weightDecay }, { f: bc1 }, { f: bc2 });
      e.run(adamwSrc, u, [p, p.grad!, this.m[i], this.v[i], info], e.grid(Math.ceil(p.size / 64)), 'adamw');
    }
    return info;
  }

  /** Releases every parameter's gradient (call after step, before the next accumulation). */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.release();
      p.grad = null;
    }
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.release();
  }
}
