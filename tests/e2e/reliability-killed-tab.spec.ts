// Killed tab, in Chromium: a training run's renderer processes are killed (SIGKILL: the page and its workers
// die at once, no unload, no clean close) at seeded random moments, some of them inside a
// checkpoint write held open by the store's fault point (puts issued, not committed). After each kill a new
// tab opens the studio and the harness checks that:
//   - the run resumes from its last complete checkpoint (the newest step the checkpoint index lists),
//   - no checkpoint is corrupted (every listed step loads, whole and finite; no data without an index entry),
//   - no dataset is lost (every stored record and row is byte-identical to before the run),
// and once the run has finished, that its losses equal those of an uninterrupted run with the same config.
//
// npm test: STUDIO_KILLS=3 (the default). npm run soak:reliability: 20 kills. STUDIO_KILL_SEED picks the moments.
//
// Workflows: each entry of WORKFLOWS is one trainer as the Train page offers it (SFT; GRPO from a seeded SFT run,
// full fine-tuning so the checkpoint check below holds; the reward model joins with one entry): a config (YAML for
// the page), how to pick the method before Start, the chart whose points count logged steps, and the metric
// compared with the uninterrupted run.
import { fileURLToPath } from 'node:url';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { seedRuns } from './helpers/seed-runs.ts';
import { openStudio } from './helpers/train-page.ts';

interface Workflow {
  name: string;
  /** The config the Train page's YAML box takes; it must checkpoint every `saveEvery` steps. */
  yaml: (maxSteps: number) => string;
  saveEvery: number;
  /** Chooses the method and data on the Train page before Start (SFT: the defaults). */
  prepare?: (page: Page) => Promise<void>;
  /** Which step metric must match the uninterrupted run. */
  metric: (row: StepRow) => number;
  /** The chart with one point per logged step. */
  chart: string;
}

interface StepRow {
  step: number;
  loss: number;
  skipped: boolean;
  metrics?: Record<string, number>;
}

const sftYaml = (maxSteps: number) => `model_name: builtin:tiny
train_file: [data/sft_data.jsonl]
eval_file: ''
finetune: full
max_steps: ${maxSteps}
batch_size: 4
max_seq_len: 256
learning_rate: 0.003
warmup_steps: 1
logging_steps: 1
save_every: 2
save_total_limit: 2
seed: 7
`;

// GRPO from the SFT test model (seeded as a finished run): its sampled episodes earn different rewards within a
// group, so the advantages and the loss are not zero and a wrong resume would show in the loss.
const grpoYaml = (maxSteps: number) => `model_name: run:run-sft
train_file: [data/eval_data.jsonl]
eval_file: ''
prompt_tools: none
finetune: full
beta: 0
num_generations: 4
per_device_train_batch_size: 8
max_completion_length: 32
max_steps: ${maxSteps}
learning_rate: 0.0003
logging_steps: 1
save_every: 2
save_total_limit: 2
seed: 7
`;

const WORKFLOWS: Workflow[] = [
  { name: 'sft', yaml: sftYaml, saveEvery: 2, metric: (r) => r.loss, chart: 'loss-chart' },
  // { name: 'rm', yaml: rmYaml, saveEvery: 2, prepare: (page) => page.getByTestId('method-rm').check(), metric: (r) => r.loss, chart: 'loss-chart' },
  {
    name: 'grpo', yaml: grpoYaml, saveEvery: 2, metric: (r) => r.loss, chart: 'rl-loss-chart',
    prepare: async (page) => {
      await seedRuns(page, [{ id: 'run-sft', name: 'tiny-sft', weights: 'tests/fixtures/models/tiny-sft-eval12/model.safetensors', step: 180 }]);
      await page.getByTestId('method-grpo').check();
    },
  },
];

const KILLS = Number(process.env.STUDIO_KILLS ?? 3);
const SEED = Number(process.env.STUDIO_KILL_SEED ?? 20251201);
// Enough steps that every kill lands in a run that still has steps to go. A kill lands after its step is drawn and
// its delay (up to 1.5 s) has passed, and the tiny SFT model runs a step in about 0.3 s on a fast machine: CI's
// first kill, seeded after step 3, found checkpoints up to step 6, and with 10 steps the second kill then waited for
// a paused run until the test's timeout (the run had most likely finished first). Each kill may take it ~10 steps on.
const STEPS = Math.max(30, 10 * KILLS);

