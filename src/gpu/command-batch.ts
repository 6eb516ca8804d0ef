// Records dispatches, copies, uploads and readbacks into one list and submits them in a single command encoder, so
// a whole training step (forward + backward + optimizer) is one queue submission. What a step costs on the CPU is
// kept small and constant:
// - uniforms of all dispatches go into one arena, written once per flush and bound with a dynamic offset;
// - bind groups are cached by (layout, buffers, offsets) in a trie of maps keyed by the buffers themselves: a step
//   that gets the same buffers back from the pool creates none, and finding them builds no key;
// - dispatch records are reused from flush to flush, so recording a step allocates almost nothing (GC was a sixth
//   of a 0.5B step's JavaScript time);
// - small uploads of a flush share one staging buffer, and readbacks of a flush share one mapped buffer.
import type { Kernel } from './pipeline-cache.ts';

/** A storage binding: a whole buffer, or a range of one (a tensor inside a shared arena). */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

interface DispatchCommand {
  kind: 'dispatch';
  kernel: Kernel;
  /** Bound at 1..n in this order (binding 0 is the uniform block when the kernel declares one). */
  bindings: Binding[];
  uniformOffset: number;
  x: number;
  y: number;
  z: number;
  /** What the profiler (gpuTimeByLabel) files its time under: the kernel's label unless the op named it. */
  label: string;
  /**
   * The bind group this record used in the last flush, and for what: a repeated step records the same dispatches in
   * the same order, so most records find their group by comparing a few references.
   */
  last: { group: GPUBindGroup; kernel: Kernel; arena: GPUBuffer | null; bindings: Binding[] } | null;
}

/** A node of the bind group trie: one level per binding (a buffer, then offset and size for a range). */
class BindNode {
  readonly next = new Map<unknown, BindNode>();
  group: GPUBindGroup | null = null;
  step(key: unknown): BindNode {
    let n = this.next.get(key);
    if (!n) this.next.set(key, (n = new BindNode()));
    return n;
  }
}
interface CopyCommand {
  kind: 'copy';
  /** null: this flush's shared upload staging buffer. */
  src: GPUBuffer | null;
  srcOffset: number;
  /** null: this flush's shared readback buffer. */
  dst: GPUBuffer | null;
  dstOffset: number;
  size: number;
}
interface ClearCommand {
  kind: 'clear';
  dst: GPUBuffer;
  offset: number;
  size: number;
}
type Command = DispatchCommand | CopyCommand | ClearCommand;

/** WebGPU requires uniform binding offsets aligned to minUniformBufferOffsetAlignment (256 everywhere). */
const UNIFORM_ALIGN = 256;
/** Every uniform block of the engine fits here (checked per dispatch). */
const UNIFORM_MAX = 256;
/** Uploads up to this size go through the flush's shared staging buffer; bigger ones (weights) get their own. */
const SHARED_UPLOAD_MAX = 1 << 20;
/** Readbacks up to this size share the flush's readback buffer. */
const SHARED_READ_MAX = 64 << 20;
/** Bind groups kept; past this the cache starts afresh (entries of freed buffers are never hit again). */
const BIND_GROUP_CACHE_MAX = 16384;
/** WebGPU's largest timestamp query set. */
const QUERY_SET_MAX = 4096;

export interface BatchStats {
  /** Compute dispatches recorded since resetCounters(). */
  dispatches: number;
  /** queue.submit calls since resetCounters(). */
  submits: number;
  /** Bytes uploaded from the CPU since resetCounters(). */
  bytesUploaded: number;
  /** Bytes read back to the CPU since resetCounters(). */
  bytesRead: number;
  /** Bind groups created since resetCounters(). */
  bindGroups: number;
  /** Bytes of uniform words written since resetCounters() (one queue.writeBuffer per flush). */
  bytesUniform: number;
  /** GPU buffers created for staging (uploads, readbacks) since resetCounters(). */
  stagingBuffers: number;
}

interface PendingRead {
  offset: number;
  bytes: number;
  resolve: (b: ArrayBuffer) => void;
  reject: (e: unknown) => void;
}

