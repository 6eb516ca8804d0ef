// One entry per training method: how its config becomes TRL keyword arguments and verl Hydra overrides. SFT maps
// key for key (sft-to-trl.ts). The RM / GRPO / PPO tables use TRL's key names (num_generations, beta, epsilon,
// kl_coef, cliprange, ...), so their keys pass through by name; `RL_KEYS` lists the ones each TRL config knows and
// VERL_KEYS where verl puts them. Keys outside these lists are named in the generated script, not dropped silently.
import { REWARD_PRESETS, type RewardConfig } from '../eval/reward.ts';
import type { SftConfig } from '../train/sft-config.ts';
import { sftTrlArgs } from './sft-to-trl.ts';
import type { ExportMethod, ExportRun } from './run.ts';

export interface TrlArg {
  key: string;
  value: unknown;
  comment: string;
}

/** TRL config keys each method's studio table shares by name (TRL's GRPOConfig / PPOConfig / RewardConfig fields). */
export const RL_KEYS: Record<Exclude<ExportMethod, 'sft'>, readonly string[]> = {
  rm: ['center_rewards_coefficient', 'max_length', 'disable_dropout'],
  grpo: [
    'num_generations', 'max_completion_length', 'beta', 'epsilon', 'epsilon_high', 'loss_type', 'scale_rewards', 'num_iterations',
    'temperature', 'top_p', 'top_k', 'steps_per_generation', 'mask_truncated_completions', 'importance_sampling_level', 'generation_batch_size',
  ],
  ppo: [
    'kl_coef', 'cliprange', 'cliprange_value', 'vf_coef', 'gamma', 'lam', 'num_ppo_epochs', 'num_mini_batches', 'response_length',
    'temperature', 'whiten_rewards', 'kl_estimator', 'missing_eos_penalty', 'local_rollout_forward_batch_size',
  ],
};

/** Keys every method shares with SFT (same meaning, same TRL key through SFT_TO_TRL). */
const COMMON_KEYS = [
  'output_dir', 'num_train_epochs', 'max_steps', 'learning_rate', 'batch_size', 'gradient_accumulation_steps', 'lr_scheduler_type',
  'warmup_steps', 'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon', 'max_grad_norm', 'seed', 'logging_steps', 'save_every',
  'save_total_limit', 'gradient_checkpointing',
] as const satisfies readonly (keyof SftConfig)[];

/** Keys an export reads itself (data, model, LoRA, reward) rather than passing to a TRL config. */
const HANDLED = new Set(['model_name', 'train_file', 'tools_file', 'eval_file', 'eval_every', 'eval_max_examples', 'max_seq_len', 'chat_template',
  'prompt_tools', 'finetune', 'lora', 'reward', 'max_nonfinite_steps']);

/** The TRL keyword arguments of a run's config. */
export function trlArgs(run: ExportRun): TrlArg[] {
  const c = run.config;
  if (run.method === 'sft') return sftTrlArgs(c as SftConfig);
  const filled = { ...defaultsForCommon(), ...c } as unknown as SftConfig;
  const common = sftTrlArgs(filled).filter((a) => COMMON_KEYS.some((k) => a.comment.startsWith(`studio: ${k}`)) || a.key === 'report_to');
  const own = RL_KEYS[run.method].filter((k) => c[k] !== undefined).map((k) => ({ key: k, value: c[k], comment: `studio: ${k}` }));
  if (run.method === 'ppo' && c.max_seq_len !== undefined && c.response_length === undefined) own.push({ key: 'response_length', value: c.max_seq_len, comment: 'studio: max_seq_len' });
  if (run.method === 'rm' && c.max_seq_len !== undefined) own.push({ key: 'max_length', value: c.max_seq_len, comment: 'studio: max_seq_len' });
  return [...common, ...own];
}

/** Config keys no TRL argument and no export file covers (named in the script as a comment). */
export function unmappedKeys(run: ExportRun): string[] {
  if (run.method === 'sft') return [];
  const known = new Set<string>([...COMMON_KEYS, ...RL_KEYS[run.method], ...HANDLED]);
  return Object.keys(run.config).filter((k) => !known.has(k));
}

