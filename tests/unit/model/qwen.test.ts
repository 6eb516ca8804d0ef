// The GPU Qwen model against the float64 reference: logits, values and the gradient of every parameter
// (base weights, LoRA factors, score head) on padded batches, for a tiny Qwen2 and a tiny Qwen3 config.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/util/rng.ts';
import { Engine, IGNORE_TARGET, crossEntropy, add, maskedMean, reshape, startTape } from '../../../src/engine/index.ts';
import { expectedParams } from '../../../src/model/config.ts';
import { peftKey, SCORE_HEAD_KEY, type Adapter, type LoraConfig } from '../../../src/model/peft.ts';
import { QwenModel } from '../../../src/model/qwen.ts';
import { loraName, refBackward, refCrossEntropy, refForward, SCORE_HEAD } from '../../../src/model/reference/qwen-ref.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { tinyConfig } from './fixtures.ts';
import { paddedBatch, refLora, refParams } from './ref-fixtures.ts';

/** max |a - b| / max |b| over the tensor. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-30);
}

describe.each(testAdapters())('Qwen model on %s', (adapter) => {
  it.each(['qwen2', 'qwen3'] as const)('%s: logits, values and every gradient match float64 (padded batch, LoRA on all targets)', async (arch) => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig(arch, { hiddenSize: 24, intermediateSize: 40, numHeads: 4, numKvHeads: 2, headDim: arch === 'qwen3' ? 8 : 6, vocabSize: 37 });
    const params = refParams(cfg, 21);
    const loraCfg: LoraConfig = { r: 3, alpha: 6, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
    const lora = refLora(cfg, loraCfg, 22);
    const batch = paddedBatch(cfg.vocabSize, 7, 23);
    const N = batch.B * batch.T;
    const targets = Int32Array.from({ length: N }, (_, i) => (batch.mask[i] && i % batch.T !== batch.T - 1 ? batch.ids[i + 1] : -1));
    const wRng = new Rng(24);
    const vw = Float64Array.from({ length: N }, (_, i) => (batch.mask[i] ? 0.5 + wRng.next() : 0));
    const vwSum = vw.reduce((a, b) => a + b, 0);

    // Reference: loss = CE(logits, targets) + Σ w·value / Σ w.
    const fwd = refForward(cfg, params, batch, lora);
    const { dLogits } = refCrossEntropy(fwd.logits, targets, cfg.vocabSize);
    const ref = refBackward(cfg, params, fwd, dLogits, vw.map((w) => w / vwSum), lora);

    // GPU model with the same weights: trainable f32 base, LoRA from the same factors, score head.
    const shapes = new Map(expectedParams(cfg).map((p) => [p.name, p.shape]));
    const weights = new Map([...params].filter(([n]) => n !== SCORE_HEAD).map(([n, v]) => [n, Float32Array.from(v)]));
    const model = QwenModel.fromArrays(e, cfg, weights, { storage: 'f32', trainable: true }, shapes);
    const adapterIn: Adapter = { lora: loraCfg, configJson: {}, tensors: new Map() };
    for (let l = 0; l < cfg.numLayers; l++) {
      for (const t of loraCfg.targets) {
        for (const f of ['A', 'B'] as const) {
          const v = lora.params.get(loraName(l, t, f))!;
          adapterIn.tensors.set(peftKey(l, t, f), { shape: [], values: Float32Array.from(v), dtype: 'F32' });
        }
      }
    }
    adapterIn.tensors.set(SCORE_HEAD_KEY, { shape: [1, cfg.hiddenSize], values: Float32Array.from(params.get(SCORE_HEAD)!), dtype: 'F32' });
    model.addLora(loraCfg, new Rng(0), adapterIn);

    const tape = startTape(e);
    const out = model.forward(batch);
    const tgt = e.tensor(Uint32Array.from(targets, (t) => (t < 0 ? IGNORE_TARGET : t)), [N], 'u32', 'targets');
    const w = e.tensor(Float32Array.from(vw), [N], 'f32', 'vw');
    const loss = add(crossEntropy(out.logits, tgt), maskedMean(reshape(out.values!, [N]), w));
    tape.backward(loss, { keep: [out.logits, out.values!] });
    const logits = await out.logits.read();
    const values = await out.values!.read();
    expect(relErr(logits, fwd.logits)).toBeLessThan(1e-4);
    expect(relErr(values, fwd.values!)).toBeLessThan(1e-4);

    const checked: string[] = [];
    for (const [name, t] of model.baseTensors()) {
      const g = await t.grad!.read();
      expect(relErr(g, ref.grads.get(name)!), name).toBeLessThan(1e-4);
      checked.push(name);
    }
    for (let l = 0; l < cfg.numLayers; l++) {
      for (const t of loraCfg.targets) {
        expect(relErr(await model.lora!.A.get(`${l}.${t}`)!.grad!.read(), ref.loraGrads.get(loraName(l, t, 'A'))!), `A ${l}.${t}`).toBeLessThan(1e-4);
        expect(relErr(await model.lora!.B.get(`${l}.${t}`)!.grad!.read(), ref.loraGrads.get(loraName(l, t, 'B'))!), `B ${l}.${t}`).toBeLessThan(1e-4);
      }
    }
    expect(relErr(await model.scoreHead!.grad!.read(), ref.grads.get(SCORE_HEAD)!)).toBeLessThan(1e-4);
    expect(checked.length).toBe(expectedParams(cfg).length);
    tape.dispose();
  });
});

describe.each(testAdapters().slice(0, 1))('memory savers on %s', (adapter) => {
  it('layer checkpointing (with LoRA dropout) and the chunked LM loss give the same loss and gradients', async () => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig('qwen3');
    const params = refParams(cfg, 41, false);
    const shapes = new Map(expectedParams(cfg).map((p) => [p.name, p.shape]));
    const weights = new Map([...params].map(([n, v]) => [n, Float32Array.from(v)]));
    const batch = paddedBatch(cfg.vocabSize, 9, 42);
    const N = batch.B * batch.T;
    const targets = Uint32Array.from({ length: N }, (_, i) => (batch.mask[i] && i % batch.T !== batch.T - 1 ? batch.ids[i + 1] : IGNORE_TARGET));
    const run = async (saveMemory: boolean) => {
      const model = QwenModel.fromArrays(e, cfg, weights, { storage: 'f16', trainable: false }, shapes);
      model.addLora({ r: 2, alpha: 4, dropout: 0.3, targets: ['q_proj', 'up_proj', 'down_proj'] }, new Rng(43));
      let k = 0;
      for (const b of model.lora!.B.values()) e.batch.upload(new Rng(100 + k++).floats(b.size, -0.3, 0.3), b.buffer);
      model.training = true;
      model.dropoutRng = new Rng(44);
      model.checkpointLayers = saveMemory;
      const tape = startTape(e);
      const out = model.forward(batch);
      const loss = saveMemory ? model.lmLoss(out.hidden, targets, 5) : crossEntropy(out.logits, e.tensor(targets, [N], 'u32'));
      tape.backward(loss);
      const value = (await loss.read())[0];
      const grads: Float32Array[] = [];
      for (const p of model.trainableParams()) grads.push(await p.grad!.read());
      tape.dispose();
      return { value, grads };
    };
    const plain = await run(false);
    const saved = await run(true);
    expect(Math.abs(saved.value - plain.value) / plain.value).toBeLessThan(1e-5);
    expect(saved.grads.length).toBe(plain.grads.length);
    saved.grads.forEach((g, i) => expect(relErr(g, plain.grads[i]), `param ${i}`).toBeLessThan(1e-4));
    expect(plain.grads.some((g) => g.some((x) => x !== 0))).toBe(true);
  });
});
