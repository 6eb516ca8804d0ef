// The GPU runtime in Node: a Dawn device on each CPU adapter present, with a kernel checked against the CPU.
import { describe, expect, it } from 'vitest';
import { runSelfTest } from '../../../src/gpu/selftest.ts';
import { availableCpuAdapters, nodeGpuChoice, openNodeDevice } from '../../../src/gpu/node-gpu.ts';
import { WebGpuUnavailableError } from '../../../src/gpu/errors.ts';
import { openDevice } from '../../../src/gpu/device.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

describe.each(testAdapters())('Dawn device on %s', (choice) => {
  it('reports the adapter it was asked for, with features and real limits', async () => {
    const { report } = await gpuFor(choice);
    if (choice === 'lavapipe') expect(report.name).toBe('llvmpipe');
    if (choice === 'swiftshader') expect(report.name).toBe('swiftshader');
    if (choice === 'lavapipe' || choice === 'swiftshader') expect(report.kind).toBe('cpu');
    // The device asks for the adapter's maxima, which exceed WebGPU's 128 MiB default binding size.
    expect(report.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(report.limits.maxComputeInvocationsPerWorkgroup).toBeGreaterThanOrEqual(256);
    if (choice === 'lavapipe') expect(report.features).toContain('shader-f16');
    if (choice === 'swiftshader') expect(report.features).not.toContain('shader-f16');
  });

  it('runs a WGSL kernel that matches a float64 CPU computation on random input', async () => {
    const { device } = await gpuFor(choice);
    for (const [n, seed] of [[1, 3], [63, 4], [1037, 5]]) {
      const r = await runSelfTest(device, n, seed);
      expect(r.n).toBe(n);
      expect(r.maxRelError).toBeLessThan(1e-5);
      expect(r.ok).toBe(true);
    }
  });
});

describe('device selection', () => {
  it('rejects an unknown STUDIO_GPU value with the choices', () => {
    expect(() => nodeGpuChoice({ STUDIO_GPU: 'cuda' })).toThrow(/auto, gpu, lavapipe or swiftshader/);
  });

  it('explains what to do when there is no WebGPU at all', async () => {
    const err = await openDevice(undefined, { help: ['install a driver'] }).catch((e) => e);
    expect(err).toBeInstanceOf(WebGpuUnavailableError);
    expect(String(err.message)).toMatch(/install a driver/);
  });

  it('explains what to do when an adapter is missing', async () => {
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    const err = await openDevice(noAdapter, { help: ['try lavapipe'] }).catch((e) => e);
    expect(err).toBeInstanceOf(WebGpuUnavailableError);
    expect(String(err.message)).toMatch(/no GPU adapter/);
  });

  it('auto picks lavapipe over SwiftShader on a machine with both and no GPU', async () => {
    if (!availableCpuAdapters().includes('lavapipe')) return;
    const ctx = await openNodeDevice('auto');
    try {
      expect(['llvmpipe'].concat(ctx.report.kind === 'gpu' ? [ctx.report.name] : [])).toContain(ctx.report.name);
    } finally {
      ctx.device.destroy();
    }
  });

  it('reports device loss instead of swallowing it', async () => {
    const choice = testAdapters()[0];
    const lostSeen: string[] = [];
    const ctx = await openNodeDevice(choice, { onLost: (e) => lostSeen.push(e.message) });
    ctx.device.destroy();
    const err = await ctx.lost;
    expect(ctx.isLost()).toBe(true);
    expect(err.lostReason).toBe('destroyed');
    expect(err.message).toMatch(/Reload the page/);
    // Our own destroy() is not reported as a failure to the user.
    expect(lostSeen).toEqual([]);
  });
});
