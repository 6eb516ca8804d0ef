// PEFT adapter files: byte-exact round trip, PEFT key names and shapes, clear errors.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/util/rng.ts';
import { mapProvider } from '../../../src/model/byte-source.ts';
import { loadAdapter, peftConfigJson, peftKey, saveAdapter, targetDims, SCORE_HEAD_KEY, type Adapter, type LoraConfig } from '../../../src/model/peft.ts';
import { tinyConfig } from './fixtures.ts';

function makeAdapter(): Adapter {
  const cfg = tinyConfig('qwen3');
  const lora: LoraConfig = { r: 4, alpha: 8, dropout: 0.05, targets: ['q_proj', 'v_proj', 'down_proj'] };
  const rng = new Rng(11);
  const tensors: Adapter['tensors'] = new Map();
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const t of lora.targets) {
      const { inDim, outDim } = targetDims(cfg, t);
      tensors.set(peftKey(l, t, 'A'), { shape: [lora.r, inDim], values: rng.floats(lora.r * inDim), dtype: 'F32' });
      tensors.set(peftKey(l, t, 'B'), { shape: [outDim, lora.r], values: rng.floats(outDim * lora.r), dtype: 'BF16' });
    }
  }
  tensors.set(SCORE_HEAD_KEY, { shape: [1, cfg.hiddenSize], values: rng.floats(cfg.hiddenSize), dtype: 'F32' });
  // B factors in BF16: the first save rounds them, and the round trip must then be exact.
  return { lora, configJson: peftConfigJson(lora, 'Qwen/Qwen3-0.6B', true), tensors, metadata: { format: 'pt' } };
}

describe('PEFT adapters', () => {
  it('save -> load -> save is byte-exact for both files', async () => {
    const cfg = tinyConfig('qwen3');
    const first = saveAdapter(makeAdapter());
    const loaded = await loadAdapter(mapProvider(new Map<string, Uint8Array>([
      ['adapter_config.json', new TextEncoder().encode(first['adapter_config.json'])],
      ['adapter_model.safetensors', first['adapter_model.safetensors']],
    ])), cfg);
    const second = saveAdapter(loaded);
    expect(second['adapter_config.json']).toBe(first['adapter_config.json']);
    expect(Buffer.from(second['adapter_model.safetensors']).equals(Buffer.from(first['adapter_model.safetensors']))).toBe(true);
    expect(loaded.lora).toEqual({ r: 4, alpha: 8, dropout: 0.05, targets: ['q_proj', 'v_proj', 'down_proj'] });
  });

  it('uses PEFT key names and config layout (sorted keys, indent 2)', () => {
    const files = saveAdapter(makeAdapter());
    expect(peftKey(0, 'q_proj', 'A')).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(peftKey(1, 'down_proj', 'B')).toBe('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight');
    const text = files['adapter_config.json'];
    expect(text.startsWith('{\n  "alpha_pattern": {},\n  "auto_mapping": null,\n  "base_model_name_or_path": "Qwen/Qwen3-0.6B",')).toBe(true);
    expect(JSON.parse(text)).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'down_proj'], modules_to_save: ['classifier', 'score'], task_type: 'SEQ_CLS' });
  });

  it('rejects adapters that do not fit the model, naming the tensor', async () => {
    const a = makeAdapter();
    const files = saveAdapter(a);
    const other = tinyConfig('qwen3', { hiddenSize: 32 });
    const provider = mapProvider(new Map<string, Uint8Array>([
      ['adapter_config.json', new TextEncoder().encode(files['adapter_config.json'])],
      ['adapter_model.safetensors', files['adapter_model.safetensors']],
    ]));
    await expect(loadAdapter(provider, other)).rejects.toThrow(/tensor "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight" has shape \[4,24\], expected \[4,32\]/);
    const dora = new TextEncoder().encode(JSON.stringify({ ...JSON.parse(files['adapter_config.json']), use_dora: true }));
    await expect(loadAdapter(mapProvider(new Map([['adapter_config.json', dora]])))).rejects.toThrow(/"use_dora" is true/);
  });
});
