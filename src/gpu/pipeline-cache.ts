// Compiles each WGSL source once per device: pipelines are keyed by their shader text and entry point.

export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Pipelines compiled so far (shader compilation is slow on CPU adapters: this should stop growing after step 1). */
  compiled = 0;

  constructor(private readonly device: GPUDevice) {}

  get(code: string, entryPoint = 'main', label?: string): GPUComputePipeline {
    const key = `${entryPoint}\u0000${code}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ code, label });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint }, label });
      this.pipelines.set(key, p);
      this.compiled++;
    }
    return p;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
