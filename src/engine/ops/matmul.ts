// Matmul launcher: C = op(A)·op(B), batched, any shapes; picks the kernel family and B storage path per device.
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import { defaultMatmulSpec, matmulKernel, TILED_LARGE, validateMatmulSpec, type MatmulBType, type MatmulKernelSpec } from '../kernels/matmul-kernel.ts';
import type { Tensor } from '../tensor.ts';
import { dropoutThreshold } from './dropout.ts';
import { fmt } from './shape.ts';

export interface MatmulOptions {
  /** A is stored (…, K, M). */
  transA?: boolean;
  /** B is stored (…, N, K), like a PyTorch Linear weight (out_features, in_features). */
  transB?: boolean;
  /** Add into this tensor instead of allocating a new output (C += A·B). */
  accumulateInto?: Tensor;
  /** Override the kernel family (tests run both on every adapter). */
  kernel?: 'register' | 'tiled';
  /** Override the f16 read path of an f16x2 B ('f16' needs shader-f16). */
  f16Path?: 'unpack' | 'shader-f16';
  /** Override tile sizes (validated). */
  tiles?: Partial<Pick<MatmulKernelSpec, 'rm' | 'rn' | 'wgx' | 'wgy' | 'bk'>>;
  /** Override the engine's choice of vec4 dot products along K for x·Wᵀ (register kernel, K % 4 == 0). */
  dotK?: boolean;
  /** Allow vec4 loads in the register kernel when shapes permit (default true; tests turn it off to cover both). */
  vec4?: boolean;
  /** Write the result into this tensor (overwriting it), e.g. a parameter's gradient slot. */
  out?: Tensor;
  /** C = alpha·op(A)·op(B) (default 1): a LoRA scale or a gradient's factor costs no separate dispatch. */
  alpha?: number;
  /** Added to every row of C (N): a projection's bias. */
  bias?: Tensor;
  /** Added to C (same shape as C): a residual connection. */
  residual?: Tensor;
  /** Inverted dropout on A's elements, B's elements or the product (see MatmulKernelSpec.dropout). */
  dropout?: DropoutSpec;
}

/** Counter-based dropout: which operand, the probability, and the two seed words of its mask. */
export interface DropoutSpec {
  on: 'A' | 'B' | 'C';
  p: number;
  seed: number;
  seed2: number;
}

export interface MatmulDims {
  batch: number;
  M: number;
  N: number;
  K: number;
  /** Output shape. */
  shape: number[];
  /** B is one matrix shared by every batch entry (A's leading dims are folded into M). */
  sharedB: boolean;
}

/**
 * Shapes: A (…, M, K) [transA: (…, K, M)], B (K, N) or (…, K, N) [transB: (N, K) or (…, N, K)].
 * A 2-D B with a batched, non-transposed A folds A's leading dims into M (a Linear layer on (B, T, C)).
 */
export function matmulDims(a: readonly number[], b: readonly number[], transA = false, transB = false): MatmulDims {
  if (a.length < 2 || b.length < 2) throw new Error(`matmul: operands need at least 2 dims, got A ${fmt(a)} and B ${fmt(b)}`);
  // Index arithmetic, no slices: this runs for every matmul of every step.
  const na = a.length;
  const nb = b.length;
  const ar = a[na - 2];
  const ac = a[na - 1];
  const br = b[nb - 2];
  const bc = b[nb - 1];
  const M0 = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) throw new Error(`matmul: inner dims differ: A ${fmt(a)}${transA ? 'ᵀ' : ''} · B ${fmt(b)}${transB ? 'ᵀ' : ''} (${K} vs ${Kb})`);
  const shape = a.slice();
  shape[na - 2] = M0;
  shape[na - 1] = N;
  let lead = 1;
  for (let i = 0; i < na - 2; i++) lead *= a[i];
  if (nb === 2) {
    if (transA && na > 2) throw new Error(`matmul: a batched transposed A ${fmt(a)} with a 2-D B is not supported; reshape A`);
    return { batch: 1, M: lead * M0, N, K, shape, sharedB: true };
  }
  let same = na === nb;
  for (let i = 0; same && i < na - 2; i++) same = a[i] === b[i];
  if (!same) throw new Error(`matmul: batch dims differ: A ${fmt(a)} and B ${fmt(b)}`);
  return { batch: lead, M: M0, N, K, shape, sharedB: false };
}

