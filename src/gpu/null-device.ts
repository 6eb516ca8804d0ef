// A WebGPU device that runs nothing and only counts what it is asked to do: it measures the CPU side of a step
// (dispatches, bind groups, bytes written and read back, JavaScript time) for shapes no CPU adapter can hold.
// Buffers have no memory behind them (mapped ranges are scratch, readbacks return zeros), so numerical results
// are meaningless; everything the engine records still goes through the same code as on a real device.
import type { GpuContext } from './device.ts';
import type { GpuReport } from './gpu-report.ts';

/** What the device was asked to do since the last reset. */
export interface NullDeviceCounts {
  dispatches: number;
  bindGroups: number;
  pipelines: number;
  shaderModules: number;
  buffers: number;
  /** Bytes that reached the device from the CPU: mapped-at-creation staging buffers and queue.writeBuffer. */
  bytesWritten: number;
  /** Bytes mapped for reading (readbacks). */
  bytesRead: number;
  copies: number;
  submits: number;
}

/** Limits and features of a typical desktop GPU (what Dawn reports for an NVIDIA card), so kernel choices match one. */
export const NULL_DEVICE_LIMITS: Record<string, number> = {
  maxBufferSize: 2 ** 32 - 4,
  maxStorageBufferBindingSize: 2 ** 32 - 4,
  maxStorageBuffersPerShaderStage: 10,
  maxComputeWorkgroupStorageSize: 32768,
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupSizeY: 1024,
  maxComputeWorkgroupSizeZ: 64,
  maxComputeWorkgroupsPerDimension: 65535,
  minUniformBufferOffsetAlignment: 256,
  minStorageBufferOffsetAlignment: 256,
  maxBindGroups: 4,
  maxDynamicUniformBuffersPerPipelineLayout: 8,
  maxUniformBufferBindingSize: 65536,
};

const NULL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'];

function zeroCounts(): NullDeviceCounts {
  return { dispatches: 0, bindGroups: 0, pipelines: 0, shaderModules: 0, buffers: 0, bytesWritten: 0, bytesRead: 0, copies: 0, submits: 0 };
}

/**
 * Mapped ranges share two scratch buffers per process (one written by uploads, one that stays zero for readbacks), so
 * counting a step allocates no host memory the size of its transfers (a 0.5B model's weights are 1.2 GB).
 */
const scratch = { write: new ArrayBuffer(0), read: new ArrayBuffer(0) };
function scratchOf(kind: 'write' | 'read', size: number): ArrayBuffer {
  if (scratch[kind].byteLength < size) scratch[kind] = new ArrayBuffer(size);
  return scratch[kind];
}

class NullBuffer {
  constructor(
    private readonly counts: NullDeviceCounts,
    readonly size: number,
    readonly usage: number,
    mappedAtCreation: boolean,
    readonly label = '',
  ) {
    if (mappedAtCreation) this.counts.bytesWritten += size;
    this.mapState = mappedAtCreation ? 'mapped' : 'unmapped';
  }
  mapState: GPUBufferMapState;
  /** At least `size` bytes (the engine reads or writes only the range it mapped). */
  getMappedRange(offset = 0, size = this.size - offset): ArrayBuffer {
    return scratchOf(this.usage & GPUBufferUsage.MAP_READ ? 'read' : 'write', offset + size);
  }
  async mapAsync(mode: number): Promise<void> {
    if (mode & GPUMapMode.READ) this.counts.bytesRead += this.size;
    this.mapState = 'mapped';
  }
  unmap(): void {
    this.mapState = 'unmapped';
  }
  destroy(): void {}
}

class NullPass {
  constructor(private readonly counts: NullDeviceCounts) {}
  setPipeline(): void {}
  setBindGroup(): void {}
  dispatchWorkgroups(): void {
    this.counts.dispatches++;
  }
  end(): void {}
}

class NullEncoder {
  constructor(private readonly counts: NullDeviceCounts) {}
  beginComputePass(): NullPass {
    return new NullPass(this.counts);
  }
  copyBufferToBuffer(): void {
    this.counts.copies++;
  }
  clearBuffer(): void {}
  resolveQuerySet(): void {}
  writeTimestamp(): void {}
  finish(): object {
    return {};
  }
}

class NullPipeline {
  constructor(readonly label = '') {}
  getBindGroupLayout(): object {
    return {};
  }
}

/** The device itself; cast to GPUDevice where the engine wants one. */
export class NullDevice {
  readonly counts: NullDeviceCounts = zeroCounts();
  readonly limits: Record<string, number> = { ...NULL_DEVICE_LIMITS };
  readonly features = new Set<string>(NULL_FEATURES);
  readonly lost: Promise<GPUDeviceLostInfo> = new Promise(() => {});
  readonly queue = {
    submit: (cmds: unknown[]) => {
      this.counts.submits += cmds.length > 0 ? 1 : 0;
    },
    writeBuffer: (_b: unknown, _o: number, data: ArrayBufferView | ArrayBuffer, dataOffset = 0, size?: number) => {
      const bytes = data.byteLength;
      this.counts.bytesWritten += size ?? bytes - dataOffset;
    },
    onSubmittedWorkDone: async () => {},
  };
  createBuffer(d: GPUBufferDescriptor): NullBuffer {
    this.counts.buffers++;
    return new NullBuffer(this.counts, d.size, d.usage, !!d.mappedAtCreation, d.label);
  }
  createShaderModule(): object {
    this.counts.shaderModules++;
    return {};
  }
  createComputePipeline(d: GPUComputePipelineDescriptor): NullPipeline {
    this.counts.pipelines++;
    return new NullPipeline(d.label);
  }
  createBindGroupLayout(): object {
    return {};
  }
  createPipelineLayout(): object {
    return {};
  }
  createBindGroup(): object {
    this.counts.bindGroups++;
    return {};
  }
  createCommandEncoder(): NullEncoder {
    return new NullEncoder(this.counts);
  }
  createQuerySet(d: GPUQuerySetDescriptor): object {
    return { count: d.count, destroy() {} };
  }
  addEventListener(): void {}
  destroy(): void {}
  resetCounts(): void {
    Object.assign(this.counts, zeroCounts());
  }
}

/**
 * A context around a null device that presents itself as a GPU adapter (kind 'gpu', fixed subgroups of 32, as on
 * NVIDIA), so the engine picks the kernels a real GPU gets.
 */
export function openNullDevice(): GpuContext & { nullDevice: NullDevice } {
  if (typeof globalThis.GPUBufferUsage === 'undefined') {
    // The usage and mode flags the engine reads (WebGPU's values); Node without Dawn has no such globals.
    Object.assign(globalThis, {
      GPUBufferUsage: { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, INDEX: 16, VERTEX: 32, UNIFORM: 64, STORAGE: 128, INDIRECT: 256, QUERY_RESOLVE: 512 },
      GPUMapMode: { READ: 1, WRITE: 2 },
      GPUShaderStage: { VERTEX: 1, FRAGMENT: 2, COMPUTE: 4 },
    });
  }
  const dev = new NullDevice();
  const report: GpuReport = {
    name: 'null device',
    vendor: 'none',
    architecture: 'counts calls only',
    description: 'null WebGPU device (records nothing, runs nothing)',
    kind: 'gpu',
    features: [...NULL_FEATURES],
    limits: { ...NULL_DEVICE_LIMITS },
    subgroupSizes: [32, 32],
  };
  return { device: dev as unknown as GPUDevice, report, lost: new Promise(() => {}), isLost: () => false, nullDevice: dev };
}
