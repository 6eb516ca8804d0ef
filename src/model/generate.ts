// Text generation with a static KV cache (a DecodeSession): prompts of different lengths are left-padded into one
// batch, the prefill runs them in one pass, then each step feeds one token per still-running row. The cache is
// allocated once per call (sized prompt + maxNewTokens); a step only reuses pooled buffers. Sampling (greedy,
// temperature, top-k, top-p) runs on the GPU (shaders/sample_tokens.wgsl), seeded: a step reads back 8 bytes per row.

import { DecodeSession } from './decode.ts';
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
  /** Log-prob of each new token under the temperature-scaled distribution (greedy: under softmax of the logits). */
  logprobs: number[][];
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

/** Generates continuations of several prompts at once (greedy or sampled on the GPU). */
export async function generate(model: QwenModel, prompts: ArrayLike<number>[], c: SamplingConfig, opts: GenerateOptions = {}): Promise<GenerateResult> {
  validateSampling(c);
  if (prompts.length === 0) throw new Error('generate: no prompts');
  if (prompts.some((p) => p.length === 0)) throw new Error('generate: empty prompt');
  if (c.stopStrings.length > 0 && !opts.decode) throw new Error('generate: stop strings need a decode function');
  const B = prompts.length;
  const Tp = Math.max(...prompts.map((p) => p.length));
  const session = new DecodeSession(model, B, Tp + c.maxNewTokens, { temperature: c.temperature, topK: c.topK, topP: c.topP, seed: c.seed });
  const out: number[][] = prompts.map(() => []);
  const logprobs: number[][] = prompts.map(() => []);
  const finish: GenerateResult['finish'] = prompts.map(() => 'length');
  const running = prompts.map(() => true);
  const stop = new Set(c.stopTokens);
  let steps = 0;
  try {
    const t0 = performance.now();
    let next = await session.feed(prompts);
    const prefillMs = performance.now() - t0;
    const t1 = performance.now();
    for (;;) {
      for (let b = 0; b < B; b++) {
        if (!running[b]) continue;
        const tok = next.ids[b]!;
        out[b].push(tok);
        logprobs[b].push(next.logprobs[b]!);
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
      // Finished rows are not fed: their columns are padding from here on.
      next = await session.feed(out.map((o, b) => (running[b] ? [o[o.length - 1]] : null)));
    }
    const decodeMs = performance.now() - t1;
    const generated = out.reduce((s, r) => s + r.length, 0);
    return { tokens: out, logprobs, finish, tokensPerSecond: generated / Math.max(decodeMs / 1000, 1e-9), prefillMs, decodeMs, steps };
  } finally {
    session.release();
  }
}