/** mulberry32: the harness's own seeded RNG (the moments must not depend on the studio's code). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Moment = { kind: 'during-steps'; afterStep: number; delayMs: number } | { kind: 'inside-checkpoint-write' };

const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/data/${f}`, import.meta.url));

/**
 * SIGKILL to every renderer process of this browser (the test's own Chromium: its page, the page's workers,
 * spare renderers), found through the DevTools protocol's process list. Nothing runs after it in the tab: no
 * unload handler, no pending IndexedDB commit; the storage service (its own process) aborts what was open.
 */
async function killRenderers(browser: Browser, page: Page): Promise<void> {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
  await cdp.detach();
  const crashed = page.waitForEvent('crash');
  for (const p of processInfo.filter((x) => x.type === 'renderer')) process.kill(p.id, 'SIGKILL');
  await crashed;
  await page.close().catch(() => {});
}

const NEW_TAB_MS = 60_000;
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<null>((r) => setTimeout(() => r(null), ms))]);

/**
 * The tab that opens after a kill. Chromium (SwiftShader WebGPU) now and then never finishes creating it: twice in
 * a day's runs of this spec (once in CI, once in five repeated runs) context.newPage stayed pending for the whole
 * test timeout, with every killed renderer already gone from the browser's process list. Killing the GPU process
 * too does not help (the new tab then has no WebGPU adapter), so: ask once more, then fail within two minutes with
 * a message that names the browser, and let the spec's retry run the seeded scenario again in a fresh browser.
 */
async function newTabAfterKill(context: BrowserContext): Promise<Page> {
  const creating = context.newPage();
  const page = await within(creating, NEW_TAB_MS);
  if (page) return page;
  console.log(`[harness] no new tab ${NEW_TAB_MS / 1000} s after the kill: asking again`);
  const retry = await within(Promise.race([creating, context.newPage()]), NEW_TAB_MS);
  if (!retry) throw new Error(`Chromium opened no new tab within ${(2 * NEW_TAB_MS) / 1000} s of the kill (a browser hang, not the studio's)`);
  return retry;
}

const loggedSteps = (page: Page, wf: Workflow) => page.getByTestId(wf.chart).getAttribute('data-points').then((n) => Number(n ?? 0));

/** Everything in one IndexedDB database, as text (for byte-identical comparisons). */
const dump = (page: Page, db: string, store: string) =>
  page.evaluate(async ([db, store]) => {
    const d = await new Promise<IDBDatabase>((r) => { const q = indexedDB.open(db); q.onsuccess = () => r(q.result); });
    const os = d.transaction(store).objectStore(store);
    const [keys, values] = await Promise.all([
      new Promise<IDBValidKey[]>((r) => { const q = os.getAllKeys(); q.onsuccess = () => r(q.result); }),
      new Promise<unknown[]>((r) => { const q = os.getAll(); q.onsuccess = () => r(q.result); }),
    ]);
    d.close();
    return keys.map((k, i) => `${String(k)}=${JSON.stringify(values[i])}`).sort();
  }, [db, store]);

/** The run's checkpoints as stored: listed steps, and for each whether it is whole; data keys without an index entry. */
const checkpointsOf = (page: Page, runId: string) =>
  page.evaluate(async (runId) => {
    const d = await new Promise<IDBDatabase>((r) => { const q = indexedDB.open('tool-use-studio-checkpoints'); q.onsuccess = () => r(q.result); });
    const os = d.transaction('checkpoints').objectStore('checkpoints');
    const get = (k: string) => new Promise<unknown>((r) => { const q = os.get(k); q.onsuccess = () => r(q.result); });
    const index = ((await get(`index:${runId}`)) as { step: number }[] | undefined) ?? [];
    const keys = await new Promise<IDBValidKey[]>((r) => { const q = os.getAllKeys(); q.onsuccess = () => r(q.result); });
    const listed = new Set(index.map((i) => `ckpt:${runId}:${i.step}`));
    const orphans = keys.map(String).filter((k) => k.startsWith(`ckpt:${runId}:`) && !listed.has(k));
    const corrupted: string[] = [];
    for (const i of index) {
      const c = (await get(`ckpt:${runId}:${i.step}`)) as { step: number; weights: Record<string, { shape: number[]; data: Float32Array }>; optimizer: { m: Record<string, { data: Float32Array }>; v: Record<string, { data: Float32Array }> } } | undefined;
      if (!c) { corrupted.push(`step ${i.step}: listed, no data`); continue; }
      if (c.step !== i.step) corrupted.push(`step ${i.step}: holds step ${c.step}`);
      const names = Object.keys(c.weights);
      let values = 0;
      for (const n of names) {
        const w = c.weights[n];
        if (w.data.length !== w.shape.reduce((a, b) => a * b, 1)) corrupted.push(`step ${i.step}: ${n} has ${w.data.length} values for shape ${w.shape}`);
        if (!c.optimizer.m[n] || !c.optimizer.v[n] || c.optimizer.m[n].data.length !== w.data.length || c.optimizer.v[n].data.length !== w.data.length) corrupted.push(`step ${i.step}: Adam moments of ${n}`);
        if (!w.data.every(Number.isFinite)) corrupted.push(`step ${i.step}: ${n} not finite`);
        values += w.data.length;
      }
      if (values !== 296_000) corrupted.push(`step ${i.step}: ${values} weights, the tiny model has 296,000`);
    }
    d.close();
    return { steps: index.map((i) => i.step), orphans, corrupted };
  }, runId);

