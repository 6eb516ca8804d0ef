// Launcher of the GPU token sampler (shaders/sample_tokens.wgsl): (B, V) logits -> (B, 2) u32 of
// (token id, f32 log-prob bits), so a decode step reads back 8 bytes per row. No autograd: sampling is not
// differentiated; RL recomputes log-probs with the training forward.
import sampleSrc from '../../../shaders/sample_tokens.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertDtype, rowsOf } from './shape.ts';

export interface TokenSampling {
  /** 0 = greedy (argmax, log-prob under softmax(z)). */
  temperature: number;
  /** Keep the k most likely tokens (0 = all). */
  topK: number;
  /** Nucleus: keep tokens while the mass above them is < topP (1 = all). */
  topP: number;
  /** The run's seed and the draw's counter: (seed, counter, row, token) decide the noise, nothing else. */
  seed: number;
  counter: number;
}

export function sampleTokens(e: Engine, logits: Tensor, s: TokenSampling): Tensor {
  assertDtype('sampleTokens', 'logits', logits.dtype, 'f32');
  const [rows, V] = rowsOf(logits.shape);
  if (!(s.temperature >= 0) || !Number.isFinite(s.temperature)) throw new Error(`sampleTokens: temperature must be >= 0, got ${s.temperature}`);
  if (!Number.isInteger(s.topK) || s.topK < 0) throw new Error(`sampleTokens: topK must be a non-negative integer, got ${s.topK}`);
  if (!(s.topP > 0 && s.topP <= 1)) throw new Error(`sampleTokens: topP must be in (0, 1], got ${s.topP}`);
  const greedy = s.temperature === 0;
  const out = e.empty([rows, 2], 'u32', 'sampled');
  const params = words(
    { u: rows }, { u: V }, { u: s.topK }, { u: greedy ? 1 : 0 }, { f: greedy ? 1 : 1 / s.temperature }, { f: s.topP },
    { u: s.seed >>> 0 }, { u: s.counter >>> 0 },
  );
  e.run(sampleSrc, params, [logits.buffer, out.buffer], e.grid(rows), 'sampleTokens');
  return out;
}

/** Splits the sampler's (B, 2) output into ids and log-probs. */
export function unpackSamples(raw: Uint32Array): { ids: Uint32Array; logprobs: Float32Array } {
  const rows = raw.length / 2;
  const ids = new Uint32Array(rows);
  const bits = new Uint32Array(rows);
  for (let b = 0; b < rows; b++) {
    ids[b] = raw[2 * b];
    bits[b] = raw[2 * b + 1];
  }
  return { ids, logprobs: new Float32Array(bits.buffer) };
}
