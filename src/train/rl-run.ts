// What GRPO and PPO share around the loop: the prompts, the reward context, the rollout source, evaluation by
// free-running episodes, checkpointed trainer state, and the shared loop itself. A method supplies its rollout
// data (RolloutMethod) and its loss.
import type { DatasetExample } from '../data/conversation.ts';
import type { Engine, Tensor } from '../engine/index.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { ToolEnvironment } from '../tools/environment.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { Rng } from '../util/rng.ts';
import type { CheckpointStore } from './checkpoint.ts';
import { evaluateEpisodes } from './episode-eval.ts';
import { evalSummary } from './eval-generation.ts';
import { runLoop, type LoopHooks, type LoopOutcome, type LossOutput, type LoopTrainer } from './loop.ts';
import type { GrpoConfig } from './grpo-config.ts';
import type { PpoConfig } from './ppo-config.ts';
import type { RlBatch } from './rl-batch.ts';
import { turnTokenLimit } from './rl-config.ts';
import { rlPrompts, type RlPrompt } from './rl-prompts.ts';
import { ruleRewardConfig, type CodeReward, type RewardModelScorer, type RlRewardContext } from './rl-reward.ts';
import { RolloutSource, type CompletionRow, type RolloutMethod, type RolloutState } from './rollout.ts';

export interface RlHooks extends LoopHooks {
  /** Every rollout's episodes as completions-table rows. */
  onCompletions?(rows: CompletionRow[]): void | Promise<void>;
  /** What the run is doing while it is not stepping (a rollout's sampling, its optimisation, an evaluation), for a
   *  progress line: the studio shows it beside Pause, so a long rollout does not look like a hung run. */
  onPhase?(phase: string): void;
}

export interface RlRunInputs<C extends GrpoConfig | PpoConfig> {
  runId: string;
  engine: Engine;
  /** The policy: the start policy's weights frozen with a fresh RL adapter (src/train/load-policy.ts). */
  model: QwenModel;
  tokenizer: ChatTokenizer;
  config: C;
  train: readonly DatasetExample[];
  eval: readonly DatasetExample[];
  tools: ToolDefinition[];
  environment?: ToolEnvironment;
  store: CheckpointStore | null;
  resume: boolean;
  hooks?: RlHooks;
  rewardModel?: RewardModelScorer;
  /** Rewards written in code, added to the configured components. */
  codeRewards?: CodeReward[];
  /** Reads a reward YAML named by reward.rule (the CLI reads files; the studio fetches them). */
  readFile?: (path: string) => string;
}

export interface RlOutcome {
  outcome: LoopOutcome;
  prompts: RlPrompt[];
  totalSteps: number;
}

export interface RlMethodSpec {
  method: RolloutMethod;
  /** Optimizer steps per rollout. */
  stepsPerRollout: number;
  loss(batch: RlBatch): LossOutput;
  /** Learning-rate multipliers of some parameters (PPO's critic_learning_rate). */
  lrScale?: ReadonlyMap<Tensor, number>;
}

