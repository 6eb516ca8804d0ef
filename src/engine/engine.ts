// The engine context: device, buffer pool, pipeline cache, command batch, tile choices and the active tape.
import { f16BitsToF32, f32ToF16Bits } from '../util/f16.ts';
import { BufferPool } from '../gpu/buffer-pool.ts';
import { CommandBatch, type Binding } from '../gpu/command-batch.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { GpuReport } from '../gpu/gpu-report.ts';
import { PipelineCache } from '../gpu/pipeline-cache.ts';
import type { Tape } from './autograd/tape.ts';
import { byteSize, Storage, Tensor, type DType } from './tensor.ts';

export interface EngineOptions {
  /** Use the `shader-f16` path for f16x2 weights when the device has it (default true). */
  useShaderF16?: boolean;
  /** Use subgroup operations in reductions when the device has them (default true). */
  useSubgroups?: boolean;
  /** Force the matmul kernel family (default: by adapter kind: 'cpu' => register-blocked, 'gpu' => tiled). */
  matmulKernel?: 'register' | 'tiled';
  /**
   * The register matmul kernel's workgroup fitted to narrow products (at most 16 columns: a LoRA factor's rank) as a
   * column of 64 invocations instead of 8 x 8 (default true; false gives every product 8 x 8, for benchmarks).
   */
  matmulFitWorkgroups?: boolean;
  /**
   * Attention kernel family: 'tiled' (flash attention with workgroup-memory tiles of K/V and Q/dO: what GPUs want;
   * decode steps with few query rows fall back to the row kernels), 'rows' (one invocation per row, head_dim in
   * registers) or 'subgroups' (a subgroup per row). Default: 'tiled' on GPU adapters and lavapipe (measured faster
   * there for training); elsewhere 'subgroups' when the fixed subgroup size is at least 8 and divides 64, else 'rows'
   * (SwiftShader: its 4-lane subgroups and workgroup tiles both measured slower than rows).
   */
  attentionKernel?: 'rows' | 'subgroups' | 'tiled';
  /** With 'tiled', calls with fewer query rows than this use the row kernels (default 16; tests set 1). */
  attentionTiledMinRows?: number;
  /**
   * With 'tiled', the family of those few-row calls (decode steps): 'subgroups' where the subgroup size fits, else
   * 'rows'. Default 'rows' on lavapipe: an RL rollout phase decoded ~1.3x faster with it than with its subgroup
   * kernels (8 lanes a row reduce every key's score across the subgroup; docs/benchmarks.md), 'subgroups' elsewhere.
   */
  attentionFewRows?: 'rows' | 'subgroups';
  /**
   * The tiled family's backward: 'fused' (default: one pass over the scores writes dK, dV and partial dQ per key block,
   * a second sums the partials; where the adapter allows it) or 'split' (a dQ pass and a dK/dV pass, no scratch).
   */
  attentionBackward?: 'fused' | 'split';
  /**
   * The tiled forward hands each K/V tile element around a subgroup (each lane loads a different key's element,
   * subgroupBroadcast gives it to the others) instead of every lane loading it: needs a fixed subgroup size dividing 64
   * (not emulated). Default: on for lavapipe, which loads workgroup memory lane by lane inside loops (measured 2.5x
   * faster forward there); off elsewhere (not measured on GPUs; SwiftShader does not run the tiled family by default).
   */
  attentionTiledBroadcast?: boolean;
  /**
   * Tests: run the 'subgroups' attention kernels generated for this subgroup size (e.g. 32, NVIDIA's) with the
   * subgroup reductions emulated, on an adapter that has another size or none.
   */
  emulateAttentionSubgroups?: number;
  /**
   * Register matmul x·Wᵀ with K % 4 == 0 through vec4 dot products along K. Default: on for SwiftShader
   * (measured 1.3x faster there), off elsewhere (lavapipe measured 1.4x slower with it).
   */
  matmulDotK?: boolean;
  /** Fill every new tensor with NaN before use, so a kernel that misses an element is caught (tests). */
  poison?: boolean;
}

