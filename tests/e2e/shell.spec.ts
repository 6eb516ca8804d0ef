// The studio shell in a real Chromium: adapter shown, WGSL self-test verified in the worker, no off-machine requests.
import { expect, test } from '@playwright/test';

test('shows the adapter and a verified WGSL result, requesting nothing but localhost', async ({ page }) => {
  const hosts = new Set<string>();
  page.on('request', (req) => hosts.add(new URL(req.url()).hostname));
  const consoleErrors: string[] = [];
  page.on('pageerror', (e) => consoleErrors.push(e.message));

  await page.goto('/');
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await expect(page.getByTestId('gpu-features')).toContainText('subgroups');
  await expect(page.getByTestId('storage')).toContainText('used of');

  await page.getByTestId('run-selftest').click();
  const result = page.getByTestId('selftest-result');
  await expect(result).toContainText('Verified');
  const text = await result.textContent();
  const err = Number(/max relative error ([0-9.e+-]+)/.exec(text ?? '')?.[1]);
  expect(err).toBeLessThan(1e-5);

  // Every section is reachable from the navigation.
  for (const s of ['models', 'tools', 'datasets', 'train', 'reward', 'evaluate', 'chat']) {
    await page.getByTestId(`nav-${s}`).click();
    await expect(page).toHaveURL(new RegExp(`#/${s}$`));
  }

  expect(consoleErrors).toEqual([]);
  for (const h of hosts) expect(['127.0.0.1', 'localhost']).toContain(h);
});
