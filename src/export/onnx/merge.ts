// Folds a LoRA adapter into base weights on the CPU (W += alpha/r · B A, accumulated in float64, rounded once to f32),
// so a deployed model costs what the base costs and needs no adapter support in the runtime.
import { peftKey, targetModulePath, type Adapter } from '../../model/peft.ts';
import type { QwenConfig } from '../../model/config.ts';
import type { WeightMap } from './qwen-onnx.ts';

export function mergeAdapterCpu(cfg: QwenConfig, base: WeightMap, adapter: Adapter): WeightMap {
  const out: WeightMap = new Map(base);
  const { r, alpha, targets } = adapter.lora;
  const scale = alpha / r;
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const t of targets) {
      const name = `model.layers.${l}.${targetModulePath(t)}.weight`;
      const w = base.get(name);
      const A = adapter.tensors.get(peftKey(l, t, 'A'));
      const B = adapter.tensors.get(peftKey(l, t, 'B'));
      if (!w || !A || !B) throw new Error(`merge: ${name} or its LoRA factors are missing`);
      const [outDim, inDim] = w.shape;
      const merged = new Float32Array(w.values.length);
      for (let o = 0; o < outDim; o++) {
        for (let i = 0; i < inDim; i++) {
          let acc = 0;
          for (let k = 0; k < r; k++) acc += B.values[o * r + k] * A.values[k * inDim + i];
          merged[o * inDim + i] = w.values[o * inDim + i] + scale * acc;
        }
      }
      out.set(name, { shape: w.shape, values: merged });
    }
  }
  return out;
}
