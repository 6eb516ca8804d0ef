// How each key of the studio's GRPO and PPO configs (src/train/grpo-config.ts, ppo-config.ts, the shared keys of
// rl-config.ts) maps onto TRL (GRPOConfig / PPOConfig keyword arguments and the script around them) and onto verl
// (Hydra overrides of verl.trainer.main_ppo): one entry per table key and engine, so a key added to either table
// does not compile until it says where it goes in both. Keys without a counterpart say why, in the generated files.
import type { ConfigOf } from '../train/config-schema.ts';
import { grpoStepsPerGeneration, type GrpoConfig } from '../train/grpo-config.ts';
import { ppoRolloutSize, type PpoConfig } from '../train/ppo-config.ts';
import type { rlCommonTable } from '../train/rl-config.ts';

export type RlCommonConfig = ConfigOf<ReturnType<typeof rlCommonTable>>;

/** Where a studio key goes in one engine. */
export type EngineTarget<C> =
  /** Config keys (TRL keyword arguments, verl Hydra override paths) and their values. */
  | { set: (c: C) => Record<string, unknown>; note?: string }
  /** Handled by the exported files instead (dataset files, the reward, the model path). */
  | { script: string }
  /** No counterpart in that engine: said in the generated files. */
  | { none: string };

export interface RlKeyMapping<C> {
  trl: EngineTarget<C>;
  verl: EngineTarget<C>;
}

const set = <C>(f: (c: C) => Record<string, unknown>, note?: string): EngineTarget<C> => (note ? { set: f, note } : { set: f });
const script = <C>(s: string): EngineTarget<C> => ({ script: s });
const none = <C>(s: string): EngineTarget<C> => ({ none: s });

const ACTOR = 'actor_rollout_ref.actor';
const ROLLOUT = 'actor_rollout_ref.rollout';

/**
 * The tokens a whole episode may take: TRL's and verl's length limits cover the completion with every turn and
 * tool result in it, the studio's cover one turn (max_completion_length / response_length) and one tool result
 * (max_tool_turn_tokens) each.
 */
export function episodeBudget(c: RlCommonConfig, perTurn: number): number {
  return perTurn * c.max_turns + c.max_tool_turn_tokens * (c.max_turns - 1);
}
const BUDGET_NOTE = 'the studio limits each turn; the engine limits the whole multi-turn completion: turns x this + tool results x max_tool_turn_tokens';