export interface EngineStats {
  dispatches: number;
  submits: number;
  /** Bind groups created (a step that reuses its bind groups creates none). */
  bindGroups: number;
  /** Bytes copied from the CPU into tensors (uploads), and uniform words written. */
  bytesUploaded: number;
  bytesUniform: number;
  /** Bytes read back to the CPU. */
  bytesRead: number;
  /** Pipelines compiled since the engine started (stops growing after the first steps). */
  pipelinesCompiled: number;
  /** Kernel sources generated since the engine started (once per parameter key, never per dispatch). */
  kernelsGenerated: number;
  bytesAllocated: number;
  allocations: number;
  bytesLive: number;
  bytesInUse: number;
  pipelines: number;
}

export class Engine {
  readonly device: GPUDevice;
  readonly report: GpuReport;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  readonly batch: CommandBatch;
  readonly hasF16: boolean;
  readonly hasSubgroups: boolean;
  readonly matmulKernel: 'register' | 'tiled';
  readonly poison: boolean;
  readonly matmulDotK: boolean;
  readonly matmulFitWorkgroups: boolean;
  /** Fixed subgroup size usable by the subgroup attention kernels, or 0. */
  readonly fixedSubgroupSize: number;
  readonly attentionKernel: 'rows' | 'subgroups' | 'tiled';
  readonly attentionFewRows: 'rows' | 'subgroups';
  readonly attentionTiledMinRows: number;
  readonly attentionBackward: 'fused' | 'split';
  /** The subgroup size the tiled forward broadcasts K/V tile elements over, or 0 (see EngineOptions). */
  readonly attentionBroadcastSize: number;
  /** Subgroup size of the emulated attention subgroup kernels (tests), or 0. */
  readonly emulatedSubgroupSize: number;
  /** The tape that records differentiable ops, or null (inference, optimizer updates). */
  tape: Tape | null = null;
  /** Sets that take ownership of every tensor created while they are on top (tapes, scopes). */
  readonly owners: Array<Set<Tensor>> = [];

  constructor(ctx: Pick<GpuContext, 'device' | 'report'>, opts: EngineOptions = {}) {
    this.device = ctx.device;
    this.report = ctx.report;
    this.pool = new BufferPool(this.device);
    this.pipelines = new PipelineCache(this.device);
    this.batch = new CommandBatch(this.device);
    this.hasF16 = (opts.useShaderF16 ?? true) && this.device.features.has('shader-f16');
    this.hasSubgroups = (opts.useSubgroups ?? true) && this.device.features.has('subgroups');
    this.matmulKernel = opts.matmulKernel ?? (ctx.report.kind === 'cpu' ? 'register' : 'tiled');
    this.poison = !!opts.poison;
    this.matmulDotK = opts.matmulDotK ?? this.report.name === 'swiftshader';
    this.matmulFitWorkgroups = opts.matmulFitWorkgroups ?? true;
    const sg = this.report.subgroupSizes;
    this.fixedSubgroupSize = this.hasSubgroups && sg && sg[0] === sg[1] && 64 % sg[0] === 0 ? sg[0] : 0;
    this.attentionTiledMinRows = opts.attentionTiledMinRows ?? 16;
    this.attentionBackward = opts.attentionBackward ?? 'fused';
    const broadcast = opts.attentionTiledBroadcast ?? this.report.name === 'llvmpipe';
    if (opts.attentionTiledBroadcast && !this.fixedSubgroupSize) throw new Error('attentionTiledBroadcast needs the subgroups feature and a fixed subgroup size dividing 64');
    this.attentionBroadcastSize = broadcast && this.fixedSubgroupSize > 1 ? this.fixedSubgroupSize : 0;
    this.emulatedSubgroupSize = opts.emulateAttentionSubgroups ?? 0;
    if (this.emulatedSubgroupSize && 64 % this.emulatedSubgroupSize !== 0) throw new Error('emulateAttentionSubgroups must divide 64');
    if (opts.attentionKernel === 'subgroups' && !this.fixedSubgroupSize && !this.emulatedSubgroupSize) throw new Error('attentionKernel "subgroups" needs the subgroups feature and a fixed subgroup size dividing 64');
    // lavapipe: the tiled kernels measured ~2x faster than the subgroup ones for forward + backward (SwiftShader: 2.6x slower).
    const tiledHere = ctx.report.kind === 'gpu' || ctx.report.name === 'llvmpipe';
    this.attentionKernel = opts.attentionKernel ?? (tiledHere ? 'tiled' : this.fixedSubgroupSize >= 8 ? 'subgroups' : 'rows');
    this.attentionFewRows = opts.attentionFewRows ?? (ctx.report.name === 'llvmpipe' ? 'rows' : 'subgroups');
  }

