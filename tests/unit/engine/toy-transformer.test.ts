// A two-layer Qwen-style transformer from the engine's ops: gradients vs the float64 reference model,
// loss going down under AdamW on a fixed batch, activation recomputation, one submit and no new memory per step.
import { describe, expect, it } from 'vitest';
import { startTape } from '../../../src/engine/autograd/tape.ts';
import { AdamW } from '../../../src/engine/optim/adamw.ts';
import { TOY_DEFAULT, toyBatch, toyInitWeights } from '../../../src/engine/toy/toy-config.ts';
import { ToyTransformer } from '../../../src/engine/toy/toy-transformer.ts';
import { toyLossRef } from '../../../src/engine/toy/toy-transformer-ref.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { relErr, testEngine } from './check.ts';

describe.each(testAdapters())('toy transformer on %s', (adapter) => {
  const cfg = TOY_DEFAULT;
  const batch = toyBatch(cfg, 2, 7, 42);

  it('loss and gradients match the float64 reference model (central differences, 8 coordinates per parameter)', async () => {
    const e = await testEngine(adapter);
    const weights = toyInitWeights(cfg, 1);
    const model = new ToyTransformer(e, cfg, weights, 16);
    const tb = model.upload(batch);
    const tape = startTape(e);
    const loss = model.loss(tb);
    tape.backward(loss);
    const lossP = loss.readLater();
    const gradP = [...model.params].map(([name, p]) => p.grad!.readLater().then((g) => [name, g] as const));
    e.flush();
    const gpuLoss = (await lossP)[0];
    const grads = new Map(await Promise.all(gradP));
    tape.dispose();

    const w64 = new Map([...weights].map(([k, v]) => [k, Float64Array.from(v)]));
    const refLoss = toyLossRef(cfg, w64, batch);
    expect(Math.abs(gpuLoss - refLoss) / refLoss).toBeLessThan(1e-5);

    const rng = new Rng(9);
    const ana: number[] = [];
    const num: number[] = [];
    const h = 1e-5;
    for (const [name, w] of w64) {
      for (let s = 0; s < 8; s++) {
        const i = rng.int(w.length);
        const save = w[i];
        w[i] = save + h;
        const lp = toyLossRef(cfg, w64, batch);
        w[i] = save - h;
        const lm = toyLossRef(cfg, w64, batch);
        w[i] = save;
        num.push((lp - lm) / (2 * h));
        ana.push(grads.get(name)![i]);
      }
    }
    expect(relErr(ana, num)).toBeLessThan(1e-4);
  });

  it('AdamW drives the loss down on a fixed batch; recomputation gives the same gradients; one submit, no new memory, bind groups or kernels per step', async () => {
    const e = await testEngine(adapter, { poison: false });
    const weights = toyInitWeights(cfg, 2, 0.1);
    const model = new ToyTransformer(e, cfg, weights, 16);
    const params = [...model.params.values()];
    const opt = new AdamW(e, params, { lr: 1e-2, weightDecay: 0, maxGradNorm: 1 });
    const tb = model.upload(batch);
    const losses: number[] = [];
    const stepStats: Array<{ submits: number; dispatches: number; bytesAllocated: number; bindGroups: number; kernels: number; pipelines: number }> = [];
    for (let step = 0; step < 40; step++) {
      e.resetCounters();
      const { kernelsGenerated, pipelinesCompiled } = e.stats;
      const tape = startTape(e);
      const loss = model.loss(tb, step % 2 === 1);
      tape.backward(loss);
      const info = opt.step();
      const lp = loss.readLater();
      tape.dispose();
      info.release();
      opt.zeroGrad();
      e.flush();
      losses.push((await lp)[0]);
      const s = e.stats;
      stepStats.push({ submits: s.submits, dispatches: s.dispatches, bytesAllocated: s.bytesAllocated, bindGroups: s.bindGroups, kernels: s.kernelsGenerated - kernelsGenerated, pipelines: s.pipelinesCompiled - pipelinesCompiled });
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[39]).toBeLessThan(losses[0] * 0.5);
    for (const s of stepStats) expect(s.submits).toBe(1);
    // Steps 3 and later reuse pooled buffers only (recomputed and plain steps alternate, both warmed up).
    // They also get the same buffers back in the same places, so every bind group is a cached one, and no kernel
    // source is generated or compiled again.
    for (const s of stepStats.slice(3)) expect(s).toMatchObject({ bytesAllocated: 0, bindGroups: 0, kernels: 0, pipelines: 0 });
    expect(stepStats[0].bindGroups).toBeGreaterThan(50);
    expect(stepStats[0].dispatches).toBeGreaterThan(50);

    // Recomputation: same gradients as the plain tape.
    const gradsOf = async (recompute: boolean) => {
      const tape = startTape(e);
      tape.backward(model.loss(tb, recompute));
      const pending = Promise.all(params.map((p) => p.grad!.readLater()));
      tape.dispose();
      opt.zeroGrad();
      e.flush();
      return pending;
    };
    const plain = await gradsOf(false);
    const recomputed = await gradsOf(true);
    plain.forEach((g, i) => expect(relErr(recomputed[i], g), params[i].label).toBeLessThan(1e-6));
  });
});