const RL_COMMON: { [K in keyof RlCommonConfig]: RlKeyMapping<RlCommonConfig> } = {
  model_name: { trl: script('MODEL: the start policy (builtin:tiny travels as model/)'), verl: script('MODEL_PATH in run_verl.sh (builtin:tiny travels as model/)') },
  train_file: {
    trl: script('data/prompts_train.jsonl: the prompts the studio draws (split at the first assistant turn; the rest is the reference)'),
    verl: script('data/train.parquet: the prompts the studio draws'),
  },
  tools_file: { trl: script('tools.json, and trl_env.py: each tool a method of the rollout environment'), verl: script('tool_config.yaml + verl_tools.py') },
  eval_file: {
    trl: none('the studio evaluates by free-running episodes; the TRL script trains only (evaluate its output with npm run eval)'),
    verl: script('data/val.parquet: validation rollouts scored by verl_reward.py'),
  },
  output_dir: { trl: set((c) => ({ output_dir: c.output_dir })), verl: set((c) => ({ 'trainer.default_local_dir': c.output_dir })) },
  reward_model: {
    trl: script('REWARD_MODEL: a sequence-classification model folder (the reward-model run merged), given to TRL as a reward function / reward_model'),
    verl: none("verl's reward-model worker replaces the rule reward in its naive reward manager rather than adding to it: the export scores with the rule and chain rewards only"),
  },
  reward: {
    trl: script('REWARD_RULE, REWARD_WEIGHTS: rl_reward.py (the rule reward averaged over turns, the chain reward) as reward functions, reward_weights = the weights'),
    verl: script('verl_reward.py: compute_score is rl_reward.py on the decoded turns, weighted'),
  },
  max_turns: {
    trl: set((c) => ({ max_tool_calling_iterations: c.max_turns - 1 }), 'TRL counts the tool rounds between assistant turns'),
    verl: set((c) => ({ [`${ROLLOUT}.multi_turn.max_assistant_turns`]: c.max_turns })),
  },
  max_tool_turn_tokens: {
    trl: none('TRL has no per-result token budget (the completion limit covers tool results)'),
    verl: none("verl's multi_turn.max_tool_response_length counts characters and truncates instead of ending the episode"),
  },
  temperature: { trl: set((c) => ({ temperature: c.temperature })), verl: set((c) => ({ [`${ROLLOUT}.temperature`]: c.temperature })) },
  top_k: { trl: set((c) => ({ top_k: c.top_k })), verl: set((c) => ({ [`${ROLLOUT}.top_k`]: c.top_k > 0 ? c.top_k : -1 }), 'verl: -1 is off') },
  top_p: { trl: set((c) => ({ top_p: c.top_p })), verl: set((c) => ({ [`${ROLLOUT}.top_p`]: c.top_p })) },
  num_train_epochs: { trl: set((c) => ({ num_train_epochs: c.num_train_epochs })), verl: set((c) => ({ 'trainer.total_epochs': Math.max(1, Math.ceil(c.num_train_epochs)) }), 'verl counts whole epochs') },
  max_steps: { trl: set((c) => ({ max_steps: c.max_steps })), verl: none('set per method') },
  learning_rate: { trl: set((c) => ({ learning_rate: c.learning_rate })), verl: set((c) => ({ [`${ACTOR}.optim.lr`]: c.learning_rate })) },
  per_device_train_batch_size: {
    trl: set((c) => ({ per_device_train_batch_size: c.per_device_train_batch_size })),
    verl: set((c) => ({ [`${ACTOR}.ppo_micro_batch_size_per_gpu`]: c.per_device_train_batch_size, [`${ROLLOUT}.log_prob_micro_batch_size_per_gpu`]: c.per_device_train_batch_size, 'actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu': c.per_device_train_batch_size })),
  },
  gradient_accumulation_steps: { trl: set((c) => ({ gradient_accumulation_steps: c.gradient_accumulation_steps })), verl: none('set per method') },
  lr_scheduler_type: {
    // HF's "constant" ignores warmup; the studio warms up, then holds.
    trl: set((c) => ({ lr_scheduler_type: c.lr_scheduler_type === 'constant' && c.warmup_steps > 0 ? 'constant_with_warmup' : c.lr_scheduler_type })),
    verl: set((c) => ({ [`${ACTOR}.optim.warmup_style`]: c.lr_scheduler_type === 'cosine' ? 'cosine' : 'constant' }), 'verl schedules constant or cosine: a linear decay runs constant'),
  },
  warmup_steps: { trl: set((c) => ({ warmup_steps: c.warmup_steps })), verl: set((c) => ({ [`${ACTOR}.optim.lr_warmup_steps`]: c.warmup_steps })) },
  weight_decay: { trl: set((c) => ({ weight_decay: c.weight_decay, optim: 'adamw_torch' }), 'decoupled AdamW, as the studio'), verl: set((c) => ({ [`${ACTOR}.optim.weight_decay`]: c.weight_decay }), "verl's default is 0.01") },
  adam_beta1: { trl: set((c) => ({ adam_beta1: c.adam_beta1 })), verl: none("verl's AdamW keeps torch's betas (0.9, 0.999)") },
  adam_beta2: { trl: set((c) => ({ adam_beta2: c.adam_beta2 })), verl: none("verl's AdamW keeps torch's betas (0.9, 0.999)") },
  adam_epsilon: { trl: set((c) => ({ adam_epsilon: c.adam_epsilon })), verl: none("verl's AdamW keeps torch's eps (1e-8)") },
  max_grad_norm: { trl: set((c) => ({ max_grad_norm: c.max_grad_norm }), '0 disables clipping in both'), verl: set((c) => ({ [`${ACTOR}.grad_clip`]: c.max_grad_norm })) },
  seed: { trl: set((c) => ({ seed: c.seed, data_seed: c.seed }), 'same seed, different generators: prompts are drawn in another order'), verl: none('verl seeds its own data loader') },
  logging_steps: { trl: set((c) => ({ logging_steps: c.logging_steps })), verl: none('verl logs every step') },
  eval_every: {
    trl: none('no evaluation during TRL training (see eval_file)'),
    verl: set((c) => ({ 'trainer.test_freq': c.eval_every > 0 ? c.eval_every : -1 })),
  },
  eval_max_examples: { trl: none('no evaluation during TRL training (see eval_file)'), verl: script('data/val.parquet holds at most this many prompts') },
  save_every: {
    trl: set((c) => (c.save_every > 0 ? { save_strategy: 'steps', save_steps: c.save_every } : { save_strategy: 'epoch' })),
    verl: set((c) => ({ 'trainer.save_freq': c.save_every > 0 ? c.save_every : -1 })),
  },
  save_total_limit: { trl: set((c) => ({ save_total_limit: c.save_total_limit })), verl: set((c) => ({ 'trainer.max_actor_ckpt_to_keep': c.save_total_limit })) },
  max_nonfinite_steps: {
    trl: none('TRL has no NaN/Inf step skipping (the studio skips such a step on the GPU and stops after this many in a row)'),
    verl: none('verl has no NaN/Inf step skipping'),
  },
  chat_template: {
    trl: script('chat_template.jinja: the template the studio rendered with, set as the tokenizer\'s chat_template'),
    verl: script("verl renders with the model folder's template: chat_template.jinja holds the run's (copy it into tokenizer_config.json where they differ)"),
  },
  prompt_tools: { trl: script('the environment\'s tools are rendered into every prompt'), verl: script('the tool_config.yaml tools are rendered into every prompt') },
  gradient_checkpointing: {
    trl: set((c) => ({ gradient_checkpointing: c.gradient_checkpointing })),
    verl: set((c) => ({ 'actor_rollout_ref.model.enable_gradient_checkpointing': c.gradient_checkpointing })),
  },
  finetune: { trl: script('LORA: peft LoraConfig for lora, None (every weight trains) for full'), verl: script('lora_rank 0 (every weight trains) for full') },
  lora: {
    trl: script('LORA: r -> r, alpha -> lora_alpha, dropout -> lora_dropout, target_modules -> target_modules'),
    verl: set((c) => (c.finetune === 'full'
      ? { 'actor_rollout_ref.model.lora_rank': 0 }
      : { 'actor_rollout_ref.model.lora_rank': c.lora.r, 'actor_rollout_ref.model.lora_alpha': c.lora.alpha, 'actor_rollout_ref.model.target_modules': c.lora.target_modules }), 'verl has no LoRA dropout'),
  },
};

