// The reward-model scoring API the eval CLI, the demo, the studio's inspector and the RL trainers use: load a
// reward model (a train output folder, a base model + SEQ_CLS adapter, or a studio run's checkpoint) and score
// (prompt, response) pairs in batches, rendered exactly as training renders them (rm-data.ts).
import type { Conversation, DatasetExample, Turn } from '../data/conversation.ts';
import type { Engine } from '../engine/index.ts';
import type { FileProvider } from '../model/byte-source.ts';
import { loadModel, type LoadedModel } from '../model/load.ts';
import { checkAdapterShapes, loadAdapter, SCORE_HEAD_KEY } from '../model/peft.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { Rng } from '../util/rng.ts';
import type { Checkpoint } from './checkpoint.ts';
import { loadTrainableModel, useChatTemplate } from './load-model.ts';
import { writeTensors } from './loop.ts';
import { renderResponse, type RenderTools } from './rm-data.ts';
import type { RmConfig } from './rm-config.ts';
import { preferenceReport, type LossSettings, type PreferenceReport } from '../eval/preference-report.ts';

export type { KindAccuracy, LossSettings, PreferenceReport, ScoredPair } from '../eval/preference-report.ts';

export interface RewardModel {
  model: QwenModel;
  tokenizer: ChatTokenizer;
  /** How prompts list tools, as in training. */
  render: RenderTools;
  /** What was loaded, for logs and reports. */
  label: string;
}

export interface ScoreItem {
  prompt: Conversation;
  response: Turn[];
}

/** One reward per item, in order. Items are scored in batches of similar length. */
export async function scoreConversations(rm: RewardModel, items: readonly ScoreItem[], opts: { batchSize?: number } = {}): Promise<Float32Array> {
  const seqs = items.map((it) => renderResponse(rm.tokenizer, it.prompt, it.response, rm.render));
  return scoreSequences(rm.model, seqs, rm.tokenizer.padId, opts.batchSize ?? 16);
}

/** Scores of tokenized sequences (right-padded batches, no gradient). The model's training flag and dropout RNG are left as they were. */
export async function scoreSequences(model: QwenModel, seqs: readonly Int32Array[], padId: number, batchSize = 16): Promise<Float32Array> {
  const e = model.e;
  if (e.tape) throw new Error('scoring needs no tape: call it between training steps, not inside a loss');
  const out = new Float32Array(seqs.length);
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
  const wasTraining = model.training;
  const rngState = model.dropoutRng.getState();
  model.training = false;
  try {
    for (let i = 0; i < order.length; i += batchSize) {
      const idx = order.slice(i, i + batchSize);
      const B = idx.length;
      const T = Math.max(1, ...idx.map((k) => seqs[k].length));
      const ids = new Int32Array(B * T).fill(padId);
      const mask = new Uint8Array(B * T);
      idx.forEach((k, b) => {
        if (seqs[k].length === 0) throw new Error(`item ${k} renders to no tokens`);
        ids.set(seqs[k], b * T);
        mask.fill(1, b * T, b * T + seqs[k].length);
      });
      const t = e.scope(() => model.sequenceScores(model.forward({ ids, mask, B, T }, { logits: false }).hidden, mask, B, T));
      const scores = await t.read();
      t.release();
      idx.forEach((k, b) => (out[k] = scores[b]));
    }
  } finally {
    model.training = wasTraining;
    model.dropoutRng = new Rng(rngState);
  }
  return out;
}

/** Scores both sides of every pair and summarises them as TRL's evaluation does (plus per-kind accuracy). */
export async function evaluatePreferences(rm: RewardModel, examples: readonly DatasetExample[], loss: LossSettings = { margin: 0, centerCoef: 0 }, opts: { batchSize?: number } = {}): Promise<PreferenceReport> {
  const pairs = examples.filter((x): x is Extract<DatasetExample, { kind: 'rm' }> => x.kind === 'rm');
  if (pairs.length === 0) throw new Error('no preference pairs to score (a file of {"prompt", "chosen", "rejected"} lines is needed)');
  const items = [...pairs.map((p) => ({ prompt: p.prompt, response: p.chosen })), ...pairs.map((p) => ({ prompt: p.prompt, response: p.rejected }))];
  const scores = await scoreConversations(rm, items, opts);
  return preferenceReport(
    pairs.map((p, i) => ({
      line: p.line, chosen: scores[i], rejected: scores[pairs.length + i],
      ...(p.rejectionKind ? { kind: p.rejectionKind } : {}), ...(p.margin !== undefined ? { margin: p.margin } : {}),
    })),
    loss,
  );
}

