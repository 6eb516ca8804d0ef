// Text generation with a static KV cache: prompts of different lengths are left-padded into one batch, the
// prefill runs them in one pass, then each step feeds one token per row. The cache and its mask are
// allocated once per call (sized prompt + maxNewTokens); a step only reuses pooled buffers. Sampling
// (greedy, temperature, top-k, top-p) runs on the CPU over the (B, V) logits with the project's seeded RNG.

import { Rng } from '../util/rng.ts';
import type { QwenModel } from './qwen.ts';

export interface SamplingConfig {
  maxNewTokens: number;
  /** 0 = greedy (argmax). */
  temperature: number;
  /** Keep the k most likely tokens (0 = all). */
  topK: number;
  /** Keep the smallest set whose probability reaches p (1 = all). */
  topP: number;
  /** Token ids that end a row (the stop token itself is kept in the output). */
  stopTokens: number[];
  /** Strings that end a row once the decoded output contains them (needs `decode`). */
  stopStrings: string[];
  seed: number;
}

export const GREEDY: SamplingConfig = { maxNewTokens: 64, temperature: 0, topK: 0, topP: 1, stopTokens: [], stopStrings: [], seed: 0 };

export interface GenerateOptions {
  /** Decoder for stop strings and streaming text. */
  decode?: (ids: number[]) => string;
  /** Called after each step with the new token of every still-running row. */
  onToken?: (row: number, token: number, rowTokens: readonly number[]) => void;
  signal?: AbortSignal;
}

export interface GenerateResult {
  /** New tokens per row (prompt excluded), stop token included when one ended the row. */
  tokens: number[][];
  finish: ('stop' | 'length' | 'aborted')[];
  /** Generated tokens (all rows) per second of the decode loop, prefill excluded. */
  tokensPerSecond: number;
  prefillMs: number;
  decodeMs: number;
  steps: number;
}

export function validateSampling(c: SamplingConfig): void {
  if (!Number.isInteger(c.maxNewTokens) || c.maxNewTokens < 1) throw new Error(`sampling: maxNewTokens must be a positive integer, got ${c.maxNewTokens}`);
  if (!(c.temperature >= 0)) throw new Error(`sampling: temperature must be >= 0, got ${c.temperature}`);
  if (!Number.isInteger(c.topK) || c.topK < 0) throw new Error(`sampling: topK must be a non-negative integer, got ${c.topK}`);
  if (!(c.topP > 0 && c.topP <= 1)) throw new Error(`sampling: topP must be in (0, 1], got ${c.topP}`);
}

