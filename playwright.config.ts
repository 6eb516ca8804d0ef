// End-to-end tests in a real Chromium with WebGPU, against the built studio served by `vite preview`.
import { defineConfig } from '@playwright/test';
import { CHROMIUM_NO_WEBGPU, CHROMIUM_WEBGPU } from './scripts/chromium-webgpu.ts';

// STUDIO_E2E_PORT lets two checkouts run their end-to-end tests side by side (each serves its own build).
export const PORT = Number(process.env.STUDIO_E2E_PORT ?? 4173);

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  // SwiftShader WebGPU is CPU-bound: one browser at a time on a 2-core machine.
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    headless: true,
  },
  projects: [
    {
      name: 'chromium-webgpu',
      testIgnore: /no-webgpu\.spec\.ts/,
      use: { launchOptions: CHROMIUM_WEBGPU },
    },
    {
      // The same browser with WebGPU switched off: the studio must explain, not go blank.
      name: 'chromium-no-webgpu',
      testMatch: /no-webgpu\.spec\.ts/,
      use: { launchOptions: CHROMIUM_NO_WEBGPU },
    },
  ],
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
