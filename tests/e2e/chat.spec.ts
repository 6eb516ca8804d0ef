// Chat in Chromium: the tiny model answers in the worker, its text streams in and is rendered as text, never as HTML.
import { expect, test } from '@playwright/test';

test('streams the model answer into the transcript as plain text', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/#/chat');
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await page.getByTestId('chat-load').click();
  await expect(page.getByTestId('chat-model-info')).toContainText('parameters', { timeout: 60_000 });

  const hostile = '<img src=x onerror="window.__pwned=1"><b>明天北京天气</b>';
  await page.getByTestId('chat-input').fill(hostile);
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-user')).toContainText('<b>明天北京天气</b>');
  await expect(page.getByTestId('chat-assistant').first()).toBeVisible({ timeout: 240_000 });
  // The user's markup is shown literally: no element was created from it.
  await expect(page.getByTestId('chat-transcript').locator('b, img')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  const answer = await page.getByTestId('chat-assistant').first().locator('pre').textContent();
  expect((answer ?? '').length).toBeGreaterThan(0);
});