export class CommandBatch {
  private commands: Command[] = [];
  private uniformBytes = 0;
  private uniformStage: Uint8Array<ArrayBuffer> = new Uint8Array(64 * UNIFORM_ALIGN);
  private arena: GPUBuffer | null = null;
  private uploadStage: Uint8Array<ArrayBuffer> = new Uint8Array(4096);
  private uploadBytes = 0;
  private reads: PendingRead[] = [];
  private readBytes = 0;
  private readonly afterSubmit: Array<() => void> = [];
  private bindGroups = new BindNode();
  private bindGroupCount = 0;
  /** Dispatch records of earlier flushes, reused in order. */
  private readonly dispatchPool: DispatchCommand[] = [];
  private dispatchUsed = 0;
  private readonly entries: GPUBindGroupEntry[] = [];
  readonly stats: BatchStats = { dispatches: 0, submits: 0, bytesUploaded: 0, bytesRead: 0, bindGroups: 0, bytesUniform: 0, stagingBuffers: 0 };
  /** When set, dispatches are counted here by label (profiling which ops a step spends its dispatches on). */
  byLabel: Map<string, number> | null = null;
  /**
   * When set while `timing` is on, every dispatch runs in a compute pass of its own and its GPU nanoseconds are added
   * here by label: a kernel-by-kernel profile. Slower than plain timing (a pass and two timestamps per dispatch).
   */
  gpuTimeByLabel: Map<string, number> | null = null;

  constructor(private readonly device: GPUDevice) {}

  get pending(): number {
    return this.commands.length;
  }

