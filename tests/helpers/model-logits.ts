// Test helper: a model's logits on one fixed token sequence (eval mode, its training flag restored after), and the
// largest absolute difference of two logit arrays: how the model tests tell "the same model" from "another model".
import type { QwenModel } from '../../src/model/qwen.ts';

/** Token ids inside the tiny model's vocabulary, not a tile multiple long. */
export const PROBE_IDS = Int32Array.from([3440, 12, 400, 77, 1021, 5, 3441, 250, 9, 1800, 33]);

/** The logits [ids.length, vocab] of one unpadded sequence, with dropout off. */
export async function logits(m: QwenModel, ids: Int32Array = PROBE_IDS): Promise<Float32Array> {
  const wasTraining = m.training;
  m.training = false;
  const t = m.e.scope(() => m.forward({ ids, mask: new Uint8Array(ids.length).fill(1), B: 1, T: ids.length }).logits);
  const out = await t.read();
  t.release();
  m.training = wasTraining;
  return out;
}

export const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
