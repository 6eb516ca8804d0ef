// What the tape stores for each differentiable op: its inputs, attributes and saved tensors.
// Adding an op here without a backward rule in backward-rules.ts is a compile error.
import type { AttentionDims } from '../ops/attention.ts';
import type { ChunkPlan, ChunkedLogitsMode } from '../ops/chunked-logits.ts';
import type { AffineClamp, MinMaxOp } from '../ops/pointwise.ts';
import type { RopeTables } from '../ops/rope.ts';
import type { Tensor } from '../tensor.ts';

type None = Record<string, never>;

/**
 * Two rope nodes made by one dispatch (ropePair: queries and keys). The second node's backward, which runs first,
 * also rotates the first's gradient when it is already there (it is: attention's backward gives both) and leaves it
 * in `dFirst` for the first node: one dispatch each way instead of two.
 */
export interface RopePair {
  firstInput: Tensor;
  first: Tensor;
  second: Tensor;
  dFirst: Tensor | null;
}

/** Where the optional inputs of a projection sit in its input list (-1: absent), and its LoRA scale and dropout. */
export interface ProjectionAttrs {
  bias: number;
  residual: number;
  loraA: number;
  loraB: number;
  scale: number;
  dropout: { p: number; seed: number; seed2: number } | null;
}

export interface OpRecords {
  matmul: { inputs: [a: Tensor, b: Tensor]; attrs: { transA: boolean; transB: boolean }; saved: None };
  embedding: { inputs: [table: Tensor, ids: Tensor]; attrs: None; saved: None };
  rmsnorm: { inputs: [x: Tensor, w: Tensor]; attrs: { eps: number }; saved: { rstd: Tensor } };
  rope: { inputs: [x: Tensor, positions: Tensor]; attrs: { tables: RopeTables; pair?: RopePair }; saved: None };
  swiglu: { inputs: [gate: Tensor, up: Tensor]; attrs: None; saved: None };
  add: { inputs: [a: Tensor, b: Tensor]; attrs: { broadcast: boolean }; saved: None };
  sub: { inputs: [a: Tensor, b: Tensor]; attrs: { broadcast: boolean }; saved: None };
  mul: { inputs: [a: Tensor, b: Tensor]; attrs: None; saved: None };
  scale: { inputs: [x: Tensor]; attrs: { s: number }; saved: None };
  exp: { inputs: [x: Tensor]; attrs: None; saved: None };
  reshape: { inputs: [x: Tensor]; attrs: None; saved: None };
  affineClamp: { inputs: [x: Tensor]; attrs: AffineClamp; saved: None };
  minmax: { inputs: [a: Tensor, b: Tensor]; attrs: { op: MinMaxOp }; saved: None };
  logSigmoid: { inputs: [x: Tensor]; attrs: None; saved: None };
  attention: { inputs: [q: Tensor, k: Tensor, v: Tensor, mask: Tensor]; attrs: { dims: AttentionDims }; saved: { stats: Tensor } };
  crossEntropy: { inputs: [logits: Tensor, targets: Tensor]; attrs: None; saved: { stats: Tensor; info: Tensor } };
  tokenLogprobs: { inputs: [logits: Tensor, targets: Tensor]; attrs: None; saved: { stats: Tensor } };
  entropy: { inputs: [logits: Tensor]; attrs: None; saved: { stats: Tensor; targets: Tensor } };
  linearLogits: { inputs: [h: Tensor, w: Tensor, targets: Tensor]; attrs: { mode: ChunkedLogitsMode; plan: ChunkPlan }; saved: None };
  maskedMean: { inputs: [x: Tensor, w: Tensor]; attrs: None; saved: { info: Tensor } };
  checkpoint: { inputs: Tensor[]; attrs: { fn: (...inputs: Tensor[]) => Tensor }; saved: None };
  projection: { inputs: Tensor[]; attrs: ProjectionAttrs; saved: { u?: Tensor } };
}

export type OpName = keyof OpRecords;

export interface TapeNode<K extends OpName = OpName> {
  op: K;
  inputs: OpRecords[K]['inputs'];
  attrs: OpRecords[K]['attrs'];
  saved: OpRecords[K]['saved'];
  output: Tensor;
}

/** Gradients of the inputs, in input order (null where an input needs none). `needs[i]` says which are wanted. */
export type BackwardRule<K extends OpName> = (node: TapeNode<K>, dOut: Tensor, needs: boolean[]) => Array<Tensor | null>;

export type BackwardRules = { [K in OpName]: BackwardRule<K> };
