// The score head (hidden -> 1, no bias) read at each sequence's last real token, as HF's Qwen2/Qwen3
// ForSequenceClassification pools it: scores and every gradient vs the float64 model on a batch with full,
// right-padded and left-padded rows; left and right padding give the same score; and the PEFT SEQ_CLS layout
// (key names, adapter_config.json fields) with an exact round trip through the files.
import { describe, expect, it } from 'vitest';
import { Engine, startTape, linear, reshape } from '../../../src/engine/index.ts';
import { mapProvider } from '../../../src/model/byte-source.ts';
import { expectedParams, type QwenConfig } from '../../../src/model/config.ts';
import { loadAdapter, peftConfigJson, peftKey, saveAdapter, SCORE_HEAD_KEY, type Adapter, type LoraConfig } from '../../../src/model/peft.ts';
import { lastTokenRows, QwenModel } from '../../../src/model/qwen.ts';
import { loraName, refBackward, refForward, SCORE_HEAD } from '../../../src/model/reference/qwen-ref.ts';
import { fromFloat32, writeSafetensors } from '../../../src/model/safetensors.ts';
import { Rng } from '../../../src/util/rng.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { tinyConfig } from './fixtures.ts';
import { paddedBatch, refLora, refParams } from './ref-fixtures.ts';

function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-30);
}

function gpuModel(e: Engine, cfg: QwenConfig, params: Map<string, Float64Array>, trainable: boolean): QwenModel {
  const shapes = new Map(expectedParams(cfg).map((p) => [p.name, p.shape]));
  const weights = new Map([...params].filter(([n]) => n !== SCORE_HEAD).map(([n, v]) => [n, Float32Array.from(v)]));
  return QwenModel.fromArrays(e, cfg, weights, { storage: 'f32', trainable }, shapes);
}

describe('last real token of each row', () => {
  it('is the rightmost masked position, for right, left and no padding; an empty row is an error', () => {
    const T = 5;
    const mask = Uint8Array.from([1, 1, 1, 0, 0, /* */ 0, 0, 1, 1, 1, /* */ 1, 1, 1, 1, 1, /* */ 0, 1, 1, 1, 0]);
    expect(Array.from(lastTokenRows(mask, 4, T))).toEqual([2, 9, 14, 18]);
    expect(() => lastTokenRows(Uint8Array.from([1, 0, 0, 0]), 2, 2)).toThrow(/sequence 1 .* no tokens/);
  });
});

