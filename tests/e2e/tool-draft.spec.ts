// Datasets without the sample tool set, in Chromium: the original pipeline's rows import cleanly and list the
// tools they call; a tool set drafted from those calls is edited, added, and then checks the next import.
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';

const fixture = fileURLToPath(new URL('../fixtures/data/original_pipeline.jsonl', import.meta.url));

test('imports rows the sample tools would reject, drafts a tool set from their calls and checks against it', async ({ page }) => {
  await page.goto('/#/datasets');
  await expect(page.getByTestId('check-tool-set')).toHaveValue('none');
  await page.getByTestId('dataset-file-input').setInputFiles(fixture);
  const card = page.locator('[data-testid=import-card][data-file="original_pipeline.jsonl"]');
  await expect(card).toHaveAttribute('data-status', 'validated');
  await expect(card.getByTestId('report-summary')).toContainText('4 records, 4 valid, 0 invalid');
  await expect(card.getByTestId('report-tool-set')).toContainText('not checked against a tool set');
  await expect(card.locator('[data-testid=tool-used][data-name=queryWeather]')).toContainText('2 calls: location, date');

  await card.getByTestId('draft-tools').click();
  const draft = card.getByTestId('tool-set-draft');
  // Most called first; held by position, since editing the name changes its data-name.
  const weather = draft.getByTestId('draft-tool').first();
  await expect(weather).toHaveAttribute('data-name', 'queryWeather');
  await expect(weather.locator('[data-testid=draft-param][data-name=date] [data-testid=draft-param-type]')).toHaveValue('string');
  await expect(draft.locator('[data-testid=draft-tool][data-name=getLeaveBalance] [data-testid=draft-param-type]')).toHaveValue('integer');
  // Edit: employeeId is really a string id; drop the booking tool.
  await draft.locator('[data-testid=draft-tool][data-name=getLeaveBalance] [data-testid=draft-param-type]').selectOption('string');
  await draft.locator('[data-testid=draft-tool][data-name=bookMeetingRoom] [data-testid=draft-keep]').uncheck();
  await weather.getByTestId('draft-tool-description').fill('Weather forecast for a city and day');
  // A bad edit is refused with the loader's own message.
  await weather.getByTestId('draft-tool-name').fill('query weather');
  await expect(draft.getByTestId('draft-problems')).toContainText('tool name must be an identifier');
  await expect(draft.getByTestId('draft-add')).toBeDisabled();
  await weather.getByTestId('draft-tool-name').fill('queryWeather');
  await draft.getByTestId('draft-title').fill('pipeline tools');
  await draft.getByTestId('draft-add').click();
  // The drafted set is stored (IndexedDB) and chosen by its id.
  await expect(page.getByTestId('check-tool-set')).not.toHaveValue(/^(none|sample)$/);
  await expect(page.getByTestId('check-tool-set').locator('option:checked')).toContainText('pipeline tools');

  // The next import is checked against the drafted set: getLeaveBalance now wants a string, bookMeetingRoom is unknown.
  await card.locator('button.close').click();
  await page.getByTestId('dataset-file-input').setInputFiles(fixture);
  const again = page.locator('[data-testid=import-card][data-file="original_pipeline.jsonl"]');
  await expect(again).toHaveAttribute('data-status', 'validated');
  await expect(again.getByTestId('report-tool-set')).toContainText('Calls checked against pipeline tools (2 tools)');
  await expect(again.getByTestId('report-summary')).toContainText('4 records, 2 valid, 2 invalid');
  await expect(again.getByTestId('report-problems')).toContainText('unknown tool "bookMeetingRoom" (not in pipeline tools)');
  await expect(again.getByTestId('report-problems')).toContainText('getLeaveBalance: argument "employeeId" must be string');

  // The set is on the Tools page too, with the edited description.
  await page.getByTestId('nav-tools').click();
  await expect(page.locator('[data-testid=tool-set]')).toContainText('pipeline tools');
  await page.locator('[data-testid=tool-item][data-name=queryWeather]').click();
  await expect(page.getByTestId('tool-detail')).toContainText('Weather forecast for a city and day');
});
