// Records dispatches, copies and uploads into one list and submits them in a single command encoder.
// Uniforms of all dispatches go into one arena buffer, written once per flush, so a whole training
// step (forward + backward + optimizer) is one queue submission. Readbacks are asynchronous copies.

interface DispatchCommand {
  kind: 'dispatch';
  pipeline: GPUComputePipeline;
  /** Bound at 1..n in this order (binding 0 is the uniform block when `uniform` is given). */
  buffers: GPUBuffer[];
  uniform: ArrayBuffer | null;
  uniformOffset: number;
  groups: [number, number, number];
}
interface CopyCommand {
  kind: 'copy';
  src: GPUBuffer;
  srcOffset: number;
  dst: GPUBuffer;
  dstOffset: number;
  size: number;
}
interface ClearCommand {
  kind: 'clear';
  dst: GPUBuffer;
  size: number;
}
type Command = DispatchCommand | CopyCommand | ClearCommand;

/** WebGPU requires uniform binding offsets aligned to minUniformBufferOffsetAlignment (256 everywhere). */
const UNIFORM_ALIGN = 256;

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
}

export class CommandBatch {
  private commands: Command[] = [];
  private uniformBytes = 0;
  private arena: GPUBuffer | null = null;
  private readonly afterSubmit: Array<() => void> = [];
  private readonly bindLayouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();
  readonly stats: BatchStats = { dispatches: 0, submits: 0, bytesUploaded: 0, bytesRead: 0, bindGroups: 0, bytesUniform: 0 };

  constructor(private readonly device: GPUDevice) {}

  get pending(): number {
    return this.commands.length;
  }

  /** When set, dispatches are counted here by label (profiling which ops a step spends its dispatches on). */
  byLabel: Map<string, number> | null = null;