describe.each(testAdapters())('score head on %s', (adapter) => {
  it.each(['qwen2', 'qwen3'] as const)('%s: last-token scores and every gradient match float64 (full, right- and left-padded rows, LoRA)', async (arch) => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig(arch, { hiddenSize: 24, intermediateSize: 40, numHeads: 4, numKvHeads: 2, headDim: arch === 'qwen3' ? 8 : 6, vocabSize: 37 });
    const params = refParams(cfg, 61);
    const loraCfg: LoraConfig = { r: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'v_proj', 'down_proj'] };
    const lora = refLora(cfg, loraCfg, 62);
    const batch = paddedBatch(cfg.vocabSize, 8, 63);
    const { B, T } = batch;
    const last = lastTokenRows(batch.mask, B, T);
    // Loss = Σ_b w_b · score_b with distinct weights, so every row's gradient path is checked.
    const w = [0.7, -1.3, 2.1];

    const fwd = refForward(cfg, params, batch, lora);
    const dValues = new Float64Array(B * T);
    last.forEach((row, b) => (dValues[row] = w[b]));
    const ref = refBackward(cfg, params, fwd, new Float64Array(B * T * cfg.vocabSize), dValues, lora);

    const model = gpuModel(e, cfg, params, true);
    const from: Adapter = { lora: loraCfg, configJson: {}, tensors: new Map() };
    for (let l = 0; l < cfg.numLayers; l++) {
      for (const t of loraCfg.targets) for (const f of ['A', 'B'] as const) from.tensors.set(peftKey(l, t, f), { shape: [], values: Float32Array.from(lora.params.get(loraName(l, t, f))!), dtype: 'F32' });
    }
    from.tensors.set(SCORE_HEAD_KEY, { shape: [1, cfg.hiddenSize], values: Float32Array.from(params.get(SCORE_HEAD)!), dtype: 'F32' });
    model.addLora(loraCfg, new Rng(0), from);

    const tape = startTape(e);
    const { hidden } = model.forward(batch, { logits: false });
    const scores = model.sequenceScores(hidden, batch.mask, B, T); // (B, 1)
    const loss = linear(reshape(scores, [1, B]), e.tensor(Float32Array.from(w), [1, B])); // (1, 1) = Σ w_b s_b
    tape.backward(reshape(loss, [1]), { keep: [scores] });
    const got = await scores.read();
    expect(got.length).toBe(B);
    expect(maxRelErr(got, Array.from(last, (row) => fwd.values![row]))).toBeLessThan(1e-4);
    for (const [name, t] of model.baseTensors()) {
      // An untied LM head plays no part in a score: no gradient reaches it (the reference's is all zeros).
      if (name === 'lm_head.weight') expect(t.grad === null && ref.grads.get(name)!.every((g) => g === 0)).toBe(true);
      else expect(maxRelErr(await t.grad!.read(), ref.grads.get(name)!), name).toBeLessThan(1e-4);
    }
    for (let l = 0; l < cfg.numLayers; l++) {
      for (const t of loraCfg.targets) {
        expect(maxRelErr(await model.lora!.A.get(`${l}.${t}`)!.grad!.read(), ref.loraGrads.get(loraName(l, t, 'A'))!), `A ${l}.${t}`).toBeLessThan(1e-4);
        expect(maxRelErr(await model.lora!.B.get(`${l}.${t}`)!.grad!.read(), ref.loraGrads.get(loraName(l, t, 'B'))!), `B ${l}.${t}`).toBeLessThan(1e-4);
      }
    }
    expect(maxRelErr(await model.scoreHead!.grad!.read(), ref.grads.get(SCORE_HEAD)!)).toBeLessThan(1e-4);
    tape.dispose();
  });

  it('a sequence scores the same left-padded, right-padded and alone', async () => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig('qwen3');
    const params = refParams(cfg, 64);
    const model = gpuModel(e, cfg, params, false);
    model.addScoreHead(new Rng(0), Float32Array.from(params.get(SCORE_HEAD)!));
    const seq = [3, 17, 5, 9, 22];
    const T = 8;
    const pad = T - seq.length;
    const ids = Int32Array.from([...seq, ...Array(pad).fill(0), ...Array(pad).fill(0), ...seq]);
    const mask = Uint8Array.from([...seq.map(() => 1), ...Array(pad).fill(0), ...Array(pad).fill(0), ...seq.map(() => 1)]);
    const score = (batch: { ids: Int32Array; mask: Uint8Array; B: number; T: number }) =>
      e.scope(() => model.sequenceScores(model.forward(batch, { logits: false }).hidden, batch.mask, batch.B, batch.T)).read();
    const [right, left] = await score({ ids, mask, B: 2, T });
    const [alone] = await score({ ids: Int32Array.from(seq), mask: new Uint8Array(seq.length).fill(1), B: 1, T: seq.length });
    expect(Math.abs(right - alone)).toBeLessThan(1e-5 * Math.max(1, Math.abs(alone)));
    expect(Math.abs(left - alone)).toBeLessThan(1e-5 * Math.max(1, Math.abs(alone)));
    expect(alone).not.toBe(0);
  });

  it('saves a SEQ_CLS adapter in PEFT\'s layout and loads it back to the same scores', async () => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig('qwen2');
    const params = refParams(cfg, 65, false);
    const loraCfg: LoraConfig = { r: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] };
    const trained = gpuModel(e, cfg, params, false);
    trained.addLora(loraCfg, new Rng(1));
    trained.addScoreHead(new Rng(2));
    // Give B non-zero values (PEFT's init is B = 0, which would make the LoRA path invisible in the scores).
    for (const b of trained.lora!.B.values()) e.batch.upload(new Rng(b.id).floats(b.size, -0.2, 0.2), b.buffer);
    const files = saveAdapter(await trained.exportAdapter('Qwen/Qwen2.5-0.5B-Instruct'));

    const config = JSON.parse(files['adapter_config.json']);
    expect(config).toMatchObject({
      peft_type: 'LORA', task_type: 'SEQ_CLS', modules_to_save: ['classifier', 'score'], r: 2, lora_alpha: 4,
      target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], base_model_name_or_path: 'Qwen/Qwen2.5-0.5B-Instruct', bias: 'none', inference_mode: true,
    });
    const loaded = await loadAdapter(mapProvider(new Map<string, Uint8Array>([
      ['adapter_config.json', new TextEncoder().encode(files['adapter_config.json'])],
      ['adapter_model.safetensors', files['adapter_model.safetensors']],
    ])), cfg);
    // PEFT's names: LoRA factors under base_model.model.model.layers..., the head as base_model.model.score.weight.
    const keys = [...loaded.tensors.keys()];
    expect(keys).toContain('base_model.model.score.weight');
    expect(keys).toContain('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(keys).toContain('base_model.model.model.layers.1.self_attn.o_proj.lora_B.weight');
    expect(keys.length).toBe(cfg.numLayers * 4 * 2 + 1);
    expect(loaded.tensors.get(SCORE_HEAD_KEY)!.shape).toEqual([1, cfg.hiddenSize]);

    const fresh = gpuModel(e, cfg, params, false);
    fresh.addLora(loaded.lora, new Rng(99), loaded);
    const batch = paddedBatch(cfg.vocabSize, 6, 66);
    const score = (m: QwenModel) => e.scope(() => m.sequenceScores(m.forward(batch, { logits: false }).hidden, batch.mask, batch.B, batch.T)).read();
    expect(Array.from(await score(fresh))).toEqual(Array.from(await score(trained)));
  });

  it('loads an adapter written the way PEFT/TRL write one (BF16, TRL\'s modules_to_save, score head values used)', async () => {
    const e = new Engine(await gpuFor(adapter));
    const cfg = tinyConfig('qwen3');
    const params = refParams(cfg, 67);
    const lora: LoraConfig = { r: 2, alpha: 16, dropout: 0.05, targets: ['q_proj', 'v_proj'] };
    const rng = new Rng(68);
    const raw = [];
    for (let l = 0; l < cfg.numLayers; l++) {
      for (const t of lora.targets) {
        const inDim = cfg.hiddenSize;
        const outDim = t === 'q_proj' ? cfg.numHeads * cfg.headDim : cfg.numKvHeads * cfg.headDim;
        raw.push({ name: peftKey(l, t, 'A'), dtype: 'BF16' as const, shape: [lora.r, inDim], data: fromFloat32(rng.floats(lora.r * inDim, -0.1, 0.1), 'BF16') });
        raw.push({ name: peftKey(l, t, 'B'), dtype: 'BF16' as const, shape: [outDim, lora.r], data: fromFloat32(new Float32Array(outDim * lora.r), 'BF16') });
      }
    }
    const head = Float32Array.from(params.get(SCORE_HEAD)!);
    raw.push({ name: 'base_model.model.score.weight', dtype: 'BF16' as const, shape: [1, cfg.hiddenSize], data: fromFloat32(head, 'BF16') });
    // TRL recommends modules_to_save=["score"]; PeftModelForSequenceClassification then appends its own two names.
    const cj = { ...peftConfigJson(lora, 'Qwen/Qwen3-0.6B', true), modules_to_save: ['score', 'classifier', 'score'], inference_mode: false };
    const loaded = await loadAdapter(mapProvider(new Map<string, Uint8Array>([
      ['adapter_config.json', new TextEncoder().encode(JSON.stringify(cj))],
      ['adapter_model.safetensors', writeSafetensors(raw, { format: 'pt' })],
    ])), cfg);
    const model = gpuModel(e, cfg, params, false);
    model.addLora(loaded.lora, new Rng(0), loaded);
    const bf16Head = loaded.tensors.get(SCORE_HEAD_KEY)!.values;
    expect(Array.from(await model.scoreHead!.read())).toEqual(Array.from(bf16Head));
    // B = 0: the adapter changes nothing, so the scores are the float64 base model's with the BF16-rounded head.
    const batch = paddedBatch(cfg.vocabSize, 6, 69);
    const rounded = new Map(params);
    rounded.set(SCORE_HEAD, Float64Array.from(bf16Head));
    const fwd = refForward(cfg, rounded, batch);
    const got = await e.scope(() => model.sequenceScores(model.forward(batch, { logits: false }).hidden, batch.mask, batch.B, batch.T)).read();
    expect(maxRelErr(got, Array.from(lastTokenRows(batch.mask, batch.B, batch.T), (r) => fwd.values![r]))).toBeLessThan(1e-4);
  });
});
