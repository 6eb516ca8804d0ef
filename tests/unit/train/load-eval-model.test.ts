// Loading a model for evaluation and chat: two stacked PEFT adapters merged in order give the logits of the base
// with both adapters applied (checked against a float64 fold of the same factors into one adapter); a run's
// checkpoint written over a LoRA run's tensors gives the logits of that run's model.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { peftConfigJson, peftKey, targetDims, type Adapter, type LoraConfig } from '../../../src/model/peft.ts';
import type { QwenModel } from '../../../src/model/qwen.ts';
import { loadInferenceModel, loadRunModel } from '../../../src/train/load-eval-model.ts';
import { loadTrainableModel } from '../../../src/train/load-model.ts';
import { Rng } from '../../../src/util/rng.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { maxDiff } from '../../helpers/model-logits.ts';

const TINY = folderProvider('public/models/tiny');
const IDS = Int32Array.from([5, 17, 250, 3, 999, 42, 7]);

function adapter(cfgOf: QwenModel['cfg'], lora: LoraConfig, seed: number): Adapter {
  const rng = new Rng(seed);
  const tensors: Adapter['tensors'] = new Map();
  for (let l = 0; l < cfgOf.numLayers; l++) {
    for (const t of lora.targets) {
      const { inDim, outDim } = targetDims(cfgOf, t);
      tensors.set(peftKey(l, t, 'A'), { shape: [lora.r, inDim], values: rng.floats(lora.r * inDim, -0.3, 0.3), dtype: 'F32' });
      tensors.set(peftKey(l, t, 'B'), { shape: [outDim, lora.r], values: rng.floats(outDim * lora.r, -0.3, 0.3), dtype: 'F32' });
    }
  }
  return { lora, configJson: peftConfigJson(lora, 'builtin:tiny', false), tensors };
}

/** One adapter of rank r1 + r2 equal to applying both: A = [A1; A2], B = [s1/s·B1, s2/s·B2] with s = alpha/r of the sum. */
function concat(a: Adapter, b: Adapter): Adapter {
  const r = a.lora.r + b.lora.r;
  const lora: LoraConfig = { r, alpha: r, dropout: 0, targets: a.lora.targets };
  const tensors: Adapter['tensors'] = new Map();
  const sa = a.lora.alpha / a.lora.r;
  const sb = b.lora.alpha / b.lora.r;
  for (const [key, A1] of a.tensors) {
    if (!key.endsWith('lora_A.weight')) continue;
    const A2 = b.tensors.get(key)!;
    const B1 = a.tensors.get(key.replace('lora_A', 'lora_B'))!;
    const B2 = b.tensors.get(key.replace('lora_A', 'lora_B'))!;
    const inDim = A1.shape[1];
    const outDim = B1.shape[0];
    tensors.set(key, { shape: [r, inDim], values: Float32Array.from([...A1.values, ...A2.values]), dtype: 'F32' });
    const Bv = new Float32Array(outDim * r);
    for (let o = 0; o < outDim; o++) {
      for (let k = 0; k < a.lora.r; k++) Bv[o * r + k] = B1.values[o * a.lora.r + k] * sa;
      for (let k = 0; k < b.lora.r; k++) Bv[o * r + a.lora.r + k] = B2.values[o * b.lora.r + k] * sb;
    }
    tensors.set(key.replace('lora_A', 'lora_B'), { shape: [outDim, r], values: Bv, dtype: 'F32' });
  }
  return { lora, configJson: peftConfigJson(lora, 'builtin:tiny', false), tensors };
}

async function logits(m: QwenModel): Promise<Float32Array> {
  const out = m.e.scope(() => m.e.keep(m.forward({ ids: IDS, mask: new Uint8Array(IDS.length).fill(1), B: 1, T: IDS.length }).logits));
  const v = await out.read();
  out.release();
  return v;
}

describe.each(testAdapters())('loading models to evaluate (%s)', (choice) => {
  it('stacked adapters merged in order = both adapters applied; the merged model has no adapter left', async () => {
    const e = new Engine(await gpuFor(choice));
    const probe = await loadInferenceModel(e, TINY, [], { chatTemplate: 'model' });
    const cfg = probe.model.cfg;
    const a1 = adapter(cfg, { r: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'down_proj'] }, 1);
    const a2 = adapter(cfg, { r: 3, alpha: 3, dropout: 0, targets: ['q_proj', 'down_proj'] }, 2);
    const merged = await loadInferenceModel(e, TINY, [a1, a2], { chatTemplate: 'model' });
    expect(merged.model.lora).toBeNull();
    const reference = await loadTrainableModel(e, TINY, { finetune: 'lora', lora: { r: 1, alpha: 1, dropout: 0, target_modules: [] }, chatTemplate: 'model', seed: 0, deferLora: true });
    reference.model.addLora(concat(a1, a2).lora, new Rng(0), concat(a1, a2));
    const [x, y, base] = [await logits(merged.model), await logits(reference.model), await logits(probe.model)];
    expect(maxDiff(x, y)).toBeLessThan(1e-4);
    // The adapters do change the model.
    expect(maxDiff(x, base)).toBeGreaterThan(1e-3);
  });

  it("a LoRA run's checkpoint over its tensors gives that run's model", async () => {
    const e = new Engine(await gpuFor(choice));
    const lora = { r: 2, alpha: 4, dropout: 0, target_modules: ['v_proj'] };
    const trained = await loadTrainableModel(e, TINY, { finetune: 'lora', lora, chatTemplate: 'model', seed: 3 });
    // A trained adapter: B is no longer zero.
    const params = trained.model.trainableParams();
    const rng = new Rng(9);
    const weights = Object.fromEntries(params.map((p) => [p.label, { shape: [...p.shape], data: rng.floats(p.size, -0.2, 0.2) }]));
    params.forEach((p) => e.batch.upload(weights[p.label].data, p.buffer));
    const run = await loadRunModel(e, TINY, { finetune: 'lora', lora, chatTemplate: 'model', weights, label: 'test run' });
    expect(run.model.lora).toBeNull();
    expect(maxDiff(await logits(run.model), await logits(trained.model))).toBeLessThan(1e-4);
  });
});
