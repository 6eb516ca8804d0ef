// AdamW, global grad-norm clipping and the NaN/Inf step flag vs float64; both reduction paths (plain, subgroups).
import { describe, expect, it } from 'vitest';
import { adamwStepRef, gradNormRef } from '../../../src/engine/cpu-reference/adamw.ts';
import { AdamW, validateAdamW, ADAMW_DEFAULTS } from '../../../src/engine/optim/adamw.ts';
import { gradNormInfo } from '../../../src/engine/optim/grad-norm.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { randomData, relErr, testEngine } from './check.ts';

it('AdamW config errors name the field', () => {
  expect(() => validateAdamW({ ...ADAMW_DEFAULTS, beta2: 1 })).toThrow(/beta2=1/);
});

describe.each(testAdapters())('optimizer on %s', (adapter) => {
  for (const subgroups of [false, true]) {
    it(`global norm and non-finite flag (${subgroups ? 'subgroups' : 'workgroup'} reduction)`, async (ctx) => {
      const e = await testEngine(adapter);
      if (subgroups && !e.device.features.has('subgroups')) return ctx.skip();
      const rng = new Rng(4);
      const sizes = [1, 63, 5000, 70001]; // one and several workgroups per tensor
      const data = sizes.map((n) => randomData(rng, n));
      const ts = data.map((d, i) => e.tensor(d.f32, [sizes[i]]));
      const info = await gradNormInfo(e, ts, { maxNorm: 1.5, subgroups }).read();
      const r = gradNormRef(data.map((d) => d.f64), 1.5);
      expect(Math.abs(info[0] - r.norm) / r.norm).toBeLessThan(1e-5);
      expect(Math.abs(info[1] - r.clip) / r.clip).toBeLessThan(1e-5);
      expect(info[2]).toBe(0);
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const withBad = data[2].f32.slice();
        withBad[1234] = bad;
        const t = e.tensor(withBad, [withBad.length]);
        const flagged = await gradNormInfo(e, [ts[0], t, ts[3]], { maxNorm: 0, subgroups }).read();
        expect(flagged[2]).toBe(1);
      }
    });
  }

  it('AdamW matches the float64 reference over 3 steps with clipping, and skips a step with NaN gradients', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(6);
    const cfg = { lr: 0.01, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, maxGradNorm: 2 };
    const sizes = [7, 130];
    const w0 = sizes.map((n) => randomData(rng, n));
    const params = w0.map((d, i) => e.param(d.f32, [sizes[i]], `p${i}`));
    const opt = new AdamW(e, params, cfg);
    const w = w0.map((d) => d.f64.slice());
    const m = sizes.map((n) => new Float64Array(n));
    const v = sizes.map((n) => new Float64Array(n));
    for (let t = 1; t <= 3; t++) {
      const g = sizes.map((n) => randomData(rng, n, 1.5));
      params.forEach((p, i) => (p.grad = e.tensor(g[i].f32, [sizes[i]])));
      opt.step().release();
      opt.zeroGrad();
      const { clip } = gradNormRef(g.map((x) => x.f64), cfg.maxGradNorm);
      expect(clip).toBeLessThan(1); // clipping is exercised
      w.forEach((wi, i) => adamwStepRef(wi, g[i].f64, m[i], v[i], t, cfg, clip));
    }
    for (let i = 0; i < sizes.length; i++) expect(relErr(await params[i].read(), w[i])).toBeLessThan(1e-5);
    // A NaN anywhere: the step is flagged and no parameter changes.
    const before = await Promise.all(params.map((p) => p.read()));
    const g = sizes.map((n) => randomData(rng, n).f32);
    g[1][17] = Number.NaN;
    params.forEach((p, i) => (p.grad = e.tensor(g[i], [sizes[i]])));
    const info = await opt.step().read();
    expect(info[2]).toBe(1);
    const after = await Promise.all(params.map((p) => p.read()));
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));
  });

  it('updates many parameters in a few dispatches (one arena), and leaves a parameter without a gradient unchanged', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(8);
    const cfg = { lr: 0.02, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, maxGradNorm: 1 };
    const sizes = [5, 67, 1, 300, 33, 64, 2, 129];
    const w0 = sizes.map((n) => randomData(rng, n));
    const params = w0.map((d, i) => e.param(d.f32, [sizes[i]], `p${i}`));
    const opt = new AdamW(e, params, cfg);
    expect(opt.arena.groups).toHaveLength(1);
    const w = w0.map((d) => d.f64.slice());
    const m = sizes.map((n) => new Float64Array(n));
    const v = sizes.map((n) => new Float64Array(n));
    for (let t = 1; t <= 2; t++) {
      const g = sizes.map((n) => randomData(rng, n));
      // Parameter 3 gets no gradient in step 2: PyTorch leaves it (and its moments) as they are.
      params.forEach((p, i) => (p.grad = t === 2 && i === 3 ? null : e.tensor(g[i].f32, [sizes[i]])));
      e.resetCounters();
      opt.step().release();
      // Step 1: one norm (sumsq + finalize) and one update; step 2: the update splits around parameter 3.
      expect(e.stats.dispatches).toBe(t === 1 ? 3 : 4);
      opt.zeroGrad();
      const live = sizes.map((_, i) => !(t === 2 && i === 3));
      const { clip } = gradNormRef(g.filter((_, i) => live[i]).map((x) => x.f64), cfg.maxGradNorm);
      w.forEach((wi, i) => live[i] && adamwStepRef(wi, g[i].f64, m[i], v[i], t, cfg, clip));
    }
    for (let i = 0; i < sizes.length; i++) expect(relErr(await params[i].read(), w[i]), `p${i}`).toBeLessThan(1e-5);
    // Disposing the optimizer gives each parameter its own buffer back, with its values.
    opt.dispose();
    for (let i = 0; i < sizes.length; i++) {
      expect(params[i].offset).toBe(0);
      expect(relErr(await params[i].read(), w[i])).toBeLessThan(1e-5);
    }
  });

  it('gives parameters their own learning rates (lrScale), each matching the float64 reference at its rate', async () => {
    const e = await testEngine(adapter);
    const rng = new Rng(9);
    const cfg = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.05, maxGradNorm: 1 };
    const sizes = [5, 67, 1, 300, 33];
    // Runs of equal rates, a rate of 0 (frozen by its group, not by a missing gradient), and a 10x group at the end.
    const scales = [1, 1, 0, 10, 10];
    const w0 = sizes.map((n) => randomData(rng, n));
    const params = w0.map((d, i) => e.param(d.f32, [sizes[i]], `p${i}`));
    const opt = new AdamW(e, params, cfg, new Map(params.map((p, i) => [p, scales[i]] as const).filter(([, s]) => s !== 1)));
    const w = w0.map((d) => d.f64.slice());
    const m = sizes.map((n) => new Float64Array(n));
    const v = sizes.map((n) => new Float64Array(n));
    for (let t = 1; t <= 2; t++) {
      const g = sizes.map((n) => randomData(rng, n));
      params.forEach((p, i) => (p.grad = e.tensor(g[i].f32, [sizes[i]])));
      e.resetCounters();
      opt.step().release();
      expect(e.stats.dispatches).toBe(2 + 3); // the norm, then one update per run of equal rates
      opt.zeroGrad();
      const { clip } = gradNormRef(g.map((x) => x.f64), cfg.maxGradNorm);
      w.forEach((wi, i) => adamwStepRef(wi, g[i].f64, m[i], v[i], t, { ...cfg, lr: cfg.lr * scales[i] }, clip));
    }
    for (let i = 0; i < sizes.length; i++) expect(relErr(await params[i].read(), w[i]), `p${i}`).toBeLessThan(1e-5);
    expect(Array.from(await params[2].read())).toEqual(Array.from(w0[2].f32));
    expect(() => new AdamW(e, params, cfg, new Map([[params[0], Number.NaN]]))).toThrow(/learning-rate scale of p0/);
  });
});
