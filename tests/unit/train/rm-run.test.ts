// Reward-model training on the GPU (tiny model, sample pairs): a pair batch's loss and score-head gradient vs the
// float64 model, an interrupted and resumed run gives the uninterrupted losses, the loss falls and accuracy rises,
// and a LoRA run's checkpoint exports a SEQ_CLS adapter that scores the held-out pairs as the trained model does.
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsCheckpointStore } from '../../../src/cli/fs-checkpoint-store.ts';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { Engine } from '../../../src/engine/index.ts';
import { preferenceLossRef } from '../../../src/engine/cpu-reference/preference.ts';
import { mapProvider, memorySource } from '../../../src/model/byte-source.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { lastTokenRows } from '../../../src/model/qwen.ts';
import { refBackward, refForward, SCORE_HEAD } from '../../../src/model/reference/qwen-ref.ts';
import { readAllSafetensors, toFloat32 } from '../../../src/model/safetensors.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import { checkpointFiles } from '../../../src/train/export.ts';
import { loadTrainableModel } from '../../../src/train/load-model.ts';
import type { EvalMetrics, StepMetrics } from '../../../src/train/metrics.ts';
import { validateRmConfig, type RmConfig } from '../../../src/train/rm-config.ts';
import { padPairs, prepareRmPairs } from '../../../src/train/rm-data.ts';
import { evaluatePreferences, loadRewardModel } from '../../../src/train/rm-score.ts';
import { rmLoss, runRm } from '../../../src/train/rm.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

const toolSet = JSON.parse(readFileSync('public/tools/enterprise_tools.json', 'utf8')) as ToolDefinition[];
const pairs = readDatasetText(readFileSync('public/data/rm_data.jsonl', 'utf8'), { tools: toolSet }).examples;
const heldOut = readDatasetText(readFileSync('public/data/rm_eval.jsonl', 'utf8'), { tools: toolSet }).examples;
const train = pairs.slice(0, 16);
// prompt_tools: none keeps sequences short (~50 tokens): little GPU work on CPU adapters.
const config = (over: Record<string, unknown>): RmConfig =>
  validateRmConfig({
    model_name: 'builtin:tiny', finetune: 'full', prompt_tools: 'none', batch_size: 2, max_seq_len: 160, learning_rate: 0.003,
    warmup_steps: 1, max_steps: 4, seed: 7, logging_steps: 1, eval_file: '', ...over,
  });

let dir = '';
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'rm-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function session(choice: string, c: RmConfig) {
  const engine = new Engine(await gpuFor(choice as Parameters<typeof gpuFor>[0]));
  const loaded = await loadTrainableModel(engine, folderProvider('public/models/tiny'), {
    finetune: c.finetune as 'full' | 'lora', lora: c.lora, chatTemplate: 'model', seed: c.seed, maxPositions: 256, scoreHead: true,
  });
  return { engine, ...loaded };
}

describe.each(testAdapters())('reward-model pair batch on %s', (choice) => {

  it('a pair batch: loss and score-head gradient match the float64 model (chosen and rejected rows of one batch)', async () => {
    const c = config({ center_rewards_coefficient: 0.05 });
    const s = await session(choice, c);
    const prepared = prepareRmPairs(s.tokenizer, train.slice(0, 3), { tools: toolSet, renderTools: [] }, c.max_seq_len);
    // A margin on one pair, so the margin path runs too.
    prepared.pairs[1].margin = 0.7;
    const batch = padPairs(prepared.pairs, [0, 1, 2], s.tokenizer.padId);
    expect(batch.margins && Array.from(batch.margins)).toEqual([0, Math.fround(0.7), 0]);
    // Float64 model from the same weights and head.
    const { tensors } = await readAllSafetensors(memorySource('m', readFileSync('public/models/tiny/model.safetensors')));
    const params = new Map(tensors.map((t) => [t.name, Float64Array.from(toFloat32(t))]));
    params.set(SCORE_HEAD, Float64Array.from(await s.model.scoreHead!.read()));
    const B = 2 * batch.pairs;
    const input = { ids: batch.ids, mask: batch.attention, B, T: batch.seqLen };
    const fwd = refForward(s.folder.config, params, input);
    const rows = lastTokenRows(batch.attention, B, batch.seqLen);
    const rc = Float64Array.from(rows.subarray(0, 3), (r) => fwd.values![r]);
    const rr = Float64Array.from(rows.subarray(3), (r) => fwd.values![r]);
    const want = preferenceLossRef(rc, rr, Float64Array.from(batch.margins!), c.center_rewards_coefficient);
    const dValues = new Float64Array(B * batch.seqLen);
    rows.forEach((r, b) => (dValues[r] = b < 3 ? want.dChosen[b] : want.dRejected[b - 3]));
    const ref = refBackward(s.folder.config, params, fwd, new Float64Array(B * batch.seqLen * s.folder.config.vocabSize), dValues);

    const { startTape } = await import('../../../src/engine/index.ts');
    const tape = startTape(s.engine);
    const { loss, stats } = rmLoss(s.model, batch, c.center_rewards_coefficient);
    tape.backward(loss);
    const got = (await loss.read())[0];
    expect(Math.abs(got - want.loss) / want.loss).toBeLessThan(1e-4);
    const g = await s.model.scoreHead!.grad!.read();
    const gRef = ref.grads.get(SCORE_HEAD)!;
    const err = Math.max(...Array.from(g, (v, i) => Math.abs(v - gRef[i]))) / Math.max(...Array.from(gRef, Math.abs));
    expect(err).toBeLessThan(1e-3);
    const embedGrad = await s.model.baseTensors()[0][1].grad!.read();
    expect(embedGrad.some((v) => v !== 0)).toBe(true); // the gradient reaches the trunk
    expect((await stats.accuracy.read())[0]).toBe(Math.fround([0, 1, 2].filter((i) => rc[i] > rr[i]).length / 3));
    tape.dispose();
  });
});

