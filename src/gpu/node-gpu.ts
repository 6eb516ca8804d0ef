// Node only: a WebGPU device through Dawn (npm `webgpu`), choosing a real GPU, else lavapipe, else SwiftShader.
import { existsSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { openDevice, type GpuContext, type OpenDeviceOptions } from './device.ts';
import { NODE_HELP, WebGpuUnavailableError } from './errors.ts';

export type NodeGpuChoice = 'auto' | 'gpu' | 'lavapipe' | 'swiftshader';

/** Vulkan ICD files of the two CPU drivers these machines have (see ../shared/ENVIRONMENT.md). */
export const ICD_FILES = {
  lavapipe: '/usr/share/vulkan/icd.d/lvp_icd.json',
  swiftshader: '/usr/lib/chromium/vk_swiftshader_icd.json',
} as const;

// Dawn instances must outlive every device made from them, or the process crashes at a later submit.
const liveInstances: GPU[] = [];
let globalsInstalled = false;

/**
 * Opens a device on a fresh Dawn instance whose Vulkan loader sees only `icdFile` (or the system's drivers).
 * Dawn creates its Vulkan instance lazily, at requestAdapter, and the loader reads VK_ICD_FILENAMES then:
 * the variable stays set until the adapter is found, and opens are serialised so two cannot mix.
 */
let openChain: Promise<unknown> = Promise.resolve();
function openOnDriver(icdFile: string | undefined, opts: OpenDeviceOptions): Promise<GpuContext> {
  const run = async () => {
    if (!globalsInstalled) {
      Object.assign(globalThis, globals); // GPUBufferUsage, GPUMapMode, GPUShaderStage, ...
      globalsInstalled = true;
    }
    const saved = process.env.VK_ICD_FILENAMES;
    if (icdFile) process.env.VK_ICD_FILENAMES = icdFile;
    try {
      const gpu = create([]) as unknown as GPU;
      liveInstances.push(gpu);
      return await openDevice(gpu, opts);
    } finally {
      if (icdFile) {
        if (saved === undefined) delete process.env.VK_ICD_FILENAMES;
        else process.env.VK_ICD_FILENAMES = saved;
      }
    }
  };
  const result = openChain.then(run, run);
  openChain = result.catch(() => undefined);
  return result;
}

export function nodeGpuChoice(env: Record<string, string | undefined> = process.env): NodeGpuChoice {
  const v = (env.STUDIO_GPU ?? 'auto').toLowerCase();
  if (v === 'auto' || v === 'gpu' || v === 'lavapipe' || v === 'swiftshader') return v;
  throw new Error(`STUDIO_GPU=${v} is not a choice: use auto, gpu, lavapipe or swiftshader`);
}

/** Which adapters this machine can offer, for tests that run on each one present. */
export function availableCpuAdapters(): Array<'lavapipe' | 'swiftshader'> {
  return (['lavapipe', 'swiftshader'] as const).filter((k) => existsSync(ICD_FILES[k]));
}

export async function openNodeDevice(
  choice: NodeGpuChoice = nodeGpuChoice(),
  opts: Omit<OpenDeviceOptions, 'help'> = {},
): Promise<GpuContext> {
  const full = { ...opts, help: NODE_HELP };
  if (choice === 'lavapipe' || choice === 'swiftshader') {
    if (!existsSync(ICD_FILES[choice])) {
      throw new WebGpuUnavailableError(`STUDIO_GPU=${choice} but ${ICD_FILES[choice]} does not exist`, NODE_HELP);
    }
    return openOnDriver(ICD_FILES[choice], full);
  }
  // 'gpu' and 'auto': the system's own drivers first (a user's VK_ICD_FILENAMES is respected).
  const failures: string[] = [];
  try {
    const ctx = await openOnDriver(undefined, full);
    if (ctx.report.kind === 'gpu' || choice === 'gpu') return ctx;
    // The system default is a CPU driver; prefer lavapipe explicitly (faster than SwiftShader) if that is not it.
    if (ctx.report.name === 'llvmpipe' || !existsSync(ICD_FILES.lavapipe)) return ctx;
    ctx.device.destroy();
  } catch (e) {
    if (choice === 'gpu') throw e;
    failures.push((e as Error).message.split('\n')[0]);
  }
  for (const cpu of availableCpuAdapters()) {
    try {
      return await openOnDriver(ICD_FILES[cpu], full);
    } catch (e) {
      failures.push(`${cpu}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new WebGpuUnavailableError(`Dawn found no usable adapter (${failures.join('; ') || 'no Vulkan driver installed'})`, NODE_HELP);
}
