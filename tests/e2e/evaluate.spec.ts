// Evaluate and Tools pages in a real Chromium: score the sample eval split and hand-made predictions and
// read the report (metrics, per-tool bars, confusion table, failures); load the sample tools, try calls on the
// mock world (a booked room becomes busy), and import an OpenAPI spec with its unmappable operations.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

const path = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Predictions = the eval split's own answers (so the figures hold whatever the generator produced). */
function ownAnswers(): { buffer: Buffer; tools: number } {
  const text = readFileSync(path('public/data/eval_data.jsonl'), 'utf8');
  const lines = text.split('\n').filter(Boolean);
  const preds = lines.map((l, i) => JSON.stringify({ id: `line-${i + 1}`, output: JSON.parse(l).output }));
  const tools = new Set([...text.matchAll(/\\"tool_name\\":\\"(\w+)\\"/g)].map((m) => m[1])).size;
  return { buffer: Buffer.from(preds.join('\n')), tools };
}

const file = (name: string, lines: object[]) => ({ name, mimeType: 'application/json', buffer: Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n')) });
const qw = (city: string) => ({ name: 'queryWeather', arguments: { city } });

test('the sample eval split scores its own answers perfectly', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/#/evaluate');
  await page.getByTestId('load-sample-gold').click();
  await expect(page.getByTestId('gold-name')).toHaveText('eval_data.jsonl');
  const own = ownAnswers();
  expect(own.tools).toBeGreaterThan(5);
  await page.getByTestId('pred-file-input').setInputFiles({ name: 'own.jsonl', mimeType: 'application/json', buffer: own.buffer });
  await page.getByTestId('run-eval').click();
  await expect(page.getByTestId('headline-tool-accuracy')).toContainText('100.0%');
  await expect(page.getByTestId('headline-chain-success')).toContainText('100.0%');
  // Schemas and executors work under the page's Content-Security-Policy (no eval).
  for (const m of ['formatValidity', 'schemaValidity', 'noToolAccuracy', 'exactArgumentMatch']) {
    await expect(page.locator(`[data-testid=metrics-table] [data-metric=${m}] td`)).toHaveText('100.0%');
  }
  await expect(page.locator('[data-testid=metrics-table] [data-metric=executionSuccess] td')).not.toHaveText('n/a');
  await expect(page.locator('[data-testid=per-tool-chart] rect')).toHaveCount(own.tools);
  await expect(page.getByTestId('failures')).toContainText('Every record passed.');
  // Every output is the reference itself: ToolRL pays its maximum, 4, and the binary reward 1, on every step
  // (calls that fail do so exactly as their reference does, e.g. cancelling a shipped order).
  await expect(page.locator('[data-testid=reward-table] tr[data-preset=toolrl] td.total')).toHaveText('4.000');
  await expect(page.locator('[data-testid=reward-table] tr[data-preset=binary] td.total')).toHaveText('1.000');
  expect(pageErrors).toEqual([]);
});

test('hand-made predictions give the hand-computed report', async ({ page }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto('/#/evaluate');
  await page.getByTestId('gold-file-input').setInputFiles(file('gold.jsonl', [
    { id: 'r1', calls: [qw('Beijing')] },
    { id: 'r2', calls: [{ name: 'getLeaveBalance', arguments: { employeeId: 'E1001' } }] },
    { id: 'r3', calls: [] },
    { id: 'r4', calls: [] },
    { id: 'r5', calls: [qw('Beijing'), qw('Shanghai')] },
  ]));
  await page.getByTestId('pred-file-input').setInputFiles(file('pred.jsonl', [
    { id: 'r1', output: '<tool_call>\n{"name": "queryWeather", "arguments": {"city": "beijing"}}\n</tool_call>' },
    { id: 'r2', calls: [{ name: 'getLeaveBalance', arguments: { employeeId: 'E1002' } }] },
    { id: 'r3', output: 'Hello! How can I help?' },
    { id: 'r4', calls: [qw('Paris')] },
    { id: 'r5', output: '<tool_call>{"name": "queryWeather", "arguments": {"city": "Shanghai"}}' },
    // An id that is not in the gold file, with markup in it: it must show up as text, never as HTML.
    { id: '<b data-testid="injected">x</b>', output: 'hi' },
  ]));
  await page.getByTestId('run-eval').click();
  // Expected calls: r1 1, r2 1, r5 2 = 4; right: r1 only (r5's text is malformed) -> 25%; records right: r1, r3 -> 2 of 5.
  await expect(page.getByTestId('headline-tool-accuracy')).toContainText('25.0%');
  await expect(page.getByTestId('headline-chain-success')).toContainText('40.0%');
  await expect(page.locator('[data-testid=metrics-table] [data-metric=toolNameAccuracy] td')).toHaveText('50.0%');
  await expect(page.locator('[data-testid=metrics-table] [data-metric=formatValidity] td')).toHaveText('66.7%');
  await expect(page.locator('[data-testid=metrics-table] [data-metric=noToolAccuracy] td')).toHaveText('50.0%');
  await expect(page.locator('[data-testid=per-tool-chart] rect')).toHaveCount(2);
  const weather = page.locator('[data-testid=confusion-table] tr[data-expected=queryWeather]');
  await expect(weather.locator('td[data-predicted=queryWeather]')).toHaveText('1');
  await expect(weather.locator('td[data-predicted="(none)"]')).toHaveText('2');
  await expect(page.locator('[data-testid=confusion-table] tr[data-expected="(none)"] td[data-predicted=queryWeather]')).toHaveText('1');
  // r2 right tool, wrong employee; r4 a call where none was due; r5 unparseable.
  const causes = page.getByTestId('failure-causes-chart');
  await expect(causes).toContainText('Failed steps by cause (3 of 5)');
  await expect(causes.locator('rect')).toHaveCount(5);
  await expect(page.getByTestId('failures').locator('.failure')).toHaveCount(3);
  await expect(page.locator('[data-testid=failures] .failure[data-id=r5]')).toContainText('<tool_call> is never closed');

  // The unknown id is listed as text; its markup did not become an element.
  await expect(page.getByTestId('eval-problems')).toContainText('<b data-testid="injected">x</b>');
  await expect(page.getByTestId('injected')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});

test("BFCL panel: BFCL's files and predictions give per-id verdicts", async ({ page }) => {
  await page.goto('/#/evaluate');
  await page.getByTestId('bfcl-panel').locator('summary').click();
  await page.getByTestId('bfcl-questions-input').setInputFiles(path('../shared/bfcl/BFCL_v4_simple_python.json'));
  await page.getByTestId('bfcl-answers-input').setInputFiles(path('../shared/bfcl/possible_answer/BFCL_v4_simple_python.json'));
  await page.getByTestId('bfcl-predictions-input').setInputFiles(file('bfcl-preds.jsonl', [
    { id: 'simple_python_0', calls: [{ name: 'calculate_triangle_area', arguments: { base: 10, height: 5 } }] },
    { id: 'simple_python_1', output: '<tool_call>\n{"name": "math.factorial", "arguments": {"number": 6}}\n</tool_call>' },
    // 4.0 is a float where the schema says integer: BFCL's checker rejects it.
    { id: 'simple_python_2', output: '<tool_call>\n{"name": "math.hypot", "arguments": {"x": 4.0, "y": 5}}\n</tool_call>' },
    { id: 'simple_python_3', output: '[algebra.quadratic_roots(a=1, b=-3, c=2)]' },
  ]));
  await page.getByTestId('bfcl-run').click();
  await expect(page.getByTestId('bfcl-summary')).toContainText('simple: 2/400 = 0.5% · missing 396 · undecodable 0');
  await expect(page.locator('[data-testid=bfcl-failed] tr[data-id=simple_python_1]')).toContainText("Invalid value for parameter 'number'");
  await expect(page.locator('[data-testid=bfcl-failed] tr[data-id=simple_python_2]')).toContainText('type_error:simple');
  await expect(page.locator('[data-testid=bfcl-failed] tr[data-id=simple_python_0]')).toHaveCount(0);
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
  // The import downloads as plain tool definitions.
  const [download] = await Promise.all([page.waitForEvent('download'), set.getByTestId('tool-set-download').click()]);
  const saved = JSON.parse(readFileSync(await download.path(), 'utf8'));
  expect(saved.map((t: { function: { name: string } }) => t.function.name)).toEqual(['listRooms', 'getRoom', 'updateRoom', 'postRoomsByRoomIdBookings', 'cancelBooking', 'setRoomTags']);
  expect(pageErrors).toEqual([]);
});
