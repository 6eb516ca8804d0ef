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
  /** Trainable weights (LoRA A/B, score head) by PEFT-style name. */
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
  /** The trainer's own resumable state (RL: prompt cursor, sampler RNG, rollout buffer); structured-cloneable. */
  trainerState?: unknown;
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

const TYPED = { Float32Array, Float64Array, Int32Array, Uint32Array, Uint8Array, Int8Array, Uint16Array, Int16Array } as const;
type TypedName = keyof typeof TYPED;

/**
 * A trainer state as JSON text for stores that write files: typed arrays become `{"$typed": name, "base64": ...}`
 * (IndexedDB keeps them as they are). `parseTrainerState` reverses it exactly.
 */
export function stringifyTrainerState(state: unknown): string {
  return JSON.stringify(state, function (this: unknown, _key, value) {
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      const name = value.constructor.name as TypedName;
      if (!(name in TYPED)) throw new Error(`trainer state: cannot store a ${name}`);
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      let bin = '';
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { $typed: name, base64: btoa(bin) };
    }
    return value;
  });
}

export function parseTrainerState(text: string): unknown {
  return JSON.parse(text, (_key, value) => {
    if (value && typeof value === 'object' && typeof value.$typed === 'string' && typeof value.base64 === 'string') {
      const Ctor = TYPED[value.$typed as TypedName];
      if (!Ctor) throw new Error(`trainer state: unknown array type ${value.$typed}`);
      const bin = atob(value.base64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      return new Ctor(bytes.buffer);
    }
    return value;
  });
}