/** Prompts per GRPO rollout and per optimizer step (verl counts prompts; each is sampled num_generations times). */
function grpoPrompts(c: GrpoConfig) {
  const rollout = (c.per_device_train_batch_size * grpoStepsPerGeneration(c)) / c.num_generations;
  const step = Math.max(1, Math.round((c.per_device_train_batch_size * c.gradient_accumulation_steps) / c.num_generations));
  return { rollout, step };
}

export const GRPO_TO_ENGINES: { [K in keyof GrpoConfig]: RlKeyMapping<GrpoConfig> } = {
  ...RL_COMMON,
  max_steps: {
    trl: set((c) => ({ max_steps: c.max_steps })),
    verl: set((c) => (c.max_steps > 0 ? { 'trainer.total_training_steps': Math.ceil((c.max_steps * c.gradient_accumulation_steps) / (grpoStepsPerGeneration(c) * c.num_iterations)) } : {}), 'verl counts rollouts: optimizer steps / steps per rollout'),
  },
  gradient_accumulation_steps: {
    trl: set((c) => ({ gradient_accumulation_steps: c.gradient_accumulation_steps })),
    verl: set((c) => ({ [`${ACTOR}.ppo_mini_batch_size`]: grpoPrompts(c).step }), 'prompts per optimizer step: per_device_train_batch_size x gradient_accumulation_steps / num_generations'),
  },
  num_generations: { trl: set((c) => ({ num_generations: c.num_generations })), verl: set((c) => ({ [`${ROLLOUT}.n`]: c.num_generations })) },
  max_completion_length: {
    trl: set((c) => ({ max_completion_length: episodeBudget(c, c.max_completion_length) }), BUDGET_NOTE),
    verl: set((c) => ({ 'data.max_response_length': episodeBudget(c, c.max_completion_length) }), BUDGET_NOTE),
  },
  steps_per_generation: {
    trl: set((c) => ({ steps_per_generation: grpoStepsPerGeneration(c) }), '0 in the studio = gradient_accumulation_steps, TRL\'s default'),
    verl: set((c) => ({ 'data.train_batch_size': grpoPrompts(c).rollout }), 'prompts per rollout: per_device_train_batch_size x steps_per_generation / num_generations'),
  },
  num_iterations: { trl: set((c) => ({ num_iterations: c.num_iterations })), verl: set((c) => ({ [`${ACTOR}.ppo_epochs`]: c.num_iterations })) },
  beta: {
    trl: set((c) => ({ beta: c.beta })),
    verl: set((c) => ({ [`${ACTOR}.use_kl_loss`]: c.beta > 0, [`${ACTOR}.kl_loss_coef`]: c.beta, [`${ACTOR}.kl_loss_type`]: 'low_var_kl' }), 'the k3 estimator, as TRL and the studio'),
  },
  epsilon: { trl: set((c) => ({ epsilon: c.epsilon })), verl: set((c) => ({ [`${ACTOR}.clip_ratio_low`]: c.epsilon })) },
  epsilon_high: {
    trl: set((c) => ({ epsilon_high: c.epsilon_high > 0 ? c.epsilon_high : c.epsilon }), '0 in the studio = epsilon'),
    verl: set((c) => ({ [`${ACTOR}.clip_ratio_high`]: c.epsilon_high > 0 ? c.epsilon_high : c.epsilon }), '0 in the studio = epsilon'),
  },
  loss_type: {
    trl: set((c) => ({ loss_type: c.loss_type })),
    verl: set((c) => ({ [`${ACTOR}.loss_agg_mode`]: { grpo: 'seq-mean-token-mean', dr_grpo: 'seq-mean-token-sum-norm', dapo: 'token-mean', bnpo: 'token-mean' }[c.loss_type] }), 'bnpo (micro-batch token mean) has no exact verl mode: token-mean over the mini-batch'),
  },
  scale_rewards: {
    trl: set((c) => ({ scale_rewards: c.scale_rewards })),
    verl: set((c) => ({ 'algorithm.norm_adv_by_std_in_grpo': c.scale_rewards !== 'none' }), 'verl divides by the group std or not at all: batch runs as group'),
  },
  mask_truncated_completions: { trl: set((c) => ({ mask_truncated_completions: c.mask_truncated_completions })), verl: none('verl keeps truncated responses in the loss') },
};

