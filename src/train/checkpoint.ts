// What a training checkpoint holds, and the storage contract every backend (IndexedDB, files) meets.
import type { RngState } from '../util/rng.ts';
import type { DataPosition } from './batching.ts';

/** A named f32 tensor in host memory. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export interface Checkpoint {
  runId: string;
  /** Optimizer steps completed. */
  step: number;
  /** Trainable weights (LoRA A/B, value head) by PEFT-style name. */
  weights: Record<string, HostTensor>;
  /** AdamW first and second moments by the same names, and the optimizer's own step count. */
  optimizer: { step: number; m: Record<string, HostTensor>; v: Record<string, HostTensor> };
  /** The run's RNG state after this step (dropout, sampling). */
  rng: RngState;
  /** Where the data stream continues. */
  data: DataPosition;
  /** Consecutive non-finite steps when saved (so a resumed run keeps counting). */
  nonFiniteStreak: number;
  createdAt: number;
}

/** Short description of a checkpoint for listings (no tensors). */
export interface CheckpointInfo {
  runId: string;
  step: number;
  createdAt: number;
  bytes: number;
}

/**
 * Storage contract: `save` is atomic (a crash or quota error mid-write leaves the previous checkpoint
 * valid and listed), and after a successful save only the newest `keep` checkpoints of the run remain.
 */
export interface CheckpointStore {
  save(ckpt: Checkpoint, keep: number): Promise<void>;
  /** The newest complete checkpoint of the run, or null. */
  latest(runId: string): Promise<Checkpoint | null>;
  list(runId: string): Promise<CheckpointInfo[]>;
  load(runId: string, step: number): Promise<Checkpoint | null>;
}

export function checkpointBytes(c: Checkpoint): number {
  const sum = (r: Record<string, HostTensor>) => Object.values(r).reduce((s, t) => s + t.data.byteLength, 0);
  return sum(c.weights) + sum(c.optimizer.m) + sum(c.optimizer.v);
}
