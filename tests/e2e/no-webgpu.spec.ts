// Chromium launched with WebGPU disabled: the studio explains what is missing and how to fix it.
import { expect, test } from '@playwright/test';

test('explains that WebGPU is unavailable instead of showing a blank page', async ({ page }) => {
  await page.goto('/');
  const box = page.getByTestId('webgpu-error');
  await expect(box).toBeVisible();
  await expect(box).toContainText('WebGPU is not available');
  await expect(box).toContainText('--enable-unsafe-webgpu');
  await expect(page.getByTestId('gpu-status')).toContainText('unavailable');
  // The rest of the studio still works without a GPU.
  await page.getByTestId('nav-datasets').click();
  await expect(page.getByTestId('nav-datasets')).toHaveClass(/active/);
  await expect(page.locator('main')).not.toBeEmpty();
});
