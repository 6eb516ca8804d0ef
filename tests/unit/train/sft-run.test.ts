// SFT on the GPU (tiny model, small batches): exact resume after an interruption, NaN/Inf steps skipped
// and then stopped, assistant-only loss masks, and a loss that goes down.
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsCheckpointStore } from '../../../src/cli/fs-checkpoint-store.ts';
import { checkpointFiles } from '../../../src/train/export.ts';
import { loadAdapter } from '../../../src/model/peft.ts';
import { mapProvider } from '../../../src/model/byte-source.ts';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { Engine, scale } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import { loadTrainableModel } from '../../../src/train/load-model.ts';
import type { StepMetrics } from '../../../src/train/metrics.ts';
import { validateSftConfig, type SftConfig } from '../../../src/train/sft-config.ts';
import { prepareSftExamples } from '../../../src/train/sft-data.ts';
import { runSft, sftLoss } from '../../../src/train/sft.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

const toolSet = JSON.parse(readFileSync('public/tools/enterprise_tools.json', 'utf8')) as ToolDefinition[];
const train = readDatasetText(readFileSync('public/data/sft_data.jsonl', 'utf8'), { tools: toolSet }).examples.slice(0, 24);
// Rendering without the tool list keeps sequences short (~50 tokens): little GPU work on CPU adapters.
const tools: ToolDefinition[] = [];

function config(over: Record<string, unknown>): SftConfig {
  return validateSftConfig({
    model_name: 'builtin:tiny', finetune: 'full', batch_size: 2, max_seq_len: 96, learning_rate: 0.003,
    warmup_steps: 1, max_steps: 4, seed: 7, logging_steps: 1, ...over,
  });
}