  dispatch(pipeline: GPUComputePipeline, uniform: ArrayBuffer | null, buffers: GPUBuffer[], groups: [number, number?, number?], label = ''): void {
    const [x, y = 1, z = 1] = groups;
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) throw new Error(`dispatch of ${x}x${y}x${z} workgroups exceeds the adapter limit ${max} per dimension`);
    if (x === 0 || y === 0 || z === 0) return; // nothing to do (an empty tensor)
    let uniformOffset = 0;
    if (uniform) {
      uniformOffset = this.uniformBytes;
      this.uniformBytes += Math.ceil(Math.max(16, uniform.byteLength) / UNIFORM_ALIGN) * UNIFORM_ALIGN;
    }
    this.commands.push({ kind: 'dispatch', pipeline, buffers, uniform, uniformOffset, groups: [x, y, z] });
    this.stats.dispatches++;
    if (this.byLabel) this.byLabel.set(label, (this.byLabel.get(label) ?? 0) + 1);
  }

  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.commands.push({ kind: 'copy', src, srcOffset, dst, dstOffset, size: Math.ceil(size / 4) * 4 });
  }

  /** Zeroes the first `size` bytes of `dst` (in order with the other commands). */
  clear(dst: GPUBuffer, size: number): void {
    this.commands.push({ kind: 'clear', dst, size: Math.ceil(size / 4) * 4 });
  }

  /** Copies CPU data into `dst` in command order (a staging buffer, not queue.writeBuffer, so reused pool buffers stay correct). */
  upload(data: ArrayBufferView, dst: GPUBuffer, dstOffset = 0): void {
    const size = Math.ceil(data.byteLength / 4) * 4;
    if (size === 0) return;
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.COPY_SRC, mappedAtCreation: true });
    new Uint8Array(staging.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    staging.unmap();
    this.copy(staging, 0, dst, dstOffset, size);
    this.afterSubmit.push(() => staging.destroy());
    this.stats.bytesUploaded += size;
  }

  /** Schedules a copy of `bytes` bytes of `src` to the CPU; resolves after the flush that carries it completes. */
  readback(src: GPUBuffer, bytes: number, srcOffset = 0): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const staging = this.device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.copy(src, srcOffset, staging, 0, size);
    this.stats.bytesRead += size;
    return new Promise<ArrayBuffer>((resolve, reject) => {
      this.afterSubmit.push(() => {
        staging.mapAsync(GPUMapMode.READ).then(
          () => {
            const out = staging.getMappedRange().slice(0, bytes);
            staging.unmap();
            staging.destroy();
            resolve(out);
          },
          (e) => {
            staging.destroy();
            reject(e);
          },
        );
      });
    });
  }

  /** Encodes everything recorded so far into one command buffer and submits it. Returns at once; readbacks resolve later. */
  flush(): void {
    if (this.commands.length === 0 && this.afterSubmit.length === 0) return;
    const device = this.device;
    if (this.uniformBytes > 0) {
      if (!this.arena || this.arena.size < this.uniformBytes) {
        this.arena?.destroy();
        this.arena = device.createBuffer({ size: Math.max(4096, this.uniformBytes * 2), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'uniform arena' });
      }
      const words = new Uint8Array(this.uniformBytes);
      for (const c of this.commands) {
        if (c.kind === 'dispatch' && c.uniform) words.set(new Uint8Array(c.uniform), c.uniformOffset);
      }
      device.queue.writeBuffer(this.arena, 0, words);
      this.stats.bytesUniform += words.byteLength;
    }
    const enc = device.createCommandEncoder();
    const timer = this.timing ? this.passTimer(enc) : null;
    let pass: GPUComputePassEncoder | null = null;
    for (const c of this.commands) {
      if (c.kind === 'dispatch') {
        pass ??= enc.beginComputePass(timer?.next());
        let layout = this.bindLayouts.get(c.pipeline);
        if (!layout) this.bindLayouts.set(c.pipeline, (layout = c.pipeline.getBindGroupLayout(0)));
        const entries: GPUBindGroupEntry[] = [];
        if (c.uniform) entries.push({ binding: 0, resource: { buffer: this.arena!, offset: c.uniformOffset, size: Math.max(16, Math.ceil(c.uniform.byteLength / 16) * 16) } });
        c.buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
        pass.setPipeline(c.pipeline);
        pass.setBindGroup(0, device.createBindGroup({ layout, entries }));
        this.stats.bindGroups++;
        pass.dispatchWorkgroups(c.groups[0], c.groups[1], c.groups[2]);
      } else {
        if (pass) {
          pass.end();
          pass = null;
        }
        if (c.kind === 'copy') enc.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.size);
        else enc.clearBuffer(c.dst, 0, c.size);
      }
    }
    pass?.end();
    timer?.resolve();
    device.queue.submit([enc.finish()]);
    this.stats.submits++;
    this.commands = [];
    this.uniformBytes = 0;
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

  /** Hands out timestampWrites for each pass of one encoder and resolves them into a readback after the last. */
  private passTimer(enc: GPUCommandEncoder): { next(): GPUComputePassDescriptor | undefined; resolve(): void } {
    let passes = 0;
    for (let i = 0, inPass = false; i < this.commands.length; i++) {
      const isDispatch = this.commands[i].kind === 'dispatch';
      if (isDispatch && !inPass) passes++;
      inPass = isDispatch;
    }
    const count = Math.min(2 * passes, 4096); // WebGPU's largest query set; later passes go untimed
    if (count === 0) return { next: () => undefined, resolve: () => {} };
    const querySet = this.device.createQuerySet({ type: 'timestamp', count });
    let used = 0;
    return {
      next: () => {
        if (used + 2 > count) return undefined;
        const d = { timestampWrites: { querySet, beginningOfPassWriteIndex: used, endOfPassWriteIndex: used + 1 } };
        used += 2;
        return d;
      },
      resolve: () => {
        const resolved = this.device.createBuffer({ size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
        const read = this.device.createBuffer({ size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        enc.resolveQuerySet(querySet, 0, count, resolved, 0);
        enc.copyBufferToBuffer(resolved, 0, read, 0, count * 8);
        this.afterSubmit.push(() => {
          this.timingReads.push(
            read.mapAsync(GPUMapMode.READ).then(() => {
              const t = new BigUint64Array(read.getMappedRange());
              for (let i = 0; i + 1 < used; i += 2) if (t[i + 1] > t[i]) this.gpuNs += Number(t[i + 1] - t[i]);
              read.unmap();
              for (const x of [read, resolved]) x.destroy();
              querySet.destroy();
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
    this.stats.dispatches = 0;
    this.stats.submits = 0;
    this.stats.bytesUploaded = 0;
    this.stats.bytesRead = 0;
    this.stats.bindGroups = 0;
    this.stats.bytesUniform = 0;
    this.gpuNs = 0;
  }

  destroy(): void {
    this.arena?.destroy();
    this.arena = null;
  }
}
