// Named GPU errors whose messages say what happened and what the user can do about it.

export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
  constructor(
    /** Why there is no WebGPU, in one sentence. */
    public readonly reason: string,
    /** What to do about it. */
    public readonly help: string[],
  ) {
    super(`WebGPU is not available: ${reason}\n${help.map((h) => `- ${h}`).join('\n')}`);
  }
}

export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
  constructor(public readonly lostReason: string, detail: string) {
    super(
      `The GPU device was lost (${lostReason}${detail ? `: ${detail}` : ''}). ` +
        'Work in progress on the GPU is gone; saved checkpoints are intact. ' +
        'Reload the page (or restart the command) to get a new device; if it keeps happening, ' +
        'use a smaller model, batch or sequence length.',
    );
  }
}

/** What to tell a browser user without navigator.gpu or without an adapter. */
export const BROWSER_HELP = [
  'Use a current Chrome or Edge (version 113 or later) or Firefox/Safari with WebGPU enabled.',
  'Open the page from http://localhost or https:// (WebGPU needs a secure context).',
  'Check chrome://gpu: "WebGPU: Hardware accelerated". On Linux, start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan.',
  'Without a GPU, Chromium can run WebGPU on the CPU: --enable-unsafe-webgpu --enable-unsafe-swiftshader --use-webgpu-adapter=swiftshader.',
  'Update the graphics driver; a blocklisted driver disables WebGPU.',
];

/** What to tell a Node user whose Dawn found no adapter. */
export const NODE_HELP = [
  'Install a Vulkan driver: a GPU vendor driver, or lavapipe (Debian 12: mesa-vulkan-drivers from bookworm-backports; run scripts/setup-system.sh as root).',
  'Or install Debian chromium, whose SwiftShader driver (/usr/lib/chromium/vk_swiftshader_icd.json) serves as a CPU adapter.',
  'Force a driver with STUDIO_GPU=gpu|lavapipe|swiftshader, or point VK_ICD_FILENAMES at an ICD json.',
];