let dir = '';
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'sft-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe.each(testAdapters())('SFT on %s', (choice) => {
  async function session(c: SftConfig) {
    const ctx = await gpuFor(choice);
    const engine = new Engine(ctx);
    const { model, tokenizer } = await loadTrainableModel(engine, folderProvider('public/models/tiny'), {
      finetune: c.finetune as 'full' | 'lora', lora: c.lora, chatTemplate: 'model', seed: c.seed, maxPositions: 256,
    });
    return { engine, model, tokenizer };
  }

  it('a run interrupted by a pause and resumed from its checkpoint gives exactly the losses of an uninterrupted run', async () => {
    const c = config({ max_steps: 4 });
    const losses = async (runId: string, pauseAt: number | null) => {
      const store = new FsCheckpointStore(join(dir, choice));
      const rows: StepMetrics[] = [];
      const s1 = await session(c);
      let r = await runSft({
        runId, engine: s1.engine, model: s1.model, tokenizer: s1.tokenizer, config: c, train, eval: [], tools, store, resume: false,
        hooks: { onStep: (m) => void rows.push(m), control: () => (pauseAt !== null && rows.length >= pauseAt ? 'pause' : 'continue') },
      });
      if (pauseAt !== null) {
        // Metrics arrive one step late (readbacks never stall the GPU), so the pause lands at pauseAt or one after.
        expect(r.outcome.status).toBe('paused');
        expect([pauseAt, pauseAt + 1]).toContain(r.outcome.step);
        // A fresh model (as after a reload): everything comes from the checkpoint.
        const s2 = await session(c);
        r = await runSft({ runId, engine: s2.engine, model: s2.model, tokenizer: s2.tokenizer, config: c, train, eval: [], tools, store, resume: true, hooks: { onStep: (m) => void rows.push(m) } });
      }
      expect(r.outcome.status).toBe('done');
      return rows.map((m) => m.loss);
    };
    const whole = await losses('whole', null);
    const resumed = await losses('resumed', 2);
    expect(whole).toHaveLength(4);
    expect(resumed).toEqual(whole);
    expect(whole.every(Number.isFinite)).toBe(true);
  });

  it('with LoRA dropout and evaluation on the save steps, a run stopped after a save and resumed gives exactly the uninterrupted losses', async () => {
    // Evaluation generates (training off): it must not move the dropout RNG that the checkpoint saved before it.
    const c = config({
      finetune: 'lora', max_steps: 4, save_every: 2, eval_every: 2, eval_file: 'held-out.jsonl', eval_max_examples: 1,
      lora: { r: 4, alpha: 8, dropout: 0.1, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
    });
    const evalSet = readDatasetText(readFileSync('public/data/sft_data.jsonl', 'utf8'), { tools: toolSet }).examples.slice(30, 31);
    const losses = async (runId: string, stopAt: number | null) => {
      const store = new FsCheckpointStore(join(dir, `${choice}-dropout`));
      const rows: StepMetrics[] = [];
      let evals = 0;
      const s1 = await session(c);
      let r = await runSft({
        runId, engine: s1.engine, model: s1.model, tokenizer: s1.tokenizer, config: c, train, eval: evalSet, tools, store, resume: false,
        // Stop (no checkpoint of its own, like a closed tab) once the step-2 save and evaluation are done.
        hooks: { onStep: (m) => void rows.push(m), onEval: () => void evals++, control: () => (stopAt !== null && evals >= 1 ? 'stop' : 'continue') },
      });
      if (stopAt !== null) {
        expect(r.outcome).toEqual({ status: 'stopped', step: stopAt });
        expect((await store.latest(runId))!.step).toBe(stopAt);
        const s2 = await session(c);
        r = await runSft({ runId, engine: s2.engine, model: s2.model, tokenizer: s2.tokenizer, config: c, train, eval: evalSet, tools, store, resume: true, hooks: { onStep: (m) => void rows.push(m) } });
      } else expect(evals).toBeGreaterThanOrEqual(2);
      expect(r.outcome.status).toBe('done');
      return rows.map((m) => m.loss);
    };
    const whole = await losses('dropout-whole', null);
    const resumed = await losses('dropout-resumed', 2);
    expect(whole).toHaveLength(4);
    expect(resumed).toEqual(whole);
    // (Checked to fail when generation draws from the dropout RNG, as it did before masks were counter-based.)
    expect(whole.every(Number.isFinite)).toBe(true);
  });

  it('skips NaN steps without changing the weights and stops after max_nonfinite_steps with a clear message', async () => {
    const c = config({ max_steps: 10, max_nonfinite_steps: 3 });
    const { engine, model, tokenizer } = await session(c);
    const before = await model.trainableParams()[3].read();
    const prepared = prepareSftExamples(tokenizer, train, tools, c.max_seq_len);
    expect(prepared.examples.length).toBeGreaterThan(0);
    const { runLoop } = await import('../../../src/train/loop.ts');
    const { batchStream } = await import('../../../src/train/batching.ts');
    const rows: StepMetrics[] = [];
    const outcome = await runLoop(
      { engine, params: model.trainableParams(), loss: (b) => scale(sftLoss(model, b), Number.NaN), rng: { get: () => model.dropoutRng.getState(), set: () => {} } },
      { runId: 'nan', totalSteps: 10, gradientAccumulation: 1, learningRate: 0.01, schedule: 'constant', warmupSteps: 0, weightDecay: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, maxGradNorm: 1, loggingSteps: 1, evalEvery: 0, saveEvery: 0, saveTotalLimit: 1, maxNonFiniteSteps: 3, batchesPerEpoch: 12 },
      batchStream(prepared.examples, 2, 1, tokenizer.padId),
      null,
      { onStep: (m) => void rows.push(m) },
    );
    expect(outcome.status).toBe('failed');
    expect(outcome.status === 'failed' && outcome.error).toMatch(/3 steps in a row had NaN\/Inf.*Lower learning_rate/);
    expect(rows.filter((r) => r.skipped).length).toBe(2);
    const after = await model.trainableParams()[3].read();
    expect(Array.from(after)).toEqual(Array.from(before));
  });

  it('computes the same loss when only the assistant rows go through the LM head', async () => {
    const c = config({});
    const { model, tokenizer } = await session(c);
    const { padBatch } = await import('../../../src/train/batching.ts');
    const prepared = prepareSftExamples(tokenizer, train.slice(0, 3), tools, c.max_seq_len);
    const batch = padBatch(prepared.examples, [0, 1, 2], tokenizer.padId);
    const full = await sftLoss(model, batch, 'full').read();
    const chunked = await sftLoss(model, batch).read();
    expect(Math.abs(chunked[0] - full[0]) / full[0]).toBeLessThan(1e-5);
  });

  it('exports a LoRA checkpoint as the same PEFT adapter the trained model exports itself', async () => {
    const c = config({ finetune: 'lora', max_steps: 2, learning_rate: 0.01, lora: { r: 4, alpha: 8, target_modules: ['q_proj', 'v_proj'] } });
    const s = await session(c);
    const store = new FsCheckpointStore(join(dir, `${choice}-lora`));
    const r = await runSft({ runId: 'lora', engine: s.engine, model: s.model, tokenizer: s.tokenizer, config: c, train, eval: [], tools, store, resume: false });
    expect(r.outcome.status).toBe('done');
    const files = checkpointFiles((await store.latest('lora'))!, c);
    const fromCheckpoint = await loadAdapter(mapProvider(new Map(Object.entries(files))));
    const fromModel = await s.model.exportAdapter(c.model_name);
    expect([...fromCheckpoint.tensors.keys()]).toEqual([...fromModel.tensors.keys()]);
    expect(fromCheckpoint.tensors.size).toBe(2 * 2 * 2); // 2 layers x 2 targets x (A, B)
    for (const [key, t] of fromModel.tensors) expect(Array.from(fromCheckpoint.tensors.get(key)!.values)).toEqual(Array.from(t.values));
    // Training moved B away from its zero init.
    const someB = [...fromModel.tensors].find(([k]) => k.endsWith('lora_B.weight'))![1].values;
    expect(someB.some((v) => v !== 0)).toBe(true);
    expect(fromCheckpoint.lora).toMatchObject({ r: 4, alpha: 8 });
  });

  it('lowers the loss on the training data', async () => {
    const c = config({ max_steps: 8, learning_rate: 0.005 });
    const s = await session(c);
    const rows: StepMetrics[] = [];
    const r = await runSft({ runId: 'learn', engine: s.engine, model: s.model, tokenizer: s.tokenizer, config: c, train: train.slice(0, 4), eval: [], tools, store: null, resume: false, hooks: { onStep: (m) => void rows.push(m) } });
    expect(r.outcome.status).toBe('done');
    const first = rows[0].loss;
    const last = rows.at(-1)!.loss;
    // From about ln(V) = 7.8 nats: a drop of over one nat in 8 steps on 4 examples.
    expect(first).toBeGreaterThan(7);
    expect(last).toBeLessThan(first - 1);
  });
});