function defaultsForCommon(): Record<string, unknown> {
  return {
    output_dir: 'out', num_train_epochs: 1, max_steps: -1, learning_rate: 1e-6, batch_size: 4, gradient_accumulation_steps: 1,
    lr_scheduler_type: 'constant', warmup_steps: 0, weight_decay: 0, adam_beta1: 0.9, adam_beta2: 0.999, adam_epsilon: 1e-8,
    max_grad_norm: 1, seed: 42, logging_steps: 1, eval_every: 0, save_every: 0, save_total_limit: 2, gradient_checkpointing: false,
  };
}

/**
 * The rule reward a run trains with: its `reward` section (a preset name, weights, require_think) or, for runs
 * without one (SFT, RM), the ToolRL preset. Weights keep the preset's order (the weighted sum adds in that order).
 */
export function runReward(run: ExportRun): RewardConfig {
  const section = run.config.reward as { preset?: string; weights?: Record<string, number>; require_think?: boolean; name?: string } | undefined;
  const base = structuredClone(REWARD_PRESETS[(section?.preset as keyof typeof REWARD_PRESETS) ?? 'toolrl'] ?? REWARD_PRESETS.toolrl);
  if (!section) return base;
  return {
    name: section.name ?? base.name,
    weights: { ...base.weights, ...(section.weights ?? {}) },
    requireThink: section.require_think ?? base.requireThink,
  };
}

/** LoRA settings in peft's names, or null for full fine-tuning. */
export function peftLora(run: ExportRun): Record<string, unknown> | null {
  if (run.config.finetune === 'full') return null;
  const l = (run.config.lora ?? { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }) as { r: number; alpha: number; dropout: number; target_modules: string[] };
  return { r: l.r, lora_alpha: l.alpha, lora_dropout: l.dropout, target_modules: [...l.target_modules] };
}

const num = (c: Record<string, unknown>, k: string, fallback: number) => (typeof c[k] === 'number' ? (c[k] as number) : fallback);

/**
 * verl Hydra overrides for the run (algorithm, optimizer, batch, rollout, LoRA), each with the studio key it comes
 * from. An SFT or RM run has no RL settings: its GRPO overrides take TRL's GRPOConfig defaults, said as such.
 */