export function matmulForward(e: Engine, a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  if (a.dtype !== 'f32') throw new Error(`matmul: A must be f32, got ${a.dtype}`);
  if (b.dtype === 'u32') throw new Error('matmul: B must be f32 or f16x2');
  const d = matmulDims(a.shape, b.shape, transA, transB);
  if (opts.accumulateInto && opts.out) throw new Error('matmul: give accumulateInto or out, not both');
  const out = opts.accumulateInto ?? opts.out ?? e.empty(d.shape, 'f32', 'matmul');
  if (out.size !== d.batch * d.M * d.N) throw new Error(`matmul: the output tensor has shape ${fmt(out.shape)}, expected ${fmt(d.shape)}`);
  if (opts.bias && opts.bias.size !== d.N) throw new Error(`matmul: bias has shape ${fmt(opts.bias.shape)}, expected [${d.N}]`);
  if (opts.residual && opts.residual.size !== out.size) throw new Error(`matmul: residual has shape ${fmt(opts.residual.shape)}, expected ${fmt(d.shape)}`);
  const drop = opts.dropout;
  if (drop && !(drop.p > 0 && drop.p < 1)) throw new Error(`matmul: dropout p=${drop.p} must be in (0, 1)`);
  let bType: MatmulBType = 'f32';
  if (b.dtype === 'f16x2') {
    // The unpack path with paired k (transposed B, even K) reads each word once and measured fastest on both
    // CPU adapters; shader-f16 serves the other layouts where the device has it.
    const paired = transB && d.K % 2 === 0;
    const want = opts.f16Path ?? (e.hasF16 && !paired ? 'shader-f16' : 'unpack');
    if (want === 'shader-f16' && !e.device.features.has('shader-f16')) throw new Error('matmul: f16Path "shader-f16" needs a device with the shader-f16 feature');
    bType = want === 'shader-f16' ? 'f16' : 'f16x2';
  }
  const kind = opts.kernel ?? e.matmulKernel;
  const pairK = kind === 'register' && bType === 'f16x2' && transB && d.K % 2 === 0 && !drop;
  // GPUs: big tiles only when there are enough of them to fill the device (>= 256 workgroups), else 64x64.
  const large = kind === 'tiled' && Math.ceil(d.M / 128) * Math.ceil(d.N / 128) * d.batch >= 256;
  // Register kernel, at most 16 columns (a LoRA factor's rank: x·Aᵀ, and the gradients shaped like it): a column of
  // 64 invocations 8 columns wide instead of 8 x 8, whose invocations past N would leave most SIMD lanes idle.
  // 2-4x faster on both CPU adapters for N 8-16; no gain from other shapes (docs/benchmarks.md).
  const narrow = kind === 'register' && d.N <= 16 && e.matmulFitWorkgroups;
  const base = large ? TILED_LARGE : narrow ? REGISTER_NARROW_TILES : kind === 'register' ? REGISTER_TILES : TILED_TILES;
  const t = opts.tiles;
  const rm = t?.rm ?? base.rm;
  const rn = t?.rn ?? base.rn;
  const wgx = t?.wgx ?? base.wgx;
  const wgy = t?.wgy ?? base.wgy;
  const bk = t?.bk ?? base.bk;
  // Fused dropout reads element by element (its mask is indexed by the element's storage index).
  const vec = kind === 'register' && opts.vec4 !== false && !drop;
  // vec4 reads need 16-byte aligned rows and batch strides: M (resp. N) a multiple of 4.
  const vecK = vec && (opts.dotK ?? e.matmulDotK) && !transA && transB && bType === 'f32' && d.K % 4 === 0;
  const vecA = vec && transA && d.M % 4 === 0 && rm % 4 === 0 && !vecK;
  const vecB = vec && !transB && bType === 'f32' && d.N % 4 === 0 && rn % 4 === 0 && !vecK;
  // The kernel's spec is interned by a number packing all its fields: a step that repeats a matmul builds no spec
  // object and no key string (matmul is most of a step's dispatches).
  const flags = (transA ? 1 : 0) | (transB ? 2 : 0) | (opts.accumulateInto ? 4 : 0) | (pairK ? 8 : 0) | (vecA ? 16 : 0) | (vecB ? 32 : 0) | (vecK ? 64 : 0)
    | (opts.bias ? 128 : 0) | (opts.residual ? 256 : 0) | (kind === 'tiled' ? 512 : 0) | ((opts.alpha ?? 1) !== 1 ? 1024 : 0);
  const n = ((((((flags * 3 + B_TYPES.indexOf(bType)) * 4 + DROP.indexOf(drop?.on)) * 17 + rm) * 17 + rn) * 257 + wgx) * 257 + wgy) * 65 + bk;
  let specs = SPECS.get(e.device.limits);
  if (!specs) SPECS.set(e.device.limits, (specs = new Map()));
  let spec = specs.get(n);
  if (!spec) {
    spec = { limits: e.device.limits, kind, transA, transB, bType, accumulate: !!opts.accumulateInto, rm, rn, wgx, wgy, bk, pairK, vecA, vecB, vecK,
      scaled: (opts.alpha ?? 1) !== 1, bias: !!opts.bias, residual: !!opts.residual, dropout: drop?.on, key: '' };
    spec.key = matmulKey(spec);
    specs.set(n, spec);
  }
  if (d.M === 0 || d.N === 0) return out;
  if (d.K === 0) {
    if (opts.bias || opts.residual) throw new Error('matmul: K = 0 with a bias or residual is not supported');
    if (!opts.accumulateInto) e.batch.clear(out.storageBuffer, out.bytes, out.offset);
    return out;
  }
  const tileM = spec.wgy * spec.rm;
  const tileN = spec.wgx * spec.rn;
  // The uniform block is written into a module scratch buffer: the batch copies it at once (matmul is most of a
  // step's dispatches, and a words() call allocates an object per field).
  U32[0] = d.M;
  U32[1] = d.N;
  U32[2] = d.K;
  U32[3] = d.sharedB ? 0 : d.M * d.K;
  U32[4] = d.sharedB ? 0 : d.K * d.N;
  U32[5] = d.M * d.N;
  F32[6] = opts.alpha ?? 1;
  U32[7] = drop?.seed ?? 0;
  U32[8] = drop?.seed2 ?? 0;
  U32[9] = drop ? dropoutThreshold(drop.p) : 0;
  F32[10] = drop ? 1 / (1 - drop.p) : 1;
  // Module scratch for the bindings and the grid: the engine copies both while recording the dispatch.
  const bindings = BINDINGS;
  bindings.length = 3;
  bindings[0] = a;
  bindings[1] = b;
  bindings[2] = out;
  if (opts.bias) bindings.push(opts.bias);
  if (opts.residual) bindings.push(opts.residual);
  GRID[0] = Math.ceil(d.N / tileN);
  GRID[1] = Math.ceil(d.M / tileM);
  GRID[2] = d.batch;
  e.runKernel(spec.key, generate, spec, UNIFORM_BYTES, bindings, GRID, 'matmul');
  return out;
}

