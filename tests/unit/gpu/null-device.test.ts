// The null device (bench:model's counting device for shapes no CPU adapter holds): a whole training step records
// and submits on it, and what it counts agrees with the engine's own counters, so its figures are the engine's.
import { describe, expect, it } from 'vitest';
import { startTape } from '../../../src/engine/autograd/tape.ts';
import { Engine } from '../../../src/engine/engine.ts';
import { AdamW } from '../../../src/engine/optim/adamw.ts';
import { TOY_DEFAULT, toyBatch, toyInitWeights } from '../../../src/engine/toy/toy-config.ts';
import { ToyTransformer } from '../../../src/engine/toy/toy-transformer.ts';
import { openNullDevice } from '../../../src/gpu/null-device.ts';

describe('null device', () => {
  it('records a training step of the toy transformer and counts what the engine counts', async () => {
    const ctx = openNullDevice();
    expect(ctx.report.kind).toBe('gpu');
    const e = new Engine(ctx);
    expect(e.matmulKernel).toBe('tiled'); // it presents itself as a GPU, so the engine picks GPU kernels
    const model = new ToyTransformer(e, TOY_DEFAULT, toyInitWeights(TOY_DEFAULT, 1), 16);
    const opt = new AdamW(e, [...model.params.values()], { lr: 1e-3 });
    const tb = model.upload(toyBatch(TOY_DEFAULT, 2, 7, 3));
    const step = async () => {
      const tape = startTape(e);
      const loss = model.loss(tb);
      tape.backward(loss);
      const info = opt.step();
      const p = loss.readLater();
      tape.dispose();
      info.release();
      opt.zeroGrad();
      e.flush();
      return p;
    };
    await step();
    e.resetCounters();
    ctx.nullDevice.resetCounts();
    const loss = await step();
    expect(loss).toHaveLength(1); // a readback resolves (with zeros: nothing ran)
    const s = e.stats;
    const c = ctx.nullDevice.counts;
    expect(s.dispatches).toBeGreaterThan(50);
    expect(c.dispatches).toBe(s.dispatches);
    expect(c.bindGroups).toBe(s.bindGroups);
    expect(c.submits).toBe(1);
    expect(c.bytesRead).toBe(s.bytesRead);
    expect(c.bytesWritten).toBe(s.bytesUploaded + s.bytesUniform);
  });
});