describe('SFT examples', () => {
  it('put the loss only on assistant tokens, and truncation is reported', async () => {
    const { ChatTokenizer } = await import('../../../src/tokenizer/tokenizer.ts');
    const tok = await ChatTokenizer.fromFiles(folderProvider('public/models/tiny'));
    const p = prepareSftExamples(tok, train.slice(0, 8), toolSet, 4096);
    for (const ex of p.examples) {
      const masked = tok.decode(Array.from(ex.ids).filter((_, i) => ex.lossMask[i]));
      expect(masked).not.toContain('<|im_start|>');
      expect(masked).toContain('<|im_end|>');
      const unmasked = tok.decode(Array.from(ex.ids).filter((_, i) => !ex.lossMask[i]));
      expect(unmasked).toContain('<|im_start|>user');
    }
    const first = train[0];
    expect(first.kind).toBe('sft');
    const call = first.kind === 'sft' ? first.conversation.turns.find((t) => t.role === 'assistant') : undefined;
    const ex0 = p.examples[0];
    const maskedText = tok.decode(Array.from(ex0.ids).filter((_, i) => ex0.lossMask[i]));
    if (call && call.role === 'assistant' && call.calls.length) expect(maskedText).toContain(call.calls[0].name);
    const short = prepareSftExamples(tok, train.slice(0, 8), toolSet, 40);
    expect(short.truncated + short.dropped).toBeGreaterThan(0);
    expect(short.examples.every((e) => e.ids.length <= 40)).toBe(true);
  });
});