const UNIFORM = new ArrayBuffer(48);
const U32 = new Uint32Array(UNIFORM);
const F32 = new Float32Array(UNIFORM);
/** What the batch copies (a byte view made once, not per dispatch). */
const UNIFORM_BYTES = new Uint8Array(UNIFORM);
const BINDINGS: Tensor[] = [];
const GRID: [number, number, number] = [0, 0, 0];

type InternedSpec = MatmulKernelSpec & { limits: MatmulLimits; key: string };
/** Interned specs by device limits (validation needs them) and packed fields. */
const SPECS = new WeakMap<GPUSupportedLimits, Map<number, InternedSpec>>();
const REGISTER_TILES = defaultMatmulSpec('register');
const REGISTER_NARROW_TILES = { ...REGISTER_TILES, wgx: 1, wgy: 64 };
const TILED_TILES = defaultMatmulSpec('tiled');

function generate(spec: InternedSpec): string {
  validateMatmulSpec(spec, spec.limits);
  return matmulKernel(spec);
}

type MatmulLimits = Parameters<typeof validateMatmulSpec>[1];

/** The pipeline key of a matmul kernel: every field of its spec (built once per interned spec). */
function matmulKey(s: MatmulKernelSpec): string {
  const b = (x: boolean | undefined) => (x ? 1 : 0);
  return `matmul:${s.kind}:${b(s.transA)}${b(s.transB)}${b(s.accumulate)}:${s.bType}:${s.rm}x${s.rn}:${s.wgx}x${s.wgy}:${s.bk}:${b(s.pairK)}${b(s.vecA)}${b(s.vecB)}${b(s.vecK)}:${b(s.bias)}${b(s.residual)}${b(s.scaled)}${s.dropout ?? '-'}`;
}
const B_TYPES: MatmulBType[] = ['f32', 'f16x2', 'f16'];
const DROP = [undefined, 'A', 'B', 'C'];
