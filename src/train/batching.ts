// Batches of similar length (less padding), seeded shuffling per epoch, and a position that resumes exactly.
import { Rng } from '../util/rng.ts';

/** A tokenized training example: ids and a 0/1 loss mask of the same length. */
export interface TokenizedExample {
  ids: Int32Array;
  /** 1 where the token is predicted and counts in the loss (assistant turns), else 0. */
  lossMask: Uint8Array;
}

/** Where the data stream stands: resuming from it continues the same sequence of batches. */
export interface DataPosition {
  epoch: number;
  /** Index of the next batch within the epoch's plan. */
  batch: number;
}

/** A padded batch, ready for the model. Shapes: (B, T) with T the longest example in the batch. */
export interface PaddedBatch {
  batchSize: number;
  seqLen: number;
  /** (B*T) token ids, padded with `padId`. */
  ids: Int32Array;
  /** (B*T) 1 for real tokens, 0 for padding (attention mask). */
  attention: Uint8Array;
  /** (B*T) target id of position t (the token at t+1), -1 where no loss is taken. */
  targets: Int32Array;
  /** Indices of the examples in the dataset. */
  indices: number[];
  /** Number of target tokens that count in the loss. */
  lossTokens: number;
  /** Number of real (non-padding) tokens. */
  realTokens: number;
}

/**
 * The order of batches in one epoch: shuffle all examples with the epoch's seed, cut the shuffled list
 * into pools of 32 batches, sort each pool by length and cut it into batches (so a batch holds similar
 * lengths while the data order stays random), then shuffle the batches themselves.
 */
export function epochPlan(lengths: readonly number[], batchSize: number, seed: number, epoch: number): number[][] {
  const rng = new Rng((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const order = rng.shuffle(lengths.map((_, i) => i));
  const pool = batchSize * 32;
  const batches: number[][] = [];
  for (let p = 0; p < order.length; p += pool) {
    const chunk = order.slice(p, p + pool).sort((a, b) => lengths[a] - lengths[b] || a - b);
    for (let b = 0; b < chunk.length; b += batchSize) batches.push(chunk.slice(b, b + batchSize));
  }
  return rng.shuffle(batches);
}

/** Pads examples into one batch; targets are next tokens where the next token's loss mask is 1. */
export function padBatch(examples: readonly TokenizedExample[], indices: number[], padId: number): PaddedBatch {
  const B = indices.length;
  const T = Math.max(1, ...indices.map((i) => examples[i].ids.length));
  const ids = new Int32Array(B * T).fill(padId);
  const attention = new Uint8Array(B * T);
  const targets = new Int32Array(B * T).fill(-1);
  let lossTokens = 0;
  let realTokens = 0;
  indices.forEach((ex, b) => {
    const { ids: x, lossMask } = examples[ex];
    ids.set(x, b * T);
    attention.fill(1, b * T, b * T + x.length);
    realTokens += x.length;
    for (let t = 0; t + 1 < x.length; t++) {
      if (lossMask[t + 1]) {
        targets[b * T + t] = x[t + 1];
        lossTokens++;
      }
    }
  });
  return { batchSize: B, seqLen: T, ids, attention, targets, indices, lossTokens, realTokens };
}

/** Iterates batches from `start`, across epochs, forever (the caller stops at its step budget). */
export function* batchStream(
  examples: readonly TokenizedExample[],
  batchSize: number,
  seed: number,
  padId: number,
  start: DataPosition = { epoch: 0, batch: 0 },
): Generator<{ batch: PaddedBatch; position: DataPosition; next: DataPosition }> {
  if (examples.length === 0) throw new Error('No training examples: every line was rejected or the file is empty.');
  yield* planStream(examples.map((e) => e.ids.length), batchSize, seed, start, (indices) => padBatch(examples, indices, padId));
}

/**
 * The epoch plans of `lengths` (see epochPlan) from `start`, forever, each batch's example indices turned into a
 * batch by `make`: one batch order for every trainer (SFT examples, reward-model pairs), resumable at a position.
 */
export function* planStream<B>(
  lengths: readonly number[],
  batchSize: number,
  seed: number,
  start: DataPosition,
  make: (indices: number[]) => B,
): Generator<{ batch: B; position: DataPosition; next: DataPosition }> {
  let { epoch, batch } = start;
  for (;;) {
    const plan = epochPlan(lengths, batchSize, seed, epoch);
    for (; batch < plan.length; batch++) {
      const next = batch + 1 < plan.length ? { epoch, batch: batch + 1 } : { epoch: epoch + 1, batch: 0 };
      yield { batch: make(plan[batch]), position: { epoch, batch }, next };
    }
    epoch++;
    batch = 0;
  }
}

export function batchesPerEpoch(count: number, batchSize: number): number {
  // Pools are cut separately, so a pool's last batch may be short: count per pool.
  const pool = batchSize * 32;
  const full = Math.floor(count / pool);
  const rest = count - full * pool;
  return full * 32 + Math.ceil(rest / batchSize);
}