export async function runRl<C extends GrpoConfig | PpoConfig>(
  inp: RlRunInputs<C>, makeMethod: (ctx: RlRewardContext, prompts: RlPrompt[]) => RlMethodSpec,
): Promise<RlOutcome> {
  const { config: c, model, tokenizer, hooks = {} } = inp;
  const prompts = rlPrompts(inp.train);
  const renderTools = c.prompt_tools === 'none' ? [] : undefined;
  const reward: RlRewardContext = {
    tools: inp.tools, environment: inp.environment,
    rule: ruleRewardConfig(c.reward.rule, inp.readFile ?? (() => { throw new Error(`reward.rule "${c.reward.rule}" is not a preset, and no file reader was given`); })),
    weights: { rule: c.reward.rule_weight, chain: c.reward.chain_weight, reward_model: c.reward.reward_model_weight },
    rewardModel: inp.rewardModel,
    code: inp.codeRewards,
  };
  const needsReference = ('beta' in c && c.beta !== 0) || ('kl_coef' in c && c.kl_coef !== 0);
  if (needsReference && !model.lora) {
    throw new Error('the KL term needs the reference policy, which is this model with its RL adapter switched off, but the model has no adapter: load it with finetune: lora, or set beta / kl_coef to 0');
  }
  if ((c.finetune === 'lora') !== !!model.lora) throw new Error(`config says finetune: ${c.finetune} but the model was loaded ${model.lora ? 'with' : 'without'} a LoRA adapter`);
  const spec = makeMethod(reward, prompts);
  const rolloutsPerEpoch = Math.ceil((prompts.length * spec.method.group) / spec.method.size);
  const totalSteps = c.max_steps > 0 ? c.max_steps : Math.max(1, Math.ceil(c.num_train_epochs * rolloutsPerEpoch) * spec.stepsPerRollout);
  hooks.onLog?.(
    `${prompts.length} prompts; rollouts of ${spec.method.size} episodes (${spec.method.size / spec.method.group} prompts × ${spec.method.group}), ` +
      `${spec.stepsPerRollout} optimizer step(s) each; ${totalSteps} steps`,
  );
  const resumeFrom = inp.resume && inp.store ? await inp.store.latest(inp.runId) : null;
  // Micro-batches handed to the loop so far: the optimizer step a rollout's completions belong to.
  let handed = (resumeFrom?.step ?? 0) * c.gradient_accumulation_steps;
  const source = new RolloutSource(
    {
      model, tokenizer, prompts, tools: inp.tools, renderTools, environment: inp.environment, reward, seed: c.seed,
      temperature: c.temperature, topK: c.top_k, topP: c.top_p, maxTurns: c.max_turns, maxToolTurnTokens: c.max_tool_turn_tokens,
      stepOf: () => Math.floor(handed / c.gradient_accumulation_steps) + 1, onCompletions: hooks.onCompletions, onPhase: hooks.onPhase,
    },
    spec.method,
  );
  const batches = {
    next: async () => {
      const r = await source.next();
      handed++;
      return r;
    },
  };
  const trainer: LoopTrainer<RlBatch> = {
    engine: inp.engine,
    params: model.trainableParams(),
    lrScale: spec.lrScale,
    loss: (batch) => spec.loss(batch),
    rng: { get: () => model.dropoutRng.getState(), set: (s) => (model.dropoutRng = new Rng(s)) },
    state: { get: () => ({ rollout: source.getState() }), set: (s) => source.setState((s as { rollout: RolloutState }).rollout) },
  };
  const evalExamples = inp.eval.slice(0, c.eval_max_examples);
  const evaluate = evalExamples.length
    ? async (at: number) => {
        const wasTraining = model.training;
        model.training = false;
        hooks.onPhase?.(`evaluating: ${evalExamples.length} held-out episodes`);
        try {
          const r = await evaluateEpisodes(model, tokenizer, evalExamples, {
            tools: inp.tools, renderTools, environment: inp.environment, maxToolTurnTokens: c.max_tool_turn_tokens,
            maxCompletionLength: turnTokenLimit(c),
          });
          return evalSummary(at, r.report);
        } finally {
          model.training = wasTraining;
          hooks.onPhase?.('training');
        }
      }
    : undefined;
  model.training = true;
  model.checkpointLayers = c.gradient_checkpointing;
  const loopHooks: LoopHooks = { ...hooks, evaluate };
  try {
    const outcome = await runLoop(
      trainer,
      {
        runId: inp.runId, totalSteps, gradientAccumulation: c.gradient_accumulation_steps, learningRate: c.learning_rate,
        schedule: c.lr_scheduler_type, warmupSteps: c.warmup_steps, weightDecay: c.weight_decay,
        beta1: c.adam_beta1, beta2: c.adam_beta2, epsilon: c.adam_epsilon, maxGradNorm: c.max_grad_norm,
        loggingSteps: c.logging_steps, evalEvery: c.eval_every, saveEvery: c.save_every, saveTotalLimit: c.save_total_limit,
        maxNonFiniteSteps: c.max_nonfinite_steps, batchesPerEpoch: rolloutsPerEpoch,
      },
      batches,
      inp.store,
      loopHooks,
      resumeFrom,
    );
    return { outcome, prompts, totalSteps };
  } finally {
    model.training = false;
  }
}
