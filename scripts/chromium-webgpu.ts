// How the end-to-end tests and the browser benchmarks start Chromium with WebGPU: Debian's chromium (CI and these
// GPU-less machines) runs WebGPU on SwiftShader, a CPU Vulkan driver; a developer's laptop without
// /usr/bin/chromium uses its installed Chrome and real GPU (STUDIO_E2E_GPU=hardware keeps Debian's on the GPU).
import { existsSync } from 'node:fs';

const debianChromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const useDebian = existsSync(debianChromium);
const common = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
const webgpu = useDebian && process.env.STUDIO_E2E_GPU !== 'hardware'
  ? ['--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--enable-features=Vulkan']
  : ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];
const browser = useDebian ? { executablePath: debianChromium } : { channel: 'chrome' };

/** Launch options with WebGPU on. */
export const CHROMIUM_WEBGPU = { ...browser, args: [...common, ...webgpu] };
/** The same browser with WebGPU switched off (the studio must explain, not go blank). */
export const CHROMIUM_NO_WEBGPU = { ...browser, args: [...common, '--disable-features=WebGPU,Vulkan', '--disable-gpu'] };