/** Picks one token from a row of logits. */
export function sampleToken(logits: Float32Array, c: Pick<SamplingConfig, 'temperature' | 'topK' | 'topP'>, rng: Rng): number {
  const V = logits.length;
  if (c.temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let idx = Array.from({ length: V }, (_, i) => i);
  if (c.topK > 0 && c.topK < V) {
    idx.sort((a, b) => logits[b] - logits[a]);
    idx = idx.slice(0, c.topK);
  }
  let m = -Infinity;
  for (const i of idx) m = Math.max(m, logits[i]);
  let probs = idx.map((i) => Math.exp((logits[i] - m) / c.temperature));
  let z = probs.reduce((a, b) => a + b, 0);
  probs = probs.map((p) => p / z);
  if (c.topP < 1) {
    const order = probs.map((_, k) => k).sort((a, b) => probs[b] - probs[a]);
    let acc = 0;
    const keep: number[] = [];
    for (const k of order) {
      keep.push(k);
      acc += probs[k];
      if (acc >= c.topP) break;
    }
    idx = keep.map((k) => idx[k]);
    probs = keep.map((k) => probs[k]);
    z = probs.reduce((a, b) => a + b, 0);
    probs = probs.map((p) => p / z);
  }
  let u = rng.next();
  for (let k = 0; k < probs.length; k++) {
    u -= probs[k];
    if (u < 0) return idx[k];
  }
  return idx[idx.length - 1];
}

/** Generates continuations of several prompts at once (rollouts). */
export async function generate(model: QwenModel, prompts: ArrayLike<number>[], c: SamplingConfig, opts: GenerateOptions = {}): Promise<GenerateResult> {
  validateSampling(c);
  if (prompts.length === 0) throw new Error('generate: no prompts');
  if (prompts.some((p) => p.length === 0)) throw new Error('generate: empty prompt');
  if (c.stopStrings.length > 0 && !opts.decode) throw new Error('generate: stop strings need a decode function');
  const e = model.e;
  const B = prompts.length;
  const Tp = Math.max(...prompts.map((p) => p.length));
  const cache = model.createCache(B, Tp + c.maxNewTokens);
  const rng = new Rng(c.seed);
  const out: number[][] = prompts.map(() => []);
  const finish: GenerateResult['finish'] = prompts.map(() => 'length');
  const running = prompts.map(() => true);
  const realCount = prompts.map((p) => p.length);
  const wasTraining = model.training;
  model.training = false;
  const stop = new Set(c.stopTokens);
  let steps = 0;
  try {
    // Prefill: left-padded prompts, so every row's last prompt token is the batch's last column.
    const ids = new Uint32Array(B * Tp);
    const mask = new Uint8Array(B * Tp);
    prompts.forEach((p, b) => {
      const off = Tp - p.length;
      for (let t = 0; t < p.length; t++) {
        ids[b * Tp + off + t] = p[t];
        mask[b * Tp + off + t] = 1;
      }
    });
    const positions = new Int32Array(B * Tp);
    prompts.forEach((p, b) => {
      for (let t = 0; t < p.length; t++) positions[b * Tp + Tp - p.length + t] = t;
    });
    const t0 = performance.now();
    const readLogits = async (run: () => ReturnType<QwenModel['step']>) => {
      const t = e.scope(run);
      const values = await t.read();
      t.release();
      return values;
    };
    let logits = await readLogits(() => model.step(cache, ids, mask, positions, 0, Tp));
    const prefillMs = performance.now() - t0;
    const t1 = performance.now();
    let pos = Tp;
    const V = model.cfg.vocabSize;
    const stepIds = new Uint32Array(B);
    const stepMask = new Uint8Array(B);
    const stepPos = new Int32Array(B);
    for (;;) {
      for (let b = 0; b < B; b++) {
        if (!running[b]) continue;
        const tok = sampleToken(logits.subarray(b * V, (b + 1) * V), c, rng);
        out[b].push(tok);
        opts.onToken?.(b, tok, out[b]);
        if (stop.has(tok)) {
          running[b] = false;
          finish[b] = 'stop';
        } else if (c.stopStrings.length > 0 && c.stopStrings.some((s) => opts.decode!(out[b]).includes(s))) {
          running[b] = false;
          finish[b] = 'stop';
        } else if (out[b].length >= c.maxNewTokens) running[b] = false;
      }
      steps++;
      if (!running.some(Boolean)) break;
      if (opts.signal?.aborted) {
        running.forEach((r, b) => r && (finish[b] = 'aborted'));
        break;
      }
      // Finished rows still step (keeping the batch rectangular) but as padding: masked out, output ignored.
      for (let b = 0; b < B; b++) {
        stepIds[b] = running[b] ? out[b][out[b].length - 1] : 0;
        stepMask[b] = running[b] ? 1 : 0;
        stepPos[b] = running[b] ? realCount[b]++ : 0;
      }
      logits = await readLogits(() => model.step(cache, stepIds, stepMask, stepPos, pos, 1));
      pos++;
    }
    const decodeMs = performance.now() - t1;
    const generated = out.reduce((s, r) => s + r.length, 0);
    return { tokens: out, finish, tokensPerSecond: generated / Math.max(decodeMs / 1000, 1e-9), prefillMs, decodeMs, steps };
  } finally {
    model.training = wasTraining;
    model.releaseCache(cache);
  }
}
