// Supervised fine-tuning: the SFT config plus its loss (cross-entropy on assistant tokens), run by the shared loop.
import type { DatasetExample } from '../data/conversation.ts';
import { crossEntropy, IGNORE_TARGET, type Engine } from '../engine/index.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { ToolEnvironment } from '../tools/environment.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { Rng } from '../util/rng.ts';
import { batchStream, type PaddedBatch } from './batching.ts';
import type { CheckpointStore } from './checkpoint.ts';
import { evalSteps, evalSummary, evaluateByGeneration } from './eval-generation.ts';
import { runLoop, type LoopHooks, type LoopOutcome, type LoopTrainer } from './loop.ts';
import type { SftConfig } from './sft-config.ts';
import { prepareSftExamples, type PreparedSft } from './sft-data.ts';
import { loopConfigFor, totalStepsFor } from './training-config.ts';

export interface SftRunInputs {
  runId: string;
  engine: Engine;
  model: QwenModel;
  tokenizer: ChatTokenizer;
  config: SftConfig;
  train: readonly DatasetExample[];
  eval: readonly DatasetExample[];
  tools: ToolDefinition[];
  environment?: ToolEnvironment;
  store: CheckpointStore | null;
  /** Continue from the run's newest checkpoint when there is one. */
  resume: boolean;
  hooks?: LoopHooks;
}

export interface SftOutcome {
  outcome: LoopOutcome;
  prepared: PreparedSft;
  totalSteps: number;
}

/** Optimizer steps the config asks for. */
export function sftTotalSteps(config: SftConfig, examples: number): number {
  return totalStepsFor(config, examples);
}

/**
 * The SFT loss of one padded batch: mean cross-entropy over the assistant tokens. (1)
 * 'gathered' (default) sends only the rows with a target through the LM head, a chunk at a time: prompt and
 * padding rows cost no head compute and the (B·T, V) logits never exist. 'full' computes every row's logits,
 * the plain formula the gathered path is tested against.
 */
export function sftLoss(model: QwenModel, batch: PaddedBatch, mode: 'gathered' | 'full' = 'gathered') {
  const e = model.e;
  const N = batch.batchSize * batch.seqLen;
  const targets = Uint32Array.from(batch.targets, (t) => (t < 0 ? IGNORE_TARGET : t));
  const tokens = { ids: batch.ids, mask: batch.attention, B: batch.batchSize, T: batch.seqLen };
  if (mode === 'gathered') return model.lmLoss(model.forward(tokens, { logits: false }).hidden, targets);
  const logits = model.forward(tokens).logits; // (B·T, V)
  return crossEntropy(logits, e.tensor(targets, [N], 'u32', 'targets'));
}

export async function runSft(inp: SftRunInputs): Promise<SftOutcome> {
  const { config: c, model, tokenizer, hooks = {} } = inp;
  const renderTools = c.prompt_tools === 'none' ? [] : undefined;
  const prepared = prepareSftExamples(tokenizer, inp.train, inp.tools, c.max_seq_len, renderTools);
  hooks.onLog?.(
    `${prepared.examples.length} training examples, ${prepared.tokens} tokens (longest ${prepared.maxLen})` +
      (prepared.truncated ? `, ${prepared.truncated} truncated to max_seq_len ${c.max_seq_len}` : '') +
      (prepared.dropped ? `, ${prepared.dropped} dropped (no assistant tokens left)` : ''),
  );
  const totalSteps = sftTotalSteps(c, prepared.examples.length);
  const resumeFrom = inp.resume && inp.store ? await inp.store.latest(inp.runId) : null;
  const steps = evalSteps(inp.eval, c.eval_max_examples);

  const trainer: LoopTrainer = {
    engine: inp.engine,
    params: model.trainableParams(),
    loss: (batch) => sftLoss(model, batch),
    rng: { get: () => model.dropoutRng.getState(), set: (s) => (model.dropoutRng = new Rng(s)) },
  };
  const evaluate = steps.length
    ? async (step: number) => {
        model.training = false;
        try {
          const r = await evaluateByGeneration(model, tokenizer, steps, { tools: inp.tools, renderTools, environment: inp.environment });
          return evalSummary(step, r.report);
        } finally {
          model.training = true;
        }
      }
    : undefined;

  model.training = true;
  model.checkpointLayers = c.gradient_checkpointing;
  const stream = batchStream(prepared.examples, c.batch_size, c.seed, tokenizer.padId, resumeFrom?.data);
  try {
    const outcome = await runLoop(
      trainer,
      loopConfigFor(c, inp.runId, totalSteps, prepared.examples.length),
      stream,
      inp.store,
      { ...hooks, evaluate },
      resumeFrom,
    );
    return { outcome, prepared, totalSteps };
  } finally {
    model.training = false;
  }
}
