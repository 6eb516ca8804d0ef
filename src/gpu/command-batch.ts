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
}

export class CommandBatch {
  private commands: Command[] = [];
  private uniformBytes = 0;
  private arena: GPUBuffer | null = null;
  private readonly afterSubmit: Array<() => void> = [];
  private readonly bindLayouts = new WeakMap<GPUComputePipeline, GPUBindGroupLayout>();
  readonly stats: BatchStats = { dispatches: 0, submits: 0, bytesUploaded: 0, bytesRead: 0 };

  constructor(private readonly device: GPUDevice) {}

  get pending(): number {
    return this.commands.length;
  }

  dispatch(pipeline: GPUComputePipeline, uniform: ArrayBuffer | null, buffers: GPUBuffer[], groups: [number, number?, number?]): void {
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
    }
    const enc = device.createCommandEncoder();
    let pass: GPUComputePassEncoder | null = null;
    for (const c of this.commands) {
      if (c.kind === 'dispatch') {
        pass ??= enc.beginComputePass();
        let layout = this.bindLayouts.get(c.pipeline);
        if (!layout) this.bindLayouts.set(c.pipeline, (layout = c.pipeline.getBindGroupLayout(0)));
        const entries: GPUBindGroupEntry[] = [];
        if (c.uniform) entries.push({ binding: 0, resource: { buffer: this.arena!, offset: c.uniformOffset, size: Math.max(16, Math.ceil(c.uniform.byteLength / 16) * 16) } });
        c.buffers.forEach((buffer, i) => entries.push({ binding: i + 1, resource: { buffer } }));
        pass.setPipeline(c.pipeline);
        pass.setBindGroup(0, device.createBindGroup({ layout, entries }));
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
    device.queue.submit([enc.finish()]);
    this.stats.submits++;
    this.commands = [];
    this.uniformBytes = 0;
    const after = this.afterSubmit.splice(0);
    for (const f of after) f();
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
  }

  destroy(): void {
    this.arena?.destroy();
    this.arena = null;
  }
}
