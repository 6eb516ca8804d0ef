// Public API of the training engine: GPU tensors, differentiable ops, tape autograd, AdamW with clipping.
//
// Usage (one training step = one queue submission; only the loss is read back, asynchronously):
//
//   import { Engine, startTape, linear, rmsnorm, crossEntropy, AdamW } from '../engine/index.ts';
//   const e = new Engine(await openNodeDevice());                  // or openDevice(navigator.gpu, …) in a worker
//   const w = e.param(initWeights, [C_out, C_in], 'proj');         // (out, in), like a PyTorch Linear
//   const opt = new AdamW(e, [w], { lr: 1e-3, maxGradNorm: 1 });
//   const x = e.tensor(inputs, [B * T, C_in]);                     // f32 upload
//   const targets = e.tensor(targetIds, [B * T]);                  // Uint32Array -> u32; IGNORE_TARGET = no loss
//   const tape = startTape(e);
//   const loss = crossEntropy(linear(x, w), targets);              // (1)
//   tape.backward(loss);                                           // w.grad is set (accumulates across micro-batches)
//   const info = opt.step();                                       // grad norm, clip, NaN/Inf skip, all on the GPU
//   const lossValue = loss.readLater();                            // resolves after the flush below
//   const normInfo = info.readLater();                             // [norm, clip coef, nonFinite flag, 0]
//   tape.dispose(); opt.zeroGrad(); info.release(); x.release(); targets.release();
//   e.flush();                                                     // the one submit of this step
//   console.log((await lossValue)[0], e.stats.dispatches);
//
// Large vocabularies (Qwen: 151,936): use linearCrossEntropy(h, lmHead, targets) / linearTokenLogprobs(…), which make
// the logits a chunk of rows at a time; a full (tokens, vocab) f32 tensor would exceed lavapipe's 128 MiB binding limit.
// Frozen base weights can be stored as packed f16: `e.f16Weights(data, [out, in])`, then `linear(x, wF16)`.
// Inference without a tape: wrap code in `e.scope(() => …)` so intermediates go back to the pool.
// Activation recomputation: `x = checkpoint((y) => layer(y), [x])` keeps only the layer's input; backward reruns it.
// Observability: e.stats = { dispatches, submits, bindGroups, bytesUploaded, bytesUniform, bytesRead, pipelinesCompiled,
// kernelsGenerated, bytesAllocated, allocations, bytesLive, bytesInUse, pipelines }; call e.resetCounters() at the start
// of a step. After the first steps a training step allocates 0 bytes, creates 0 bind groups and generates no WGSL.
// Kernel families by adapter (EngineOptions can force them): matmul 'register' on CPU adapters (8x8 outputs per
// invocation) / 'tiled' on GPUs (workgroup-memory tiles); attention 'tiled' (flash, workgroup tiles) on GPUs and
// lavapipe, 'subgroups' / 'rows' otherwise and for decode steps; f16x2 weights through core unpack2x16float or shader-f16.
// Fused ops: projection() (bias, residual, LoRA, counter-based dropout in its matmuls), ropePair() (q and k at once).
// Every op has a float64 CPU reference (forward and backward) in ./cpu-reference/ for tests and reference models.

export { Engine, packF16, f32ToF16Bits, f16BitsToF32, type EngineOptions, type EngineStats } from './engine.ts';
export { Tensor, type DType } from './tensor.ts';
export { Tape, startTape, type BackwardOptions } from './autograd/tape.ts';
export {
  matmul,
  linear,
  embedding,
  rmsnorm,
  rope,
  ropePair,
  swiglu,
  add,
  sub,
  mul,
  scale,
  exp,
  clamp,
  affine,
  minimum,
  maximum,
  logSigmoid,
  reshape,
  attention,
  crossEntropy,
  tokenLogprobs,
  entropy,
  linearCrossEntropy,
  linearTokenLogprobs,
  linearTokenLogprobsWithEntropy,
  maskedMean,
  checkpoint,
  projection,
  type AttentionOptions,
  type ProjectionLora,
} from './autograd/functions.ts';
export { dropoutSeeds, dropoutMaskRef } from './ops/dropout.ts';
export type { OpName, OpRecords } from './autograd/op-records.ts';
export { ropeTables, ropeTableData, type RopeTables } from './ops/rope.ts';
export { IGNORE_TARGET } from './ops/logits.ts';
export { accumulate } from './ops/elementwise.ts';
export { preferenceStats, PREFERENCE_STATS, type PreferenceStat } from './ops/preference-stats.ts';
export { kvCacheWrite } from './ops/kv-cache.ts';
export { matmulForward, type MatmulOptions } from './ops/matmul.ts';
export { sampleTokens, unpackSamples, type TokenSampling } from './ops/sample.ts';
export { AdamW, ADAMW_DEFAULTS, type AdamWConfig } from './optim/adamw.ts';
export { gradNormInfo } from './optim/grad-norm.ts';
