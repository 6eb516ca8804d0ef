// A lost GPU, in Chromium: the engine worker's test hook destroys the device while a training run has steps in
// flight (a driver reset or a GPU process crash looks the same to the page). The run must stop at its last
// checkpoint, the page must say what happened and what to do, and after "Try again" Resume must continue.
import { expect, test } from '@playwright/test';
import { applyYaml, openStudio, tinySftYaml } from './helpers/train-page.ts';

const CONFIG = tinySftYaml();

test('the GPU lost in the middle of a step: paused at the last checkpoint, explained, resumed on a new device', async ({ page }) => {
  test.setTimeout(600_000);
  await openStudio(page);
  await applyYaml(page, CONFIG);
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-log')).toContainText('checkpoint saved at step 2', { timeout: 300_000 });
  // Step 3 has been logged, so step 4 is recorded and submitted and its readback is pending: lose the device now.
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points')), { timeout: 300_000 }).toBeGreaterThanOrEqual(3);
  const engine = page.workers().find((w) => /engine\.worker/.test(w.url()))!;
  await engine.evaluate(() => (self as unknown as { __studioLoseDevice: () => Promise<void> }).__studioLoseDevice());

  // What happened and what to do, on the page and on the run.
  const alert = page.getByTestId('webgpu-error');
  await expect(alert).toContainText('The GPU device was lost');
  await expect(alert).toContainText('saved checkpoints are intact');
  await expect(page.getByTestId('gpu-status')).toContainText('device lost');
  const status = page.getByTestId('run-status').first();
  await expect(status).toHaveText('paused', { timeout: 60_000 });
  await expect(page.getByTestId('runs')).toContainText('The run is paused at its last checkpoint (step 2): once the GPU is back ("Try again"), Resume continues from there.');
  await expect(page.getByTestId('train-resume')).toBeDisabled();

  await alert.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await page.getByTestId('train-resume').click();
  await expect(page.getByTestId('train-log')).toContainText('resumed from checkpoint at step 2', { timeout: 120_000 });
  await expect(status).toHaveText('done', { timeout: 400_000 });
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBe(6);
});