export function verlOverrides(run: ExportRun, prompts: number): { key: string; value: string; from: string }[] {
  const c = run.config;
  const ppo = run.method === 'ppo';
  const rl = run.method === 'grpo' || ppo;
  const from = (k: string, dflt: string) => (c[k] !== undefined && rl ? `studio: ${k}` : dflt);
  const trlDefault = 'TRL GRPOConfig default (the run has no RL settings)';
  const out: { key: string; value: string; from: string }[] = [];
  const add = (key: string, value: unknown, why: string) => out.push({ key, value: Array.isArray(value) ? `[${value.join(',')}]` : String(value), from: why });
  const batch = num(c, 'batch_size', 4) * num(c, 'gradient_accumulation_steps', 1);
  add('algorithm.adv_estimator', ppo ? 'gae' : 'grpo', ppo ? 'PPO: GAE advantages with a critic' : 'GRPO: group-relative advantages');
  add('data.train_batch_size', Math.max(1, Math.min(batch, prompts)), 'studio: batch_size x gradient_accumulation_steps (prompts per step)');
  add('data.max_prompt_length', num(c, 'max_seq_len', 512), 'studio: max_seq_len');
  add('data.max_response_length', ppo ? num(c, 'response_length', 256) : num(c, 'max_completion_length', 256), rl ? from(ppo ? 'response_length' : 'max_completion_length', 'default 256') : trlDefault);
  add('data.return_raw_chat', 'True', 'multi-turn rollouts need the chat messages');
  add('actor_rollout_ref.actor.optim.lr', rl ? num(c, 'learning_rate', 1e-6) : 1e-6, rl ? 'studio: learning_rate' : trlDefault);
  add('actor_rollout_ref.actor.ppo_mini_batch_size', Math.max(1, Math.min(batch, prompts)), 'one optimizer step per rollout batch (studio: batch_size)');
  add('actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu', num(c, 'batch_size', 4), 'studio: batch_size');
  add('actor_rollout_ref.actor.ppo_epochs', ppo ? num(c, 'num_ppo_epochs', 4) : num(c, 'num_iterations', 1), rl ? from(ppo ? 'num_ppo_epochs' : 'num_iterations', 'default') : trlDefault);
  add('actor_rollout_ref.actor.clip_ratio_low', ppo ? num(c, 'cliprange', 0.2) : num(c, 'epsilon', 0.2), rl ? from(ppo ? 'cliprange' : 'epsilon', 'default 0.2') : trlDefault);
  add('actor_rollout_ref.actor.clip_ratio_high', ppo ? num(c, 'cliprange', 0.2) : num(c, 'epsilon_high', num(c, 'epsilon', 0.2)), rl ? from(ppo ? 'cliprange' : 'epsilon_high', 'epsilon') : trlDefault);
  add('actor_rollout_ref.actor.grad_clip', num(c, 'max_grad_norm', 1), 'studio: max_grad_norm');
  if (!ppo) {
    const beta = num(c, 'beta', 0);
    add('actor_rollout_ref.actor.use_kl_loss', beta > 0 ? 'True' : 'False', rl ? from('beta', 'default 0') : trlDefault);
    add('actor_rollout_ref.actor.kl_loss_coef', beta, rl ? from('beta', 'default 0') : trlDefault);
    add('actor_rollout_ref.actor.kl_loss_type', 'low_var_kl', 'the k3 estimator TRL uses for beta');
    add('actor_rollout_ref.actor.loss_agg_mode', c.loss_type === 'grpo' ? 'seq-mean-token-mean' : 'token-mean', rl ? from('loss_type', 'token-mean') : trlDefault);
  } else {
    add('algorithm.use_kl_in_reward', 'True', 'PPO: KL penalty in the reward, as TRL');
    add('algorithm.kl_ctrl.kl_coef', num(c, 'kl_coef', 0.05), from('kl_coef', 'TRL PPOConfig default'));
    add('algorithm.gamma', num(c, 'gamma', 1), from('gamma', 'TRL PPOConfig default'));
    add('algorithm.lam', num(c, 'lam', 0.95), from('lam', 'TRL PPOConfig default'));
    add('critic.optim.lr', num(c, 'learning_rate', 1e-6), 'studio: learning_rate');
    add('critic.cliprange_value', num(c, 'cliprange_value', 0.2), from('cliprange_value', 'TRL PPOConfig default'));
    add('critic.ppo_micro_batch_size_per_gpu', num(c, 'batch_size', 4), 'studio: batch_size');
  }
  add('actor_rollout_ref.rollout.n', ppo ? 1 : num(c, 'num_generations', 8), ppo ? 'PPO: one rollout per prompt' : rl ? from('num_generations', 'default 8') : trlDefault);
  add('actor_rollout_ref.rollout.temperature', num(c, 'temperature', 1), rl ? from('temperature', 'default 1') : trlDefault);
  add('actor_rollout_ref.rollout.name', 'sglang', 'multi-turn tool rollouts');
  add('actor_rollout_ref.rollout.multi_turn.enable', 'True', 'tool calls run between turns');
  add('actor_rollout_ref.rollout.multi_turn.max_assistant_turns', 5, 'a chain has at most 4 calls and an answer');
  const lora = peftLora(run);
  if (lora) {
    add('actor_rollout_ref.model.lora_rank', lora.r, 'studio: lora.r');
    add('actor_rollout_ref.model.lora_alpha', lora.lora_alpha, 'studio: lora.alpha');
    add('actor_rollout_ref.model.target_modules', lora.target_modules, 'studio: lora.target_modules');
  }
  add('actor_rollout_ref.model.enable_gradient_checkpointing', c.gradient_checkpointing ? 'True' : 'False', 'studio: gradient_checkpointing');
  add('trainer.total_epochs', Math.max(1, Math.ceil(num(c, 'num_train_epochs', 1))), 'studio: num_train_epochs');
  if (num(c, 'max_steps', -1) > 0) add('trainer.total_training_steps', num(c, 'max_steps', -1), 'studio: max_steps');
  add('trainer.save_freq', num(c, 'save_every', 0) > 0 ? num(c, 'save_every', 0) : -1, 'studio: save_every');
  add('trainer.test_freq', num(c, 'eval_every', 0) > 0 ? num(c, 'eval_every', 0) : -1, 'studio: eval_every');
  return out;
}