const metricsOf = (page: Page, runId: string) =>
  page.evaluate(async (runId) => {
    const d = await new Promise<IDBDatabase>((r) => { const q = indexedDB.open('tool-use-studio-runs'); q.onsuccess = () => r(q.result); });
    const rows = await new Promise<unknown>((r) => { const q = d.transaction('runs').objectStore('runs').get(`metrics:${runId}`); q.onsuccess = () => r(q.result); });
    d.close();
    return (rows ?? []) as StepRow[];
  }, runId);

async function startRun(page: Page, wf: Workflow, steps: number): Promise<string> {
  await wf.prepare?.(page);
  await page.locator('details.yaml').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await page.getByTestId('config-yaml').fill(wf.yaml(steps));
  await page.getByTestId('apply-yaml').click();
  await expect(page.getByTestId('config-errors')).toHaveCount(0);
  await page.getByTestId('train-start').click();
  await expect(page.getByTestId('train-log')).toContainText('training examples', { timeout: 120_000 });
  return page.evaluate(async () => {
    const d = await new Promise<IDBDatabase>((r) => { const q = indexedDB.open('tool-use-studio-runs'); q.onsuccess = () => r(q.result); });
    const os = d.transaction('runs').objectStore('runs');
    const [keys, values] = await Promise.all([
      new Promise<IDBValidKey[]>((r) => { const q = os.getAllKeys(); q.onsuccess = () => r(q.result); }),
      new Promise<unknown[]>((r) => { const q = os.getAll(); q.onsuccess = () => r(q.result); }),
    ]);
    d.close();
    // The newest run record (a seeded start policy may sort after it by id).
    const runs = values.filter((_, i) => String(keys[i]).startsWith('run:')) as Array<{ id: string; createdAt: number }>;
    return runs.sort((a, b) => a.createdAt - b.createdAt).at(-1)!.id;
  });
}

// One retry in a fresh browser for Chromium's rare hang in newTabAfterKill; a failure of the studio is seeded and fails again.
test.describe.configure({ retries: 1 });

