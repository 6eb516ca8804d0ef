// E2E helpers for the Train page: open the studio on SwiftShader WebGPU, apply a YAML config for a method, and train
// a run to the end, as the specs that need a run trained in the browser do it.
import { expect, type Page } from '@playwright/test';

/** Opens `path` and waits for the engine worker's adapter (SwiftShader in these tests). */
export async function openStudio(page: Page, path = '/#/train'): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
}

/** On the Train page: picks `method` (when given), pastes `yaml` into the YAML editor, applies it, and sees no errors. */
export async function applyYaml(page: Page, yaml: string, method?: string): Promise<void> {
  if (method) await page.getByTestId(`method-${method}`).check();
  await page.locator('details.yaml').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await page.getByTestId('config-yaml').fill(yaml);
  await page.getByTestId('apply-yaml').click();
  await expect(page.getByTestId('config-errors')).toHaveCount(0);
}

/** On the Train page: applies `yaml`, starts the run and waits until the newest run is done. */
export async function trainRun(page: Page, yaml: string, opts: { method?: string; timeout: number }): Promise<void> {
  await applyYaml(page, yaml, opts.method);
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('run-status').first()).toHaveText('done', { timeout: opts.timeout });
}
