// Reward modelling: TRL RewardTrainer's pairwise loss on the score head (read at each sequence's last token), run
// by the shared loop; held-out pairs scored with the same rendering (rm-score.ts) at eval_every and at the end.
import type { DatasetExample } from '../data/conversation.ts';
import { add, logSigmoid, maskedMean, mul, preferenceStats, reshape, scale, sub, type Engine, type Tensor } from '../engine/index.ts';
import { lastTokenRows, type QwenModel } from '../model/qwen.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { Rng } from '../util/rng.ts';
import type { CheckpointStore } from './checkpoint.ts';
import { runLoop, type LoopHooks, type LoopOutcome, type LoopTrainer, type LossOutput } from './loop.ts';
import type { EvalMetrics } from './metrics.ts';
import type { RmConfig } from './rm-config.ts';
import { pairStream, prepareRmPairs, type PairBatch, type PreparedRm, type RenderTools } from './rm-data.ts';
import { evaluatePreferences, rewardModelParams, type PreferenceReport, type RewardModel } from './rm-score.ts';
import { loopConfigFor, totalStepsFor } from './training-config.ts';

/**
 * TRL's reward loss for P pairs: mean −log σ(r_c − r_r − margin) + coef · mean (r_c + r_r)², with the logged
 * statistics (accuracy, margin, min/mean/max reward) computed beside it. chosen, rejected: (P, 1); margin (P) or
 * null (TRL subtracts a margin only when the data has a `margin` column); coef 0 leaves the centring term out.
 */
export function preferenceLoss(chosen: Tensor, rejected: Tensor, margin: Float32Array | null, centerCoef: number): Required<Pick<LossOutput, 'loss' | 'stats'>> {
  const e = chosen.engine;
  const P = chosen.size;
  if (rejected.size !== P) throw new Error(`preferenceLoss: ${P} chosen rewards but ${rejected.size} rejected`);
  if (margin && margin.length !== P) throw new Error(`preferenceLoss: ${margin.length} margins for ${P} pairs`);
  const ones = e.tensor(new Float32Array(P).fill(1), [P], 'f32', 'pairWeights');
  let z = sub(chosen, rejected); // (P, 1)
  if (margin) z = sub(z, e.tensor(margin, [P, 1], 'f32', 'margin'));
  let loss = scale(maskedMean(reshape(logSigmoid(z), [P]), ones), -1); // (1)
  if (centerCoef > 0) {
    const s = add(chosen, rejected);
    loss = add(loss, scale(maskedMean(reshape(mul(s, s), [P]), ones), centerCoef));
  }
  return { loss, stats: preferenceStats(e, chosen, rejected) };
}

export interface RmRunInputs {
  runId: string;
  engine: Engine;
  /** The model to train; it gets a fresh score head unless it has one (a SEQ_CLS checkpoint, a resumed adapter). */
  model: QwenModel;
  tokenizer: ChatTokenizer;
  config: RmConfig;
  train: readonly DatasetExample[];
  eval: readonly DatasetExample[];
  tools: ToolDefinition[];
  store: CheckpointStore | null;
  /** Continue from the run's newest checkpoint when there is one. */
  resume: boolean;
  hooks?: LoopHooks;
}

export interface RmOutcome {
  outcome: LoopOutcome;
  prepared: PreparedRm;
  totalSteps: number;
  /** The last evaluation on the held-out pairs (null without eval data). */
  finalEval: PreferenceReport | null;
}

/** The loss of one pair batch: both sides through the model, the score at each row's last token, TRL's loss. */
export function rmLoss(model: QwenModel, batch: PairBatch, centerCoef: number): Required<Pick<LossOutput, 'loss' | 'stats'>> {
  const B = 2 * batch.pairs;
  const { hidden } = model.forward({ ids: batch.ids, mask: batch.attention, B, T: batch.seqLen }, { logits: false });
  const rows = lastTokenRows(batch.attention, B, batch.seqLen);
  const chosen = model.scoresAt(hidden, rows.subarray(0, batch.pairs)); // (P, 1)
  const rejected = model.scoresAt(hidden, rows.subarray(batch.pairs)); // (P, 1)
  return preferenceLoss(chosen, rejected, batch.margins, centerCoef);
}

export async function runRm(inp: RmRunInputs): Promise<RmOutcome> {
  const { config: c, model, tokenizer, hooks = {} } = inp;
  const render: RenderTools = { tools: inp.tools, ...(c.prompt_tools === 'none' ? { renderTools: [] } : {}) };
  const prepared = prepareRmPairs(tokenizer, inp.train, render, c.max_seq_len);
  const kinds = new Set(prepared.pairs.map((p) => p.kind).filter(Boolean));
  hooks.onLog?.(
    `${prepared.pairs.length} training pairs, ${prepared.tokens} tokens (longest side ${prepared.maxLen})` +
      (kinds.size ? `, rejection kinds: ${[...kinds].sort().join(', ')}` : '') +
      (prepared.dropped ? `, ${prepared.dropped} left out (a side longer than max_seq_len ${c.max_seq_len})` : ''),
  );
  if (!model.scoreHead) model.addScoreHead(new Rng(c.seed ^ 0x5c0e));
  const totalSteps = totalStepsFor(c, prepared.pairs.length);
  const resumeFrom = inp.resume && inp.store ? await inp.store.latest(inp.runId) : null;
  const evalPairs = inp.eval.filter((x) => x.kind === 'rm').slice(0, c.eval_max_examples);
  const rm: RewardModel = { model, tokenizer, render, label: inp.runId };
  const lossSettings = { margin: c.margin, centerCoef: c.center_rewards_coefficient };
  let finalEval: PreferenceReport | null = null;

  const trainer: LoopTrainer<PairBatch> = {
    engine: inp.engine,
    params: rewardModelParams(model),
    loss: (batch) => rmLoss(model, batch, c.center_rewards_coefficient),
    rng: { get: () => model.dropoutRng.getState(), set: (s) => (model.dropoutRng = new Rng(s)) },
  };
  const evaluate = evalPairs.length
    ? async (step: number): Promise<EvalMetrics> => {
        finalEval = await evaluatePreferences(rm, evalPairs, lossSettings);
        return { step, examples: evalPairs.length, metrics: finalEval.metrics };
      }
    : undefined;

  model.training = true;
  model.checkpointLayers = c.gradient_checkpointing;
  const stream = pairStream(prepared.pairs, c.batch_size, c.seed, tokenizer.padId, c.margin, resumeFrom?.data);
  try {
    const outcome = await runLoop(trainer, loopConfigFor(c, inp.runId, totalSteps, prepared.pairs.length), stream, inp.store, { ...hooks, evaluate }, resumeFrom);
    return { outcome, prepared, totalSteps, finalEval };
  } finally {
    model.training = false;
  }
}