for (const wf of WORKFLOWS) {
  test(`${wf.name}: killed at ${KILLS} seeded moments, resumed each time from its last complete checkpoint, with the losses of an uninterrupted run`, async ({ browser }) => {
    test.setTimeout(180_000 + KILLS * 150_000 + STEPS * 20_000);
    const context = await browser.newContext();
    const next = rng(SEED);
    let page = await context.newPage();
    await openStudio(page);

    // Two datasets stored before anything runs: they must come through every kill unchanged.
    await page.getByTestId('nav-datasets').click();
    await page.getByTestId('dataset-file-input').setInputFiles([fixture('sft_good.jsonl'), fixture('rm_good.jsonl')]);
    for (const f of ['sft_good.jsonl', 'rm_good.jsonl']) {
      const card = page.locator(`[data-testid=import-card][data-file="${f}"]`);
      await card.getByTestId('import-save').click();
      await expect(card.getByTestId('import-saved')).toBeVisible();
    }
    await expect(page.getByTestId('dataset-row')).toHaveCount(2);
    const datasets = await dump(page, 'tool-use-studio-datasets', 'datasets');
    await page.getByTestId('nav-train').click();

    // The uninterrupted run.
    const refId = await startRun(page, wf, STEPS);
    await expect(page.getByTestId('run-status').first()).toHaveText('done', { timeout: STEPS * 30_000 });
    const reference = await metricsOf(page, refId);
    expect(reference.map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    // A metric that is zero everywhere would match any resume: the comparison below must be able to fail.
    expect(new Set(reference.map((r) => wf.metric(r))).size).toBeGreaterThan(1);

    // The run that is killed.
    const runId = await startRun(page, wf, STEPS);
    const results: { moment: Moment; resumedFrom: number; listed: number[]; orphans: string[]; corrupted: string[]; datasetsIntact: boolean }[] = [];
    for (let k = 0; k < KILLS; k++) {
      // Every third kill lands inside a checkpoint write; the others after a seeded step and delay.
      const base = k === 0 ? 0 : results[k - 1].resumedFrom;
      const moment: Moment = k % 3 === 2
        ? { kind: 'inside-checkpoint-write' }
        : { kind: 'during-steps', afterStep: Math.min(STEPS - 1, base + 1 + Math.floor(next() * (wf.saveEvery + 1))), delayMs: Math.floor(next() * 1500) };
      if (moment.kind === 'during-steps') {
        await expect.poll(() => loggedSteps(page, wf), { timeout: 240_000 }).toBeGreaterThanOrEqual(moment.afterStep);
        await page.waitForTimeout(moment.delayMs);
      } else {
        const held = page.waitForEvent('console', { predicate: (m) => m.text().startsWith('[fault] checkpoint write'), timeout: 240_000 });
        const engine = page.workers().find((w) => /engine\.worker/.test(w.url()))!;
        await engine.evaluate(() => ((self as unknown as { __studioFaults: object }).__studioFaults = { holdCheckpointWrite: true }));
        await held;
      }
      await killRenderers(browser, page);

      page = await newTabAfterKill(context);
      await openStudio(page);
      const stored = await checkpointsOf(page, runId);
      const datasetsIntact = JSON.stringify(await dump(page, 'tool-use-studio-datasets', 'datasets')) === JSON.stringify(datasets);
      const last = stored.steps.at(-1) ?? 0;
      const row = page.getByTestId('runs').locator('tr', { hasText: /paused/ }).first();
      await expect(row, `kill ${k + 1}: no paused run after the kill; the run may have finished first (checkpoints ${JSON.stringify(stored.steps)} of ${STEPS} steps): raise STEPS`).toBeVisible({ timeout: 30_000 });
      await row.getByRole('button').first().click();
      await expect(page.getByTestId('run-status').first()).toHaveText('paused');
      await page.getByTestId('train-resume').click();
      const resumed = last > 0 ? `resumed from checkpoint at step ${last}` : 'training examples';
      await expect(page.getByTestId('train-log')).toContainText(resumed, { timeout: 120_000 });
      results.push({ moment, resumedFrom: last, listed: stored.steps, orphans: stored.orphans, corrupted: stored.corrupted, datasetsIntact });
      console.log(`kill ${k + 1}/${KILLS} ${JSON.stringify(moment)}: checkpoints ${JSON.stringify(stored.steps)}, resumed from step ${last}` +
        `${stored.corrupted.length ? `, CORRUPTED ${stored.corrupted.join('; ')}` : ''}${stored.orphans.length ? `, orphans ${stored.orphans.join(', ')}` : ''}${datasetsIntact ? '' : ', DATASETS CHANGED'}`);
    }
    await expect(page.getByTestId('run-status').first()).toHaveText('done', { timeout: STEPS * 30_000 });
    const final = await metricsOf(page, runId);

    // The figures for docs/reliability.md, then the targets.
    const resumedOk = results.filter((r) => r.listed.length === 0 || r.resumedFrom === Math.max(...r.listed)).length;
    const corrupted = results.reduce((n, r) => n + r.corrupted.length, 0);
    const lost = results.filter((r) => !r.datasetsIntact).length;
    const worst = Math.max(...final.map((r, i) => Math.abs(wf.metric(r) - wf.metric(reference[i])) / Math.max(1, Math.abs(wf.metric(reference[i])))));
    const inside = results.filter((r) => r.moment.kind === 'inside-checkpoint-write').length;
    console.log(`killed tab (${wf.name}, seed ${SEED}): ${resumedOk}/${KILLS} resumed from their last complete checkpoint (${inside} kills inside a checkpoint write), ` +
      `${corrupted} corrupted checkpoints, ${lost} kills that changed a dataset, largest relative loss difference to the uninterrupted run ${worst.toExponential(2)} over ${STEPS} steps`);
    expect(resumedOk).toBe(KILLS);
    expect(corrupted).toBe(0);
    expect(results.flatMap((r) => r.orphans)).toEqual([]);
    expect(lost).toBe(0);
    expect(final.map((r) => r.step)).toEqual(reference.map((r) => r.step));
    expect(worst).toBeLessThan(1e-5);
    await context.close();
  });
}
