// A full disk, in Chromium: the origin's storage quota is cut through the DevTools protocol
// (Storage.overrideQuotaForOrigin) in the middle of a dataset import and of a training run. The studio must
// say what needs how many MB and what is free, keep every stored dataset and the previous checkpoint intact,
// pause the run instead of losing it, and continue once there is room again.
import { fileURLToPath } from 'node:url';
import { expect, test, type CDPSession, type Page } from '@playwright/test';
import { applyYaml, tinySftYaml } from './helpers/train-page.ts';

const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/data/${f}`, import.meta.url));

// The quota is cut through the DevTools protocol. Chromium honours the override for the session that set it,
// and grants writes from an allowance it caches for up to 30 s (decaying) after it last asked its quota manager,
// asking again only when a write exceeds that allowance: so a quota is set before the page loads (small enough that
// a later write does not fit), or a cut is given 31 s before the write it is for; raising it takes effect at once.
// The page's storage estimate does not follow the override; the studio's message then says that the browser
// reported room but refused the write.
const sessions = new WeakMap<Page, CDPSession>();
async function setQuota(page: Page, origin: string, quotaSize: number | undefined): Promise<void> {
  let cdp = sessions.get(page);
  if (!cdp) sessions.set(page, (cdp = await page.context().newCDPSession(page)));
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, ...(quotaSize === undefined ? {} : { quotaSize }) });
}
const storedKeys = (page: Page, db: string, store: string) =>
  page.evaluate(async ([db, store]) => {
    const d = await new Promise<IDBDatabase>((r) => { const q = indexedDB.open(db); q.onsuccess = () => r(q.result); });
    const keys = await new Promise<IDBValidKey[]>((r) => { const q = d.transaction(store).objectStore(store).getAllKeys(); q.onsuccess = () => r(q.result); });
    d.close();
    return keys.map(String).sort();
  }, [db, store]);

test('a dataset import that does not fit: a message with the MB needed and free, nothing written, stored datasets intact, saved once there is room', async ({ page, baseURL }) => {
  const origin = new URL(baseURL!).origin;
  await setQuota(page, origin, 1.5 * 2 ** 20); // room for the small dataset, not for the big one
  await page.goto('/#/datasets');
  await page.getByTestId('dataset-file-input').setInputFiles(fixture('sft_good.jsonl'));
  await page.getByTestId('import-save').click();
  await expect(page.getByTestId('import-saved')).toBeVisible();
  const keysBefore = await storedKeys(page, 'tool-use-studio-datasets', 'datasets');

  // About 3 MB of examples against a 1.5 MB quota.
  const rows = Array.from({ length: 12_000 }, (_, i) => JSON.stringify({ instruction: `当前日期：2025-06-02（星期一）`, input: `第${i}个问题：明天北京天气怎么样？请详细说明。`, output: `queryWeather(city=北京, date=2025-06-0${1 + (i % 9)})` }));
  await page.getByTestId('dataset-file-input').setInputFiles({ name: 'big.jsonl', mimeType: 'application/jsonl', buffer: Buffer.from(rows.join('\n')) });
  const card = page.locator('[data-testid=import-card][data-file="big.jsonl"]');
  await expect(card).toHaveAttribute('data-status', 'validated');
  await card.getByTestId('import-save').click();
  const error = card.getByTestId('import-error');
  await expect(error).toContainText(/Not enough browser storage to save dataset "big": it needs about \d+\.\d MB(, and \d+\.\d MB are free|; the browser reports \d+\.\d MB free but refused the write)\. Nothing was written and your stored datasets are intact\./);
  console.log(`full disk, dataset import: "${await error.textContent()}"`);
  expect(await storedKeys(page, 'tool-use-studio-datasets', 'datasets')).toEqual(keysBefore);
  await expect(page.getByTestId('dataset-row')).toHaveCount(1);
  await page.getByTestId('dataset-preview').click();
  await expect(page.getByTestId('dataset-preview-panel').getByTestId('example')).toHaveCount(5);

  // Room again: the same validated import saves (it kept its examples).
  await setQuota(page, origin, undefined);
  await card.getByTestId('import-save').click();
  await expect(card.getByTestId('import-saved')).toBeVisible();
  await expect(page.getByTestId('dataset-row')).toHaveCount(2);
});

const CONFIG = tinySftYaml({ save_total_limit: 2 });

test('a checkpoint write that does not fit: the run pauses at its previous checkpoint with the MB needed and free, and resumes once there is room', async ({ page, baseURL }) => {
  test.setTimeout(600_000);
  const origin = new URL(baseURL!).origin;
  // A checkpoint of the tiny model (weights + Adam moments of 296,000 parameters) is 3.4 MB: 5 MB hold a dataset,
  // the run's metrics and the first checkpoint, and not the second (kept until the third is complete). The run starts
  // with 12 MB, as under load Chromium sometimes refused the first checkpoint with 0.3 of 5 MB used (3 of 13 runs);
  // the cut to 5 MB is made while the step-4 write waits at a test fault point (src/store/checkpoints.ts).
  await setQuota(page, origin, 12 * 2 ** 20);
  await page.goto('/#/datasets');
  await page.getByTestId('dataset-file-input').setInputFiles(fixture('sft_good.jsonl'));
  await page.getByTestId('import-save').click();
  await expect(page.getByTestId('import-saved')).toBeVisible();
  const datasetKeys = await storedKeys(page, 'tool-use-studio-datasets', 'datasets');

  await page.getByTestId('nav-train').click();
  await expect(page.getByTestId('adapter-name')).toHaveText('swiftshader');
  await applyYaml(page, CONFIG);
  const engine = page.workers().find((w) => /engine\.worker/.test(w.url()))!;
  await engine.evaluate(() => {
    const s = self as unknown as { __studioFaults: object; __studioOpenGate: () => void };
    s.__studioFaults = { gateCheckpointWrite: { step: 4, opened: new Promise<void>((open) => (s.__studioOpenGate = open)) } };
  });
  const gated = page.waitForEvent('console', { predicate: (m) => m.text() === '[fault] checkpoint write of step 4 waits for the test', timeout: 300_000 });
  await page.getByTestId('train-start').click();
  // Whatever happens to the first checkpoint write, the run must say so (it once stayed "running" for good after a
  // refused write, as the worker's status write was refused too): wait for the first of the three, then check it.
  const log = page.getByTestId('train-log');
  await expect(log).toContainText(/checkpoint saved at step 2|paused: |failed: /, { timeout: 300_000 });
  const usage = await sessions.get(page)!.send('Storage.getUsageAndQuota', { origin });
  expect(await log.textContent(), `the first checkpoint fits (origin usage ${usage.usage} of ${usage.quota} bytes)`).toContain('checkpoint saved at step 2');
  await gated;
  await setQuota(page, origin, 5 * 2 ** 20);
  await page.waitForTimeout(31_000); // Chromium's cached allowance lapses: the step-4 write sees the cut
  await engine.evaluate(() => (self as unknown as { __studioOpenGate: () => void }).__studioOpenGate());
  const status = page.getByTestId('run-status').first();
  await expect(status).toHaveText('paused', { timeout: 300_000 });
  const runs = page.getByTestId('runs');
  await expect(runs).toContainText(/Not enough browser storage to save the checkpoint at step 4 of run sft-[\w-]+: it needs about 3\.4 MB(, and \d+\.\d MB are free|; the browser reports \d+\.\d MB free but refused the write)\. The previous checkpoint is intact/);
  await expect(runs).toContainText('The run is paused at its last checkpoint (step 2): make room, then Resume continues from there.');
  console.log(`full disk, checkpoint write: "${(await runs.locator('td.muted').first().textContent())?.trim()}"`);
  expect(await storedKeys(page, 'tool-use-studio-datasets', 'datasets')).toEqual(datasetKeys);
  const ckpts = await storedKeys(page, 'tool-use-studio-checkpoints', 'checkpoints');
  expect(ckpts.filter((k) => k.startsWith('ckpt:'))).toHaveLength(1);
  expect(ckpts.find((k) => k.startsWith('ckpt:'))).toMatch(/:2$/);

  await setQuota(page, origin, undefined);
  await page.getByTestId('train-resume').click();
  await expect(page.getByTestId('train-log')).toContainText('resumed from checkpoint at step 2', { timeout: 120_000 });
  await expect(status).toHaveText('done', { timeout: 400_000 });
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBe(6);
});
