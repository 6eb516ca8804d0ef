// A decoding session over a static KV cache: rows of a batch are fed chunks of tokens (a prompt, a sampled token,
// a tool result) and the next token of every fed row is sampled on the GPU. A call feeds all its rows in one
// rectangular, left-padded chunk: padding columns are masked out for good and rotary positions count real tokens
// only, so a row's cache is exactly what a fresh prefill of its real tokens would hold. Each call submits once and
// reads back 8 bytes per row (token id + log-prob), never logits. Used by generate() and the episode runner.
//
// Shapes: B rows, S cache columns (capacity), V vocabulary.
import { sampleTokens, unpackSamples, type Tensor } from '../engine/index.ts';
import type { KvCache, QwenModel } from './qwen.ts';

export interface DecodeSampling {
  /** 0 = greedy. */
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
}

/** What one feed() returns for every row: the sampled next token and its log-prob (undefined for rows not fed). */
export interface FeedResult {
  ids: Array<number | undefined>;
  logprobs: Array<number | undefined>;
}

/**
 * A session merges attached LoRA adapters into copies of the projections when the copies take at most this much
 * (QwenModel.mergeForDecode): 3 dispatches per adapted projection become 1, the largest saving of a decode step on a
 * small model (measured in docs/benchmarks.md "Decode with the adapters merged"). Above it (a 0.5B model's
 * projections are 1.4 GiB in f32) the session runs the adapters unmerged rather than take that memory from training.
 */
export const DECODE_MERGE_MAX_BYTES = 256 * 2 ** 20;

export class DecodeSession {
  readonly cache: KvCache;
  /** Cache columns used so far (real and padding). */
  private column = 0;
  /** Real tokens per row: the next token's rotary position. */
  readonly lengths: number[];
  /** Sampler draws so far: the counter of the noise (same seed, same calls, same tokens). */
  private draws = 0;
  private readonly wasTraining: boolean;
  private released = false;

  /** Whether this session made merged copies of the adapters (released with the session). */
  readonly merged: boolean;

  constructor(readonly model: QwenModel, readonly B: number, readonly S: number, readonly sampling: DecodeSampling, o: { mergeMaxBytes?: number } = {}) {
    this.cache = model.createCache(B, S);
    // Only a session that made the copies drops them (a session inside another one reuses the outer one's).
    this.merged = model.mergeForDecode(o.mergeMaxBytes ?? DECODE_MERGE_MAX_BYTES);
    this.lengths = new Array(B).fill(0);
    this.wasTraining = model.training;
    model.training = false;
  }

  /** Cache columns still free. */
  get free(): number {
    return this.S - this.column;
  }

  /**
   * Appends `chunks[b]` to row b (null or empty: nothing) and samples the next token of every fed row.
   * One model step of Tq = the longest chunk; shorter chunks are left-padded so every fed row's last real token
   * sits in the last column, whose logits the sampler reads.
   */
  async feed(chunks: ReadonlyArray<ArrayLike<number> | null>): Promise<FeedResult> {
    if (this.released) throw new Error('DecodeSession: feed() after release()');
    if (chunks.length !== this.B) throw new Error(`DecodeSession: ${chunks.length} chunks for ${this.B} rows`);
    const Tq = Math.max(0, ...chunks.map((c) => c?.length ?? 0));
    if (Tq === 0) throw new Error('DecodeSession: feed() with no tokens for any row');
    if (this.column + Tq > this.S) {
      throw new Error(`KV cache full: ${this.column + Tq} columns needed, ${this.S} allocated (raise the episode's token budget)`);
    }
    const { B } = this;
    const ids = new Uint32Array(B * Tq);
    const mask = new Uint8Array(B * Tq);
    const positions = new Int32Array(B * Tq);
    chunks.forEach((c, b) => {
      const n = c?.length ?? 0;
      const off = Tq - n;
      for (let t = 0; t < n; t++) {
        ids[b * Tq + off + t] = c![t];
        mask[b * Tq + off + t] = 1;
        positions[b * Tq + off + t] = this.lengths[b] + t;
      }
      this.lengths[b] += n;
    });
    const e = this.model.e;
    const sampled = e.scope(() => {
      const logits: Tensor = this.model.step(this.cache, ids, mask, positions, this.column, Tq); // (B, V)
      return sampleTokens(e, logits, { ...this.sampling, counter: this.draws });
    });
    this.draws++;
    this.column += Tq;
    const raw = await sampled.readU32();
    sampled.release();
    const { ids: next, logprobs } = unpackSamples(raw);
    const fed = (b: number) => (chunks[b]?.length ?? 0) > 0;
    return {
      ids: Array.from({ length: B }, (_, b) => (fed(b) ? next[b] : undefined)),
      logprobs: Array.from({ length: B }, (_, b) => (fed(b) ? logprobs[b] : undefined)),
    };
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.model.training = this.wasTraining;
    this.model.releaseCache(this.cache);
    if (this.merged) this.model.releaseDecodeWeights();
  }
}