// Whole runs on the first adapter only (SwiftShader is several times slower here).
describe.each(testAdapters().slice(0, 1))('reward-model training on %s', (choice) => {
  it('a run interrupted by a pause and resumed from its checkpoint gives exactly the losses and accuracies of an uninterrupted run', async () => {
    const c = config({ max_steps: 4 });
    const run = async (runId: string, pauseAt: number | null) => {
      const store = new FsCheckpointStore(join(dir, choice));
      const rows: StepMetrics[] = [];
      const s1 = await session(choice, c);
      let r = await runRm({
        runId, engine: s1.engine, model: s1.model, tokenizer: s1.tokenizer, config: c, train, eval: [], tools: toolSet, store, resume: false,
        hooks: { onStep: (m) => void rows.push(m), control: () => (pauseAt !== null && rows.length >= pauseAt ? 'pause' : 'continue') },
      });
      if (pauseAt !== null) {
        expect(r.outcome.status).toBe('paused');
        const s2 = await session(choice, c); // a fresh model, as after a reload
        r = await runRm({ runId, engine: s2.engine, model: s2.model, tokenizer: s2.tokenizer, config: c, train, eval: [], tools: toolSet, store, resume: true, hooks: { onStep: (m) => void rows.push(m) } });
      }
      expect(r.outcome.status).toBe('done');
      return rows;
    };
    const whole = await run('whole', null);
    const resumed = await run('resumed', 2);
    expect(whole).toHaveLength(4);
    expect(resumed.map((m) => m.loss)).toEqual(whole.map((m) => m.loss));
    expect(resumed.map((m) => m.metrics)).toEqual(whole.map((m) => m.metrics));
    for (const m of whole) {
      expect(Object.keys(m.metrics!).sort()).toEqual(['accuracy', 'margin', 'max_reward', 'mean_reward', 'min_reward']);
      expect(m.metrics!.min_reward).toBeLessThanOrEqual(m.metrics!.max_reward);
    }
  });

  it('learns: the loss falls and pair accuracy on the training pairs rises', async () => {
    const c = config({ max_steps: 24, batch_size: 4, learning_rate: 0.003, lr_scheduler_type: 'constant' });
    const s = await session(choice, c);
    const rows: StepMetrics[] = [];
    const evals: EvalMetrics[] = [];
    const r = await runRm({
      runId: 'learn', engine: s.engine, model: s.model, tokenizer: s.tokenizer, config: c, train: train.slice(0, 8), eval: train.slice(0, 8), tools: toolSet, store: null, resume: false,
      hooks: { onStep: (m) => void rows.push(m), onEval: (m) => void evals.push(m) },
    });
    expect(r.outcome.status).toBe('done');
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(rows.slice(-4).map((m) => m.loss))).toBeLessThan(mean(rows.slice(0, 4).map((m) => m.loss)) - 0.2);
    expect(evals).toHaveLength(1);
    expect(evals[0].metrics!.accuracy).toBeGreaterThanOrEqual(0.875);
    // Per rejection kind: the sample pairs name theirs.
    expect(Object.keys(evals[0].metrics!).some((k) => k.startsWith('accuracy/'))).toBe(true);
  });

  it('a LoRA run exports a PEFT SEQ_CLS adapter that scores held-out pairs as the trained model does', async () => {
    const c = config({ finetune: 'lora', max_steps: 3, learning_rate: 0.01, lora: { r: 4, alpha: 8, target_modules: ['q_proj', 'v_proj'] } });
    const s = await session(choice, c);
    const store = new FsCheckpointStore(join(dir, `${choice}-lora`));
    const r = await runRm({ runId: 'lora', engine: s.engine, model: s.model, tokenizer: s.tokenizer, config: c, train, eval: [], tools: toolSet, store, resume: false });
    expect(r.outcome.status).toBe('done');
    const files = checkpointFiles((await store.latest('lora'))!, c);
    const cfg = JSON.parse(new TextDecoder().decode(files['adapter_config.json']));
    expect(cfg).toMatchObject({ task_type: 'SEQ_CLS', modules_to_save: ['classifier', 'score'], r: 4, lora_alpha: 8 });
    const render = { tools: toolSet, renderTools: [] };
    const trained = await evaluatePreferences({ model: s.model, tokenizer: s.tokenizer, render, label: 'trained' }, heldOut.slice(0, 6));
    const rmFromFiles = await loadRewardModel(s.engine, { rm: mapProvider(new Map(Object.entries(files))), base: folderProvider('public/models/tiny') }, { tools: toolSet, promptTools: 'none', chatTemplate: 'model' });
    const reloaded = await evaluatePreferences(rmFromFiles, heldOut.slice(0, 6));
    // The loaded adapter is merged into the base weights: equal up to f32 rounding of W + (alpha/r) B A.
    trained.pairs.forEach((p, i) => {
      expect(Math.abs(reloaded.pairs[i].chosen - p.chosen)).toBeLessThan(1e-4 * Math.max(1, Math.abs(p.chosen)));
      expect(Math.abs(reloaded.pairs[i].rejected - p.rejected)).toBeLessThan(1e-4 * Math.max(1, Math.abs(p.rejected)));
    });
  });
});