export const PPO_TO_ENGINES: { [K in keyof PpoConfig]: RlKeyMapping<PpoConfig> } = {
  ...RL_COMMON,
  reward: {
    trl: none("TRL's PPOTrainer scores with a reward model only: PPO with the rule and chain rewards is the verl export"),
    verl: script('verl_reward.py: compute_score is rl_reward.py on the decoded turns, weighted'),
  },
  max_turns: {
    trl: none("TRL's PPOTrainer samples one response per prompt, without tools"),
    verl: set((c) => ({ [`${ROLLOUT}.multi_turn.max_assistant_turns`]: c.max_turns })),
  },
  top_k: { trl: none('PPOConfig samples with temperature only'), verl: RL_COMMON.top_k.verl },
  top_p: { trl: none('PPOConfig samples with temperature only'), verl: RL_COMMON.top_p.verl },
  learning_rate: {
    trl: set((c) => ({ learning_rate: c.learning_rate })),
    verl: set((c) => ({ [`${ACTOR}.optim.lr`]: c.learning_rate })),
  },
  critic_learning_rate: {
    trl: none('PPOTrainer trains policy and value model with one optimizer at learning_rate'),
    verl: set((c) => ({ 'critic.optim.lr': c.critic_learning_rate || c.learning_rate }), 'critic_learning_rate, or learning_rate where it is 0'),
  },
  max_grad_norm: { trl: RL_COMMON.max_grad_norm.trl, verl: set((c) => ({ [`${ACTOR}.grad_clip`]: c.max_grad_norm, 'critic.grad_clip': c.max_grad_norm })) },
  weight_decay: { trl: RL_COMMON.weight_decay.trl, verl: set((c) => ({ [`${ACTOR}.optim.weight_decay`]: c.weight_decay, 'critic.optim.weight_decay': c.weight_decay }), "verl's default is 0.01") },
  per_device_train_batch_size: {
    trl: set((c) => ({ per_device_train_batch_size: c.per_device_train_batch_size, local_rollout_forward_batch_size: c.per_device_train_batch_size })),
    verl: set((c) => ({ ...(RL_COMMON.per_device_train_batch_size.verl as { set: (c: PpoConfig) => Record<string, unknown> }).set(c), 'critic.ppo_micro_batch_size_per_gpu': c.per_device_train_batch_size })),
  },
  max_steps: {
    trl: set((c) => (c.max_steps > 0 ? { total_episodes: Math.ceil(c.max_steps / (c.num_ppo_epochs * c.num_mini_batches)) * ppoRolloutSize(c) } : {}), 'TRL counts episodes per process: rollouts x episodes per rollout'),
    verl: set((c) => (c.max_steps > 0 ? { 'trainer.total_training_steps': Math.ceil(c.max_steps / (c.num_ppo_epochs * c.num_mini_batches)) } : {}), 'verl counts rollouts: optimizer steps / (num_ppo_epochs x num_mini_batches)'),
  },
  gradient_accumulation_steps: {
    trl: set((c) => ({ gradient_accumulation_steps: c.gradient_accumulation_steps })),
    verl: set((c) => ({ [`${ACTOR}.ppo_mini_batch_size`]: c.per_device_train_batch_size * c.gradient_accumulation_steps }), 'episodes per optimizer step'),
  },
  response_length: {
    trl: set((c) => ({ response_length: c.response_length })),
    verl: set((c) => ({ 'data.max_response_length': episodeBudget(c, c.response_length) }), BUDGET_NOTE),
  },
  num_mini_batches: {
    trl: set((c) => ({ num_mini_batches: c.num_mini_batches })),
    verl: set((c) => ({ 'data.train_batch_size': ppoRolloutSize(c) }), 'prompts per rollout: per_device_train_batch_size x gradient_accumulation_steps x num_mini_batches'),
  },
  num_ppo_epochs: { trl: set((c) => ({ num_ppo_epochs: c.num_ppo_epochs })), verl: set((c) => ({ [`${ACTOR}.ppo_epochs`]: c.num_ppo_epochs, 'critic.ppo_epochs': c.num_ppo_epochs })) },
  kl_coef: {
    trl: set((c) => ({ kl_coef: c.kl_coef })),
    verl: set((c) => ({ 'algorithm.use_kl_in_reward': c.kl_coef > 0, 'algorithm.kl_ctrl.type': 'fixed', 'algorithm.kl_ctrl.kl_coef': c.kl_coef }), 'a per-token KL penalty in the reward, as TRL and the studio'),
  },
  kl_estimator: { trl: set((c) => ({ kl_estimator: c.kl_estimator })), verl: set((c) => ({ 'algorithm.kl_penalty': c.kl_estimator === 'k3' ? 'low_var_kl' : 'kl' }), 'low_var_kl is k3 clipped to [-10, 10]') },
  cliprange: { trl: set((c) => ({ cliprange: c.cliprange })), verl: set((c) => ({ [`${ACTOR}.clip_ratio_low`]: c.cliprange, [`${ACTOR}.clip_ratio_high`]: c.cliprange })) },
  cliprange_value: { trl: set((c) => ({ cliprange_value: c.cliprange_value })), verl: set((c) => ({ 'critic.cliprange_value': c.cliprange_value })) },
  vf_coef: { trl: set((c) => ({ vf_coef: c.vf_coef })), verl: none("verl's critic is its own model with its own optimizer: no value-loss weight") },
  gamma: { trl: set((c) => ({ gamma: c.gamma })), verl: set((c) => ({ 'algorithm.gamma': c.gamma })) },
  lam: { trl: set((c) => ({ lam: c.lam })), verl: set((c) => ({ 'algorithm.lam': c.lam })) },
  whiten_rewards: { trl: set((c) => ({ whiten_rewards: c.whiten_rewards })), verl: none('verl does not whiten rewards before GAE') },
  critic: {
    trl: script("TRL's PPOTrainer always trains a separate value model: trl_ppo.py loads it from the reward model, as TRL's example does"),
    verl: script("verl's critic is always its own model: run_verl.sh gives it the policy's model path and LoRA"),
  },
  missing_eos_penalty: { trl: set((c) => (c.missing_eos_penalty > 0 ? { missing_eos_penalty: c.missing_eos_penalty, stop_token: 'eos' } : {})), verl: none('verl has no missing-EOS penalty') },
};