  /** An uninitialised tensor from the pool (every op writes all of its output). */
  empty(shape: readonly number[], dtype: DType = 'f32', label = ''): Tensor {
    const bytes = byteSize(dtype, shape.reduce((a, b) => a * b, 1));
    const t = new Tensor(this, shape, dtype, new Storage(this.pool.acquire(bytes, label), bytes, true), label);
    this.owners[this.owners.length - 1]?.add(t);
    if (this.poison) this.batch.upload(new Float32Array(Math.ceil(bytes / 4)).fill(Number.NaN), t.buffer);
    return t;
  }

  /**
   * Runs `fn` and releases every tensor it created except those it returns (a Tensor, an array or an object
   * of Tensors), which move to the enclosing scope or tape. Use it around inference code.
   */
  scope<R>(fn: () => R): R {
    const owned = new Set<Tensor>();
    this.owners.push(owned);
    let result: R;
    try {
      result = fn();
    } finally {
      this.owners.pop();
    }
    const kept = new Set<Tensor>();
    const visit = (x: unknown) => {
      if (x instanceof Tensor) kept.add(x);
      else if (Array.isArray(x)) x.forEach(visit);
      else if (x && typeof x === 'object') Object.values(x).forEach(visit);
    };
    visit(result);
    for (const t of owned) {
      if (kept.has(t)) this.owners[this.owners.length - 1]?.add(t);
      else t.release();
    }
    return result;
  }

  /** Removes `t` from the current owner, so no scope or tape releases it (e.g. a tensor kept across steps). */
  keep<T extends Tensor>(t: T): T {
    for (const o of this.owners) o.delete(t);
    return t;
  }

  zeros(shape: readonly number[], label = ''): Tensor {
    const t = this.empty(shape, 'f32', label);
    this.batch.clear(t.buffer, t.bytes);
    return t;
  }

