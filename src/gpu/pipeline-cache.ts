// Compiles each kernel once per device. A static shader is keyed by its source string (a module constant, whose hash
// the JS engine computes once); a generated kernel is keyed by a short string of its parameters, so its WGSL is
// generated only the first time that key is seen. Pipelines get an explicit layout read from the WGSL declarations
// (binding 0 = a uniform block with a dynamic offset into the command batch's uniform arena), so bind groups do not
// depend on the dispatch's uniform slot and can be reused.

/** A compiled kernel: its pipeline, bind group layout and what each binding is. */
export interface Kernel {
  readonly id: number;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  /** The WGSL declares `@binding(0) var<uniform>`. */
  readonly hasUniform: boolean;
  /** Storage bindings (1..n), in order. */
  readonly storageBindings: number;
  readonly label: string;
}

const DECL = /@group\(0\)\s*@binding\((\d+)\)\s*var<\s*(uniform|storage)\s*(?:,\s*(read|read_write)\s*)?>/g;

/** The bind group layout entries a WGSL module declares in group 0 (storage buffers default to read access). */
export function layoutEntries(code: string): GPUBindGroupLayoutEntry[] {
  const entries: GPUBindGroupLayoutEntry[] = [];
  for (const m of code.matchAll(DECL)) {
    const binding = Number(m[1]);
    const buffer: GPUBufferBindingLayout =
      m[2] === 'uniform' ? { type: 'uniform', hasDynamicOffset: true } : { type: m[3] === 'read_write' ? 'storage' : 'read-only-storage' };
    entries.push({ binding, visibility: GPUShaderStage.COMPUTE, buffer });
  }
  entries.sort((a, b) => a.binding - b.binding);
  entries.forEach((e, i) => {
    const expected = entries[0].binding === 0 ? i : i + 1;
    if (e.binding !== expected) throw new Error(`kernel: bindings must be 0 (uniform, optional), 1, 2, ... without gaps; found @binding(${e.binding})`);
    if (e.binding === 0 && e.buffer?.type !== 'uniform') throw new Error('kernel: @binding(0) must be the uniform block (or absent)');
  });
  return entries;
}

export class PipelineCache {
  private readonly bySource = new Map<string, Kernel>();
  private readonly byKey = new Map<string, Kernel>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  /** Pipelines compiled so far (shader compilation is slow on CPU adapters: this should stop growing after step 1). */
  compiled = 0;
  /** WGSL sources generated so far (one per key). */
  generated = 0;

  constructor(private readonly device: GPUDevice) {}

  /** The pipeline of a static shader source. */
  get(code: string, label = ''): Kernel {
    let k = this.bySource.get(code);
    if (!k) this.bySource.set(code, (k = this.compile(code, label)));
    return k;
  }

  /** The pipeline of a generated kernel: `generate(arg)` runs only the first time `key` is seen. */
  getGenerated<A>(key: string, generate: (arg: A) => string, arg: A, label = ''): Kernel {
    let k = this.byKey.get(key);
    if (!k) {
      const code = generate(arg);
      this.generated++;
      this.byKey.set(key, (k = this.compile(code, label)));
    }
    return k;
  }

  private compile(code: string, label: string): Kernel {
    const entries = layoutEntries(code);
    const sig = JSON.stringify(entries.map((e) => e.buffer!.type));
    let layout = this.layouts.get(sig);
    if (!layout) this.layouts.set(sig, (layout = this.device.createBindGroupLayout({ entries, label: `layout ${sig}` })));
    const module = this.device.createShaderModule({ code, label });
    const pipeline = this.device.createComputePipeline({ layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main' }, label });
    this.compiled++;
    const hasUniform = entries[0]?.binding === 0;
    return { id: this.compiled, pipeline, layout, hasUniform, storageBindings: entries.length - (hasUniform ? 1 : 0), label };
  }

  get size(): number {
    return this.bySource.size + this.byKey.size;
  }
}