export interface EngineArg {
  key: string;
  value: unknown;
  /** The studio key it comes from, and why where the value differs. */
  comment: string;
}

/** The settings of one engine for a config, and a comment line for every key handled elsewhere or not at all. */
export function engineArgs<C>(table: { [K in keyof C]: RlKeyMapping<C> }, c: C, engine: 'trl' | 'verl'): { args: EngineArg[]; comments: string[] } {
  const args: EngineArg[] = [];
  const comments: string[] = [];
  for (const [studioKey, m] of Object.entries(table) as [string, RlKeyMapping<C>][]) {
    const t = m[engine];
    if ('set' in t) {
      for (const [key, value] of Object.entries(t.set(c))) args.push({ key, value, comment: `studio: ${studioKey}${t.note ? ` (${t.note})` : ''}` });
    } else if ('script' in t) {
      comments.push(`studio ${studioKey}: ${t.script}`);
    } else {
      comments.push(`studio ${studioKey}: not in ${engine === 'trl' ? 'TRL' : 'verl'}: ${t.none}`);
    }
  }
  return { args, comments };
}

/** engineArgs for a GRPO or PPO config. */
export function rlEngineArgs(method: 'grpo' | 'ppo', c: GrpoConfig | PpoConfig, engine: 'trl' | 'verl'): { args: EngineArg[]; comments: string[] } {
  return method === 'grpo' ? engineArgs(GRPO_TO_ENGINES, c as GrpoConfig, engine) : engineArgs(PPO_TO_ENGINES, c as PpoConfig, engine);
}
