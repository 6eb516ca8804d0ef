// Kernels keyed by parameters: explicit layouts read from the WGSL, one generation per key, bind groups reused.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/engine.ts';
import { layoutEntries } from '../../../src/gpu/pipeline-cache.ts';
import { openNullDevice } from '../../../src/gpu/null-device.ts';

describe('pipeline cache', () => {
  it('reads binding kinds from the WGSL declarations (uniform with a dynamic offset, read-only and read-write storage)', () => {
    openNullDevice(); // installs GPUShaderStage where Dawn is not loaded
    const code = `struct P { n: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> x: array<f32>;`;
    expect(layoutEntries(code).map((e) => [e.binding, e.buffer?.type, e.buffer?.hasDynamicOffset ?? false])).toEqual([
      [0, 'uniform', true], [1, 'read-only-storage', false], [2, 'storage', false],
    ]);
    expect(() => layoutEntries('@group(0) @binding(1) var<storage, read> a: array<f32>;\n@group(0) @binding(3) var<storage, read> b: array<f32>;')).toThrow(/without gaps/);
  });

  it('generates a kernel once per key and reuses bind groups for the same buffers', () => {
    const ctx = openNullDevice();
    const e = new Engine(ctx);
    const x = e.zeros([8]);
    const y = e.zeros([8]);
    let generated = 0;
    const gen = () => {
      generated++;
      return '@group(0) @binding(0) var<uniform> n: vec4<u32>;\n@group(0) @binding(1) var<storage, read> x: array<f32>;\n@group(0) @binding(2) var<storage, read_write> y: array<f32>;\n@compute @workgroup_size(64) fn main() {}';
    };
    for (let i = 0; i < 3; i++) e.runKernel('test:copy', gen, null, new Uint32Array([8, 0, 0, 0]).buffer, [x, y], [1], 'copy');
    e.runKernel('test:copy', gen, null, new Uint32Array([8, 0, 0, 0]).buffer, [y, x], [1], 'copy');
    e.flush();
    expect(generated).toBe(1);
    expect(e.stats.kernelsGenerated).toBe(1);
    expect(e.stats.bindGroups).toBe(2); // (x, y) once for three dispatches with different uniform slots, then (y, x)
    expect(ctx.nullDevice.counts.bindGroups).toBe(2);
    expect(ctx.nullDevice.counts.dispatches).toBe(4);
  });
});