/** How a reward model renders its prompts: the tool set, whether prompts list it, which chat template. */
export interface RenderSettings {
  tools: ToolDefinition[];
  promptTools: 'listed' | 'none';
  chatTemplate: 'model' | 'compact';
}

const renderOf = (s: RenderSettings): RenderTools => ({ tools: s.tools, ...(s.promptTools === 'none' ? { renderTools: [] } : {}) });

/**
 * Loads a reward model from files: a folder with a SEQ_CLS adapter (adapter_config.json + adapter_model.safetensors,
 * score head included) on `base`, or a full Qwen*ForSequenceClassification folder (what full fine-tuning writes).
 * Adapters are merged into the base weights: scoring then costs what the base model costs.
 */
export async function loadRewardModel(e: Engine, src: { rm: FileProvider; base?: FileProvider; label?: string }, render: RenderSettings, opts: { f16Base?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<RewardModel> {
  let loaded: LoadedModel;
  let tokenizerFiles: FileProvider;
  if (await src.rm('adapter_config.json')) {
    if (!src.base) throw new Error('a reward-model adapter (adapter_config.json) needs its base model: give the base model folder');
    const adapter = await loadAdapter(src.rm);
    if (!adapter.tensors.has(SCORE_HEAD_KEY)) {
      throw new Error(`the adapter has no score head (${SCORE_HEAD_KEY}): it is not a reward model (PEFT task_type SEQ_CLS); task_type is ${JSON.stringify(adapter.configJson.task_type ?? null)}`);
    }
    loaded = await loadModel(e, src.base, { storage: opts.f16Base ? 'f16' : 'f32', trainable: false }, opts.onProgress);
    checkAdapterShapes(adapter, loaded.folder.config);
    loaded.model.addLora(adapter.lora, new Rng(0), adapter);
    loaded.model.mergeLora();
    tokenizerFiles = src.base;
  } else if (await src.rm('config.json')) {
    loaded = await loadModel(e, src.rm, { storage: opts.f16Base ? 'f16' : 'f32', trainable: false }, opts.onProgress);
    if (!loaded.model.scoreHead) {
      throw new Error(`${src.label ?? 'the folder'} holds a ${loaded.folder.config.arch} causal LM, not a reward model: its config.json needs Qwen2/Qwen3ForSequenceClassification and score.weight`);
    }
    tokenizerFiles = src.rm;
  } else {
    throw new Error(`${src.label ?? 'the folder'} has neither adapter_config.json (a SEQ_CLS adapter) nor config.json (a full reward model)`);
  }
  await useChatTemplate(loaded, tokenizerFiles, render.chatTemplate);
  return { model: loaded.model, tokenizer: loaded.tokenizer, render: renderOf(render), label: src.label ?? 'reward model' };
}

/** A studio run's reward model: the base model its config names with the checkpoint's trained weights. */
export async function rewardModelFromCheckpoint(e: Engine, baseFiles: FileProvider, config: RmConfig, ckpt: Checkpoint, tools: ToolDefinition[], label: string): Promise<RewardModel> {
  const loaded = await loadTrainableModel(e, baseFiles, {
    finetune: config.finetune, lora: config.lora, chatTemplate: config.chat_template, seed: config.seed, scoreHead: true,
  });
  const params = rewardModelParams(loaded.model);
  writeTensors(e, params, params.map((p) => p.label), ckpt.weights, `checkpoint of ${label}`);
  return { model: loaded.model, tokenizer: loaded.tokenizer, render: renderOf({ tools, promptTools: config.prompt_tools, chatTemplate: 'model' }), label };
}

/** What a reward model trains: LoRA factors (or every base weight) and the score head, never an untied LM head (no gradient reaches it). */
export function rewardModelParams(model: QwenModel) {
  return model.trainableParams().filter((p) => p.label !== 'lm_head.weight');
}
