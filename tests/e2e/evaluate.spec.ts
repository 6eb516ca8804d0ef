// Evaluate and Tools pages in a real Chromium: score predictions against the sample eval split and read
// the report (metrics, per-tool bars, confusion table, failures); load the sample tools, try calls on the
// mock world (a booked room becomes busy), and import an OpenAPI spec with its unmappable operations.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

const path = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Predictions from the eval split's own answers, with every 10th (i % 10 == 3) replaced by a refusal. */
function predictions(): Buffer {
  const lines = readFileSync(path('public/data/eval_data.jsonl'), 'utf8').split('\n').filter(Boolean);
  const preds = lines.map((l, i) => JSON.stringify({ id: `line-${i + 1}`, output: i % 10 === 3 ? 'Sorry, I cannot help with that.' : JSON.parse(l).output }));
  // An id that is not in the gold file, with markup in it: it must show up as text, never as HTML.
  preds.push(JSON.stringify({ id: '<b data-testid="injected">x</b>', output: 'hi' }));
  return Buffer.from(preds.join('\n'));
}

test('score predictions against the sample eval split and read the report', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/#/evaluate');
  await page.getByTestId('load-sample-gold').click();
  await expect(page.getByTestId('gold-name')).toHaveText('eval_data.jsonl');
  await page.getByTestId('pred-file-input').setInputFiles({ name: 'preds.jsonl', mimeType: 'application/json', buffer: predictions() });
  await expect(page.getByTestId('pred-name')).toHaveText('preds.jsonl');
  await page.getByTestId('run-eval').click();

  // The same figures `npm run eval` prints for these files: 182 of 204 expected calls, 182 of 200 chains.
  await expect(page.getByTestId('headline-tool-accuracy')).toContainText('89.2%');
  await expect(page.getByTestId('headline-chain-success')).toContainText('91.0%');
  await expect(page.locator('[data-testid=metrics-table] [data-metric=formatValidity] td')).toHaveText('100.0%');
  await expect(page.locator('[data-testid=metrics-table] [data-metric=noToolAccuracy] td')).toHaveText('100.0%');
  // Schemas and executors work under the page's Content-Security-Policy (no eval): 168 of 182 calls run.
  await expect(page.locator('[data-testid=metrics-table] [data-metric=schemaValidity] td')).toHaveText('100.0%');
  await expect(page.locator('[data-testid=metrics-table] [data-metric=executionSuccess] td')).toHaveText('92.3%');
  await expect(page.locator('[data-testid=per-tool-chart] rect')).toHaveCount(16);
  const weatherRow = page.locator('[data-testid=confusion-table] tr[data-expected=queryWeather]');
  await expect(weatherRow.locator('td[data-predicted="(none)"]')).not.toHaveText('');
  await expect(page.getByTestId('failures').locator('.failure')).toHaveCount(18);
  await expect(page.getByTestId('failures')).toContainText('no call');

  // The unknown id is listed as text; its markup did not become an element.
  await expect(page.getByTestId('eval-problems')).toContainText('<b data-testid="injected">x</b>');
  await expect(page.getByTestId('injected')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});

test('browse the sample tools, try calls on the mock world, import an OpenAPI spec', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/#/tools');
  await expect(page.getByTestId('no-tool-sets')).toBeVisible();
  await page.getByTestId('load-sample-tools').click();
  await expect(page.getByTestId('tool-item')).toHaveCount(16);

  await page.locator('[data-testid=tool-item][data-name=bookMeetingRoom]').click();
  await expect(page.getByTestId('tool-detail')).toHaveAttribute('data-name', 'bookMeetingRoom');
  await expect(page.locator('[data-testid=schema-table] tr[data-param=date]')).toContainText('format date');

  // Invalid arguments are explained; a valid booking succeeds once, then the room is taken.
  const args = page.getByTestId('try-args');
  await args.fill(JSON.stringify({ roomId: 'BJ-301', date: '2025-06-20', startTime: '10:00', endTime: '9am', organizerId: 'E1002' }));
  await page.getByTestId('try-run').click();
  await expect(page.getByTestId('try-outcome')).toHaveAttribute('data-kind', 'invalid');
  await expect(page.getByTestId('try-outcome')).toContainText('argument "endTime" must match pattern');
  await args.fill(JSON.stringify({ roomId: 'BJ-301', date: '2025-06-20', startTime: '10:00', endTime: '11:00', organizerId: 'E1002' }));
  await page.getByTestId('try-run').click();
  await expect(page.getByTestId('try-outcome')).toContainText('"bookingId"');
  await page.getByTestId('try-run').click();
  await expect(page.getByTestId('try-outcome')).toContainText('conflict: bookMeetingRoom: room BJ-301 is already booked 10:00-11:00');

  // OpenAPI import: six operations become tools, three are reported as not mappable.
  await page.getByTestId('tools-file-input').setInputFiles(path('tests/unit/tools/fixtures/room-service.openapi.yaml'));
  const set = page.locator('[data-testid=tool-set][data-file="room-service.openapi.yaml"]');
  await expect(set.getByTestId('tool-item')).toHaveCount(6);
  await expect(set.getByTestId('import-errors')).toContainText('3 not imported');
  await expect(set.getByTestId('import-errors')).toContainText('file uploads (format: binary) cannot be passed as JSON tool arguments');
  await set.locator('[data-testid=tool-item][data-name=postRoomsByRoomIdBookings]').click();
  await expect(page.locator('[data-testid=schema-table] tr[data-param=organizer]')).toContainText('yes');
  expect(pageErrors).toEqual([]);
});