  /** Uploads f32 data (or u32 data for dtype 'u32'; u32 tensors keep a CPU copy in `.host`). */
  tensor(data: Float32Array | Uint32Array | number[], shape: readonly number[], dtype: DType = data instanceof Uint32Array ? 'u32' : 'f32', label = ''): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`tensor ${label}: ${data.length} values for shape [${shape.join(', ')}] (${size} elements)`);
    if (dtype === 'f16x2') throw new Error('tensor(): use f16Weights() for packed f16 storage');
    const arr = dtype === 'u32' ? (data instanceof Uint32Array ? data : Uint32Array.from(data)) : data instanceof Float32Array ? data : Float32Array.from(data);
    const t = this.empty(shape, dtype, label);
    this.batch.upload(arr, t.buffer);
    if (dtype === 'u32') t.host = Uint32Array.from(arr as Uint32Array);
    return t;
  }

  /** A trainable parameter (a leaf whose gradient backward() accumulates into `.grad`). */
  param(data: Float32Array, shape: readonly number[], label = ''): Tensor {
    const t = this.keep(this.tensor(data, shape, 'f32', label));
    t.requiresGrad = true;
    t.needsGrad = true;
    return t;
  }

  /** Frozen weights stored as packed f16 (half the memory); values are rounded to f16 on the CPU. */
  f16Weights(data: Float32Array, shape: readonly number[], label = ''): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size) throw new Error(`f16Weights ${label}: ${data.length} values for shape [${shape.join(', ')}]`);
    const t = this.empty(shape, 'f16x2', label);
    this.batch.upload(packF16(data), t.buffer);
    return t;
  }

  /** Submits everything recorded (one command buffer). */
  flush(): void {
    this.batch.flush();
  }

  /** Flushes and waits until the GPU has finished. */
  async sync(): Promise<void> {
    await this.batch.done();
  }

  get stats(): EngineStats {
    const b = this.batch.stats;
    const p = this.pool.stats;
    return {
      dispatches: b.dispatches, submits: b.submits, bindGroups: b.bindGroups, bytesUploaded: b.bytesUploaded, bytesUniform: b.bytesUniform, bytesRead: b.bytesRead,
      pipelinesCompiled: this.pipelines.compiled, kernelsGenerated: this.pipelines.generated, bytesAllocated: p.bytesAllocated, allocations: p.allocations, bytesLive: p.bytesLive, bytesInUse: p.bytesInUse, pipelines: this.pipelines.size };
  }

  resetCounters(): void {
    this.batch.resetCounters();
    this.pool.resetCounters();
  }

  /**
   * Records a compute dispatch of a static shader `code` (binding 0: uniform words when given, then `bindings` in
   * order). A tensor binds its own range; a raw GPUBuffer binds whole.
   */
  run(code: string, uniform: ArrayBuffer | Uint8Array | null, bindings: Array<GPUBuffer | Tensor>, groups: [number, number?, number?], label = ''): void {
    this.batch.dispatch(this.pipelines.get(code, label), uniform, this.bindingsOf(bindings), groups, label);
  }

  /**
   * Records a dispatch of a generated kernel: `key` names its parameters and `generate(arg)` makes its WGSL, which
   * runs only the first time the key is seen (an unchanged step generates and hashes no WGSL). `generate` should be a
   * module-level function, so a dispatch allocates no closure.
   */
  runKernel<A>(key: string, generate: (arg: A) => string, arg: A, uniform: ArrayBuffer | Uint8Array | null, bindings: Array<GPUBuffer | Tensor>, groups: [number, number?, number?], label = ''): void {
    this.batch.dispatch(this.pipelines.getGenerated(key, generate, arg, label), uniform, this.bindingsOf(bindings), groups, label);
  }

  /** The bindings of a dispatch in a scratch array (the batch copies them): no array per dispatch. */
  private bindingsOf(bs: Array<GPUBuffer | Tensor>): Binding[] {
    const out = this.bindScratch;
    if (out.length !== bs.length) out.length = bs.length;
    for (let i = 0; i < bs.length; i++) {
      const b = bs[i];
      out[i] = b instanceof Tensor ? b.binding : b;
    }
    return out;
  }
  private readonly bindScratch: Binding[] = [];

  /** Copies `bytes` bytes between tensors (byte offsets within each tensor), in command order. */
  copy(src: Tensor, srcByte: number, dst: Tensor, dstByte: number, bytes: number): void {
    if (srcByte + bytes > src.bytes || dstByte + bytes > dst.bytes) throw new Error(`copy of ${bytes} bytes from ${src.label}@${srcByte} (${src.bytes} bytes) to ${dst.label}@${dstByte} (${dst.bytes} bytes) is out of range`);
    this.batch.copy(src.storageBuffer, src.offset + srcByte, dst.storageBuffer, dst.offset + dstByte, bytes);
  }

  /** Workgroup counts for `n` workgroups spread over x and y (each dimension is limited to 65535). */
  grid(n: number): [number, number] {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (n <= max) return [Math.max(n, 0), 1];
    const y = Math.ceil(n / max);
    return [Math.ceil(n / y), y];
  }
}

/** Uniform block builder: 32-bit words, u32 or f32, in struct order. */
export function words(...fields: Array<{ u: number } | { f: number }>): ArrayBuffer {
  const buf = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const dv = new DataView(buf);
  for (let i = 0; i < fields.length; i++) {
    const x = fields[i];
    if ('u' in x) {
      if (!Number.isInteger(x.u) || x.u < 0 || x.u > 0xffffffff) throw new Error(`uniform field ${i}: ${x.u} is not a u32`);
      dv.setUint32(i * 4, x.u, true);
    } else dv.setFloat32(i * 4, x.f, true);
  }
  return buf;
}

/** Packs values two halves per u32 (element i in half i & 1 of word i >> 1), the layout f16x2 tensors use. */
export function packF16(data: Float32Array): Uint32Array {
  const out = new Uint32Array(Math.ceil(data.length / 2));
  for (let i = 0; i < data.length; i++) out[i >> 1] |= f32ToF16Bits(data[i]) << ((i & 1) * 16);
  return out;
}

export { f32ToF16Bits, f16BitsToF32 };
