// Test helper: one Dawn device per CPU adapter present on this machine (lavapipe, SwiftShader), or a real GPU.
import { afterAll } from 'vitest';
import type { GpuContext } from '../../src/gpu/device.ts';
import { availableCpuAdapters, openNodeDevice, type NodeGpuChoice } from '../../src/gpu/node-gpu.ts';

const opened = new Map<NodeGpuChoice, Promise<GpuContext>>();

/** The adapters a test should run on: each CPU driver present, or STUDIO_GPU when set (e.g. "gpu" on a laptop). */
export function testAdapters(): NodeGpuChoice[] {
  const forced = process.env.STUDIO_GPU;
  if (forced && forced !== 'auto') return [forced as NodeGpuChoice];
  const cpus = availableCpuAdapters();
  return cpus.length > 0 ? cpus : ['auto'];
}

/** A device for `choice`, opened once per test file and destroyed after it. Fails loudly if none. */
export function gpuFor(choice: NodeGpuChoice): Promise<GpuContext> {
  let ctx = opened.get(choice);
  if (!ctx) {
    ctx = openNodeDevice(choice, {
      onUncapturedError: (m) => {
        throw new Error(`WebGPU validation error on ${choice}: ${m}`);
      },
    });
    opened.set(choice, ctx);
  }
  return ctx;
}

afterAll(async () => {
  for (const ctx of opened.values()) (await ctx.catch(() => null))?.device.destroy();
  opened.clear();
});