  dispatch(kernel: Kernel, uniform: ArrayBuffer | Uint8Array | null, bindings: readonly Binding[], groups: readonly [number, number?, number?], label = kernel.label): void {
    const x = groups[0];
    const y = groups[1] ?? 1;
    const z = groups[2] ?? 1;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) throw new Error(`dispatch of ${x}x${y}x${z} workgroups exceeds the adapter limit ${max} per dimension`);
    if (bindings.length !== kernel.storageBindings) throw new Error(`kernel ${kernel.label}: ${bindings.length} buffers for ${kernel.storageBindings} storage bindings`);
    if (!!uniform !== kernel.hasUniform) throw new Error(`kernel ${kernel.label}: ${kernel.hasUniform ? 'needs a uniform block' : 'declares no uniform block'}`);
    if (x === 0 || y === 0 || z === 0) return; // nothing to do (an empty tensor)
    let uniformOffset = 0;
    if (uniform) {
      if (uniform.byteLength > UNIFORM_MAX) throw new Error(`kernel ${kernel.label}: a ${uniform.byteLength}-byte uniform block exceeds ${UNIFORM_MAX} bytes`);
      uniformOffset = this.uniformBytes;
      this.uniformBytes += UNIFORM_ALIGN;
      if (this.uniformBytes > this.uniformStage.length) this.uniformStage = grow(this.uniformStage, this.uniformBytes);
      this.uniformStage.set(uniform instanceof Uint8Array ? uniform : new Uint8Array(uniform), uniformOffset);
    }
    let c = this.dispatchPool[this.dispatchUsed];
    if (!c) this.dispatchPool.push((c = { kind: 'dispatch', kernel, bindings: [], uniformOffset, x, y, z, label, last: null }));
    this.dispatchUsed++;
    c.kernel = kernel;
    c.label = label;
    c.uniformOffset = uniformOffset;
    c.x = x;
    c.y = y;
    c.z = z;
    const cb = c.bindings;
    if (cb.length !== bindings.length) cb.length = bindings.length;
    for (let i = 0; i < bindings.length; i++) cb[i] = bindings[i];
    this.commands.push(c);
    this.stats.dispatches++;
    if (this.byLabel) this.byLabel.set(label, (this.byLabel.get(label) ?? 0) + 1);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, size: Math.ceil(size / 4) * 4 });
  }

  /** Zeroes `size` bytes of `dst` from `offset` (in order with the other commands). */
  clear(dst: GPUBuffer, size: number, offset = 0): void {
    this.commands.push({ kind: 'clear', dst, offset, size: Math.ceil(size / 4) * 4 });
  }

  /** Copies CPU data into `dst` in command order (staged, not queue.writeBuffer, so reused pool buffers stay correct). */
  upload(data: ArrayBufferView, dst: GPUBuffer, dstOffset = 0): void {
    const size = Math.ceil(data.byteLength / 4) * 4;
    if (size === 0) return;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.stats.bytesUploaded += size;
    if (size > SHARED_UPLOAD_MAX) {
      const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
      this.stats.stagingBuffers++;
      new Uint8Array(staging.getMappedRange()).set(bytes);
      staging.unmap();
      this.copy(staging, 0, dst, dstOffset, size);
      this.afterSubmit.push(() => staging.destroy());
      return;
    }
    const at = this.uploadBytes;
    this.uploadBytes += size;
    if (this.uploadBytes > this.uploadStage.length) this.uploadStage = grow(this.uploadStage, this.uploadBytes);
    this.uploadStage.set(bytes, at);
    if (size > data.byteLength) this.uploadStage.fill(0, at + data.byteLength, at + size);
    this.commands.push({ kind: 'copy', src: null, srcOffset: at, dst, dstOffset, size });
  }

  /** Schedules a copy of `bytes` bytes of `src` to the CPU; resolves after the flush that carries it completes. */
  readback(src: GPUBuffer, bytes: number, srcOffset = 0): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    this.stats.bytesRead += size;
    if (size > SHARED_READ_MAX) {
      const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      this.stats.stagingBuffers++;
      this.copy(src, srcOffset, staging, 0, size);
      return new Promise<ArrayBuffer>((resolve, reject) => {
        this.afterSubmit.push(() => mapRead(staging, [{ offset: 0, bytes, resolve, reject }]));
      });
    }
    const offset = this.readBytes;
    this.readBytes += size;
    this.commands.push({ kind: 'copy', src, srcOffset, dst: null, dstOffset: offset, size });
    return new Promise<ArrayBuffer>((resolve, reject) => this.reads.push({ offset, bytes, resolve, reject }));
  }

  /**
   * The bind group of a dispatch, cached in a trie keyed by its layout, the uniform arena and each binding's buffer (and
   * offset and size for a range): whole buffers are objects and ranges continue with numbers, so paths never collide.
   */
  private bindGroup(c: DispatchCommand): GPUBindGroup {
    const last = c.last;
    if (last && last.kernel === c.kernel && last.arena === this.arena && sameBindings(last.bindings, c.bindings)) return last.group;
    const group = this.findBindGroup(c);
    if (last) {
      last.group = group;
      last.kernel = c.kernel;
      last.arena = this.arena;
      last.bindings.length = 0;
      last.bindings.push(...c.bindings);
    } else c.last = { group, kernel: c.kernel, arena: this.arena, bindings: c.bindings.slice() };
    return group;
  }

  private findBindGroup(c: DispatchCommand): GPUBindGroup {
    const k = c.kernel;
    let node = this.bindGroups.step(k.layout);
    if (k.hasUniform) node = node.step(this.arena!);
    const bs = c.bindings;
    for (let i = 0; i < bs.length; i++) {
      const b = bs[i];
      if ('buffer' in b) node = node.step(b.buffer).step(b.offset).step(b.size);
      else node = node.step(b);
    }
    if (node.group) return node.group;
    const entries = this.entries;
    entries.length = 0;
    if (k.hasUniform) entries.push({ binding: 0, resource: { buffer: this.arena!, offset: 0, size: UNIFORM_MAX } });
    bs.forEach((b, i) => entries.push({ binding: i + 1, resource: 'buffer' in b ? { buffer: b.buffer, offset: b.offset, size: b.size } : { buffer: b } }));
    const bg = this.device.createBindGroup({ layout: k.layout, entries, label: k.label });
    if (this.bindGroupCount >= BIND_GROUP_CACHE_MAX) {
      // Entries of freed buffers are never hit again: start afresh (this dispatch's path is rebuilt below).
      this.bindGroups = new BindNode();
      this.bindGroupCount = 0;
      return this.findBindGroup(c);
    }
    node.group = bg;
    this.bindGroupCount++;
    this.stats.bindGroups++;
    return bg;
  }

  /** Encodes everything recorded so far into one command buffer and submits it. Returns at once; readbacks resolve later. */
  flush(): void {
    if (this.commands.length === 0 && this.afterSubmit.length === 0) return;
    const device = this.device;
    if (this.uniformBytes > 0) {
      if (!this.arena || this.arena.size < this.uniformBytes) {
        this.arena?.destroy();
        // Cached bind groups name the old arena and are never hit again.
        this.arena = device.createBuffer({ size: Math.max(64 * UNIFORM_ALIGN, this.uniformBytes * 2), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniform arena' });
      }
      device.queue.writeBuffer(this.arena, 0, this.uniformStage, 0, this.uniformBytes);
      this.stats.bytesUniform += this.uniformBytes;
    }
    let staging: GPUBuffer | null = null;
    if (this.uploadBytes > 0) {
      staging = device.createBuffer({ size: this.uploadBytes, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true, label: 'upload staging' });
      this.stats.stagingBuffers++;
      new Uint8Array(staging.getMappedRange()).set(this.uploadStage.subarray(0, this.uploadBytes));
      staging.unmap();
      const s = staging;
      this.afterSubmit.push(() => s.destroy());
    }
    let readBuf: GPUBuffer | null = null;
    if (this.readBytes > 0) {
      readBuf = device.createBuffer({ size: this.readBytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST, label: 'readback' });
      this.stats.stagingBuffers++;
      const r = readBuf;
      const reads = this.reads;
      this.afterSubmit.push(() => mapRead(r, reads));
    }
    const enc = device.createCommandEncoder();
    // A kernel-by-kernel profile gives every dispatch a pass of its own, so each pass's time is one label's.
    const perDispatch = this.timing && this.gpuTimeByLabel !== null;
    const timer = this.timing ? this.passTimer(enc, perDispatch) : null;
    let pass: GPUComputePassEncoder | null = null;
    let current: GPUComputePipeline | null = null;
    const dynamic = [0];
    for (const c of this.commands) {
      if (c.kind === 'dispatch') {
        if (!pass) {
          pass = enc.beginComputePass(timer?.next());
          current = null;
        }
        if (c.kernel.pipeline !== current) pass.setPipeline((current = c.kernel.pipeline));
        if (c.kernel.hasUniform) {
          dynamic[0] = c.uniformOffset;
          pass.setBindGroup(0, this.bindGroup(c), dynamic);
        } else pass.setBindGroup(0, this.bindGroup(c));
        pass.dispatchWorkgroups(c.x, c.y, c.z);
        if (perDispatch) {
          pass.end();
          pass = null;
        }
      } else {
        if (pass) {
          pass.end();
          pass = null;
        }
        if (c.kind === 'copy') enc.copyBufferToBuffer(c.src ?? staging!, c.srcOffset, c.dst ?? readBuf!, c.dstOffset, c.size);
        else enc.clearBuffer(c.dst, c.offset, c.size);
      }
    }
    pass?.end();
    timer?.resolve();
    device.queue.submit([enc.finish()]);
    this.stats.submits++;
    this.commands.length = 0;
    this.dispatchUsed = 0;
    this.uniformBytes = 0;
    this.uploadBytes = 0;
    this.reads = [];
    this.readBytes = 0;
    const after = this.afterSubmit.splice(0);
    for (const f of after) f();
  }

  /**
   * Measures GPU time with timestamp queries (devices with 'timestamp-query'): every compute pass of a flush writes
   * its start and end, and `gpuTime()` sums them. Off by default (the queries cost a readback per flush).
   */
  get timing(): boolean {
    return this.timingOn;
  }
  set timing(on: boolean) {
    this.timingOn = on && this.device.features.has('timestamp-query');
  }
  private timingOn = false;
  private gpuNs = 0;
  private readonly timingReads: Promise<void>[] = [];

  /** Nanoseconds the GPU spent in compute passes since resetCounters() (awaits the pending measurements). */
  async gpuTime(): Promise<number> {
    await Promise.all(this.timingReads.splice(0));
    return this.gpuNs;
  }

  /**
   * Hands out timestampWrites for each pass of one encoder and resolves them into a readback after the last. With
   * `perDispatch`, every dispatch is a pass and its time is filed under its label as well.
   */
  private passTimer(enc: GPUCommandEncoder, perDispatch: boolean): { next(): GPUComputePassDescriptor | undefined; resolve(): void } {
    const labels: string[] = [];
    let passes = 0;
    for (let i = 0, inPass = false; i < this.commands.length; i++) {
      const c = this.commands[i];
      const isDispatch = c.kind === 'dispatch';
      if (isDispatch && (perDispatch || !inPass)) passes++;
      if (isDispatch && perDispatch) labels.push(c.label);
      inPass = isDispatch;
    }
    const count = 2 * passes;
    if (count === 0) return { next: () => undefined, resolve: () => {} };
    // WebGPU caps a query set at 4096 queries: a long flush takes several.
    const sets: GPUQuerySet[] = [];
    for (let left = count; left > 0; left -= QUERY_SET_MAX) sets.push(this.device.createQuerySet({ type: 'timestamp', count: Math.min(left, QUERY_SET_MAX) }));
    let used = 0;
    return {
      next: () => {
        if (used + 2 > count) return undefined;
        const at = used % QUERY_SET_MAX;
        const d = { timestampWrites: { querySet: sets[Math.floor(used / QUERY_SET_MAX)], beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 } };
        used += 2;
        return d;
      },
      resolve: () => {
        const resolved = this.device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
        const read = this.device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        sets.forEach((q, k) => enc.resolveQuerySet(q, 0, q.count, resolved, k * QUERY_SET_MAX * 8));
        enc.copyBufferToBuffer(resolved, 0, read, 0, count * 8);
        const byLabel = perDispatch ? this.gpuTimeByLabel : null;
        this.afterSubmit.push(() => {
          this.timingReads.push(
            read.mapAsync(GPUMapMode.READ).then(() => {
              const t = new BigUint64Array(read.getMappedRange());
              for (let i = 0; i + 1 < used; i += 2) {
                // Dawn rounds timestamps (65,536 ns on the CPU adapters): a short pass reads 0 and is filed nowhere.
                if (t[i + 1] <= t[i]) continue;
                const ns = Number(t[i + 1] - t[i]);
                this.gpuNs += ns;
                if (byLabel) byLabel.set(labels[i / 2], (byLabel.get(labels[i / 2]) ?? 0) + ns);
              }
              read.unmap();
              for (const x of [read, resolved]) x.destroy();
              for (const q of sets) q.destroy();
            }),
          );
        });
      },
    };
  }

  /** Resolves when every submitted command has finished on the GPU. */
  async done(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  resetCounters(): void {
    for (const k of Object.keys(this.stats) as Array<keyof BatchStats>) this.stats[k] = 0;
    this.gpuNs = 0;
  }

  destroy(): void {
    this.arena?.destroy();
    this.arena = null;
    this.bindGroups = new BindNode();
  }
}

function sameBindings(a: Binding[], b: Binding[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function grow(a: Uint8Array<ArrayBuffer>, need: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Maps a readback buffer once and hands each pending read its bytes. */
function mapRead(buf: GPUBuffer, reads: PendingRead[]): void {
  buf.mapAsync(GPUMapMode.READ).then(
    () => {
      const range = buf.getMappedRange();
      for (const r of reads) r.resolve(range.slice(r.offset, r.offset + r.bytes));
      buf.unmap();
      buf.destroy();
    },
    (e) => {
      buf.destroy();
      for (const r of reads) r.reject(e);
    },
  );
}
