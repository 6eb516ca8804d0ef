// E2E helpers for the Train page: open (or reload) the studio on SwiftShader WebGPU, the tiny model's short SFT
// config, apply a YAML config for a method, and train a run to the end, as the specs that need a run trained in the
// browser do it.
import { expect, type Page } from '@playwright/test';

/** Opens `path` and waits for the engine worker's adapter (SwiftShader in these tests). */
export async function openStudio(page: Page, path = '/#/train'): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
}

/** Reloads the page (as a crashed tab would) and waits for the engine worker's adapter again. */
export async function reloadStudio(page: Page): Promise<void> {
  await page.reload();
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
}

/**
 * The built-in tiny model's 6-step full SFT on the sample rows with a checkpoint every 2 steps: the run the Train,
 * lost-GPU and full-disk specs interrupt. `overrides` replace a key's value or add a key (values are YAML as written).
 */
export function tinySftYaml(overrides: Record<string, string | number> = {}): string {
  const config: Record<string, string | number> = {
    model_name: 'builtin:tiny', train_file: '[data/sft_data.jsonl]', eval_file: "''", finetune: 'full',
    max_steps: 6, batch_size: 4, max_seq_len: 256, learning_rate: 0.003, warmup_steps: 1, logging_steps: 1, save_every: 2,
    ...overrides,
  };
  return Object.entries(config).map(([key, value]) => `${key}: ${value}\n`).join('');
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
