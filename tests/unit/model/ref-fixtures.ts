// Float64 parameters for the reference model: base weights from the safetensors fixtures, LoRA factors, score head.
import { Rng } from '../../../src/util/rng.ts';
import type { QwenConfig } from '../../../src/model/config.ts';
import { toFloat32 } from '../../../src/model/safetensors.ts';
import { targetDims, type LoraConfig } from '../../../src/model/peft.ts';
import { loraName, SCORE_HEAD, type RefLora, type RefParams } from '../../../src/model/reference/qwen-ref.ts';
import { randomWeights } from './fixtures.ts';

/** Base weights as f64 copies of the (f32-representable) fixture weights, plus a score head. */
export function refParams(cfg: QwenConfig, seed: number, scoreHead = true): RefParams {
  const p: RefParams = new Map();
  for (const t of randomWeights(cfg, seed)) p.set(t.name, Float64Array.from(toFloat32(t)));
  if (scoreHead) p.set(SCORE_HEAD, Float64Array.from(new Rng(seed + 1).floats(cfg.hiddenSize, -0.5, 0.5)));
  return p;
}

/** LoRA factors with both A and B non-zero (PEFT initialises B to 0, which would hide A's gradient). */
export function refLora(cfg: QwenConfig, lora: LoraConfig, seed: number): RefLora {
  const rng = new Rng(seed);
  const params: RefParams = new Map();
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const t of lora.targets) {
      const { inDim, outDim } = targetDims(cfg, t);
      params.set(loraName(l, t, 'A'), Float64Array.from(rng.floats(lora.r * inDim, -0.3, 0.3)));
      params.set(loraName(l, t, 'B'), Float64Array.from(rng.floats(outDim * lora.r, -0.3, 0.3)));
    }
  }
  return { config: lora, params };
}

/** A right-padded and a left-padded row plus a full one: (B=3, T) with ids in range. */
export function paddedBatch(V: number, T: number, seed: number): { ids: Int32Array; mask: Uint8Array; B: number; T: number } {
  const rng = new Rng(seed);
  const B = 3;
  const ids = new Int32Array(B * T);
  const mask = new Uint8Array(B * T);
  for (let t = 0; t < T; t++) {
    mask[t] = 1; // row 0: full
    mask[T + t] = t < T - 2 ? 1 : 0; // row 1: right padding
    mask[2 * T + t] = t >= 3 ? 1 : 0; // row 2: left padding
  }
  for (let i = 0; i < B * T; i++) ids[i] = mask[i] ? rng.int(V) : 0;
  return { ids, mask, B, T };
}
