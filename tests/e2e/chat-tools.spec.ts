// Chat on the episode runner in Chromium: the user's own tool set (imported on the Tools page) with a JavaScript
// handler in the no-network sandbox; the tiny model trained on the sample rows (a run's checkpoint) calls it, the
// call shows as a card with its schema check and the handler's result, and the model goes on. A manual executor
// waits for the typed result. A corrected turn is saved as a conversation and as a preference pair, found on the
// Datasets page; after a reload the tool set and its handler are still there. Two models answer side by side.
import { expect, test } from '@playwright/test';
import { seedRuns } from './helpers/seed-runs.ts';

const SYSTEM = 'Current date: 2025-06-02 (Monday). Current user: Yutong Yang (E1040).';
/** The user's own definition of an order lookup, under the name the trained model calls. */
const USER_TOOLS = [{
  type: 'function',
  function: { name: 'queryOrderStatus', description: 'Our order service', parameters: { type: 'object', properties: { orderId: { type: 'string', pattern: '^ORD-\\d{6}$' } }, required: ['orderId'] } },
}];
const HANDLER = `let lookups = 0;
handlers.queryOrderStatus = ({ orderId }) => ({ orderId, status: 'delivered', lookups: ++lookups, fetch: typeof fetch });`;

test('a user JavaScript tool in the chat, manual results, corrections saved as datasets, kept across a reload', async ({ page }) => {
  test.setTimeout(600_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/');
  await seedRuns(page, [{ id: 'run-sft', name: 'tiny-sft', weights: 'tests/fixtures/models/tiny-sft-eval12/model.safetensors', step: 180 }]);

  // Tools page: import the user's tool set and give it a JavaScript handler.
  await page.goto('/#/tools');
  await page.getByTestId('tools-file-input').setInputFiles({ name: 'orders.tools.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(USER_TOOLS)) });
  await expect(page.locator('[data-testid=tool-set][data-file="orders.tools.json"]')).toBeVisible();
  await page.getByTestId('executor-kind').selectOption('javascript');
  await page.getByTestId('executor-code').fill(HANDLER);
  await page.getByTestId('executor-save').click();
  await expect(page.getByTestId('executor-saved')).toBeVisible();
  // Try it on the Tools page: the sandbox answers, and has no fetch.
  await page.getByTestId('try-args').fill('{"orderId": "ORD-123456"}');
  await page.getByTestId('try-run').click();
  await expect(page.getByTestId('try-outcome')).toContainText('"status": "delivered"');
  await expect(page.getByTestId('try-outcome')).toContainText('"fetch": "undefined"');

  // Chat with the trained run, the user's tool set.
  await page.goto('/#/chat');
  await page.reload();
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await page.getByTestId('chat-tool-set').selectOption({ label: 'orders.tools.json (1 tools)' });
  await expect(page.getByTestId('chat-executor')).toContainText('JavaScript handlers (sandboxed, no network)');
  await page.locator('label.sys input').fill(SYSTEM);
  const col = page.getByTestId('chat-column-0');
  await col.getByTestId('chat-model').selectOption('run:run-sft');
  await col.getByTestId('chat-load').click();
  await expect(col.getByTestId('chat-model-info')).toContainText('tiny-sft', { timeout: 60_000 });
  await page.getByTestId('chat-input').fill('check order ORD-250029 for me');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-send')).toBeVisible({ timeout: 240_000 });
  const card = col.getByTestId('tool-card').first();
  await expect(card).toHaveAttribute('data-name', 'queryOrderStatus');
  await expect(card.getByTestId('tool-args')).toContainText('"orderId": "ORD-250029"');
  await expect(card.getByTestId('schema-check')).toContainText('schema ✓');
  await expect(card.getByTestId('tool-result')).toContainText('"status": "delivered"');
  await expect(card.getByTestId('tool-result')).toContainText('"lookups": 1');
  // The model went on after the result (a second assistant turn).
  expect(await col.getByTestId('chat-assistant').count()).toBeGreaterThanOrEqual(2);

  // Correct the first turn: the right call is for another order; save the conversation and the pair.
  await col.getByTestId('edit-turn').first().click();
  await col.getByTestId('edit-text').fill('<tool_call>\n{"name": "queryOrderStatus", "arguments": {"orderId": "ORD-250030"}}\n</tool_call>');
  await col.getByTestId('edit-save').click();
  await expect(col.locator('[data-testid=chat-assistant][data-edited=yes]')).toHaveCount(1);
  await expect(col.getByTestId('chat-assistant')).toHaveCount(1);
  await col.getByTestId('save-sft').click();
  await expect(page.getByTestId('chat-saved')).toContainText('(conversational) on the Datasets page');
  await col.getByTestId('save-pair').click();
  await expect(page.getByTestId('chat-saved')).toContainText('(rm) on the Datasets page');

  // A manual executor: the call waits for the typed result.
  await page.goto('/#/tools');
  await page.locator('[data-testid=tool-set][data-file="orders.tools.json"] [data-testid=tool-item]').click();
  await page.getByTestId('executor-kind').selectOption('manual');
  await page.getByTestId('executor-save').click();
  await page.goto('/#/chat');
  await page.getByTestId('chat-tool-set').selectOption({ label: 'orders.tools.json (1 tools)' });
  await page.getByTestId('chat-new').click();
  await page.getByTestId('chat-input').fill('check order ORD-250029 for me');
  await page.getByTestId('chat-send').click();
  await col.getByTestId('manual-result').fill('{"status": "lost in transit"}', { timeout: 240_000 });
  await col.getByTestId('manual-submit').click();
  await expect(page.getByTestId('chat-send')).toBeVisible({ timeout: 240_000 });
  await expect(col.getByTestId('tool-result').first()).toContainText('lost in transit');

  // The Datasets page has both corrections.
  await page.goto('/#/datasets');
  await expect(page.locator('[data-testid=dataset-row][data-name^="chat conversation"] [data-testid=dataset-kind]')).toHaveText('conversational');
  await expect(page.locator('[data-testid=dataset-row][data-name^="chat preference"] [data-testid=dataset-kind]')).toHaveText('rm');

  // After a reload the tool set and its (manual) executor are still there.
  await page.goto('/#/tools');
  await page.reload();
  await expect(page.locator('[data-testid=tool-set][data-file="orders.tools.json"]')).toBeVisible();
  await page.locator('[data-testid=tool-set][data-file="orders.tools.json"] [data-testid=tool-item]').click();
  await expect(page.getByTestId('executor-kind')).toHaveValue('manual');
  expect(pageErrors).toEqual([]);
});

test('two models side by side on the same conversation', async ({ page }) => {
  test.setTimeout(600_000);
  await page.goto('/');
  await seedRuns(page, [{ id: 'run-sft', name: 'tiny-sft', weights: 'tests/fixtures/models/tiny-sft-eval12/model.safetensors', step: 180 }]);
  await page.goto('/#/chat');
  await page.reload();
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await page.locator('label.sys input').fill(SYSTEM);
  await page.getByTestId('chat-side-by-side').check();
  const [a, b] = [page.getByTestId('chat-column-0'), page.getByTestId('chat-column-1')];
  await a.getByTestId('chat-model').selectOption('builtin');
  await b.getByTestId('chat-model').selectOption('run:run-sft');
  await page.getByTestId('chat-input').fill('check order ORD-250029 for me');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-send')).toBeVisible({ timeout: 400_000 });
  await expect(a.getByTestId('chat-user')).toHaveText(/check order ORD-250029 for me/);
  await expect(b.getByTestId('chat-user')).toHaveText(/check order ORD-250029 for me/);
  await expect(a.getByTestId('chat-assistant').first()).toBeVisible();
  // The trained model calls the sample tool on the mock world; the untrained one does not.
  await expect(b.getByTestId('tool-card').first()).toHaveAttribute('data-name', 'queryOrderStatus');
  await expect(b.getByTestId('tool-result').first()).toContainText('"id": "ORD-250029"');
  await expect(a.getByTestId('tool-card')).toHaveCount(0);
});
