// One entry per training method: how its config becomes TRL keyword arguments and verl Hydra overrides. SFT maps
// key for key (sft-to-trl.ts), GRPO and PPO too (rl-to-engines.ts: both engines, exhaustive by type). The RM table
// uses TRL's key names, so its keys pass through by name (RM_KEYS); keys outside it are named in the generated
// script, not dropped silently. An SFT or RM run exported to verl trains with the studio's GRPO defaults.
import { REWARD_PRESETS, type RewardConfig } from '../eval/reward.ts';
import { defaultGrpoConfig, validateGrpoConfig, type GrpoConfig } from '../train/grpo-config.ts';
import { validatePpoConfig, type PpoConfig } from '../train/ppo-config.ts';
import type { RlRewardWeights } from '../train/rl-reward.ts';
import type { SftConfig } from '../train/sft-config.ts';
import { rlEngineArgs } from './rl-to-engines.ts';
import { sftTrlArgs } from './sft-to-trl.ts';
import { ExportError, type ExportRun } from './run.ts';

export interface TrlArg {
  key: string;
  value: unknown;
  comment: string;
}

/** TRL RewardConfig keys the RM table shares by name. */
const RM_KEYS = ['center_rewards_coefficient', 'max_length', 'disable_dropout'] as const;

/** Keys the RM table shares with SFT (same meaning, same TRL key through SFT_TO_TRL). */
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
  if (run.method === 'grpo' || run.method === 'ppo') {
    const { config } = rlConfigOf(run);
    return [...rlEngineArgs(run.method, config, 'trl').args, { key: 'report_to', value: 'none', comment: 'add wandb / tensorboard here' }];
  }
  const filled = { ...defaultsForCommon(), ...c } as unknown as SftConfig;
  const common = sftTrlArgs(filled).filter((a) => COMMON_KEYS.some((k) => a.comment.startsWith(`studio: ${k}`)) || a.key === 'report_to');
  const own = RM_KEYS.filter((k) => c[k] !== undefined).map((k) => ({ key: k, value: c[k], comment: `studio: ${k}` }));
  if (c.max_seq_len !== undefined) own.push({ key: 'max_length', value: c.max_seq_len, comment: 'studio: max_seq_len' });
  return [...common, ...own];
}

/** Comment lines for the generated script: the config keys handled by the exported files, or by neither engine. */
export function trlComments(run: ExportRun): string[] {
  if (run.method === 'grpo' || run.method === 'ppo') {
    return rlEngineArgs(run.method, rlConfigOf(run).config, 'trl').comments.map((l) => `# ${l}`);
  }
  return unmappedKeys(run).map((k) => `# studio ${k}: no TRL counterpart mapped yet (value ${JSON.stringify(run.config[k])})`);
}

/** RM config keys no TRL argument and no export file covers (named in the script as a comment). */
export function unmappedKeys(run: ExportRun): string[] {
  if (run.method !== 'rm') return [];
  const known = new Set<string>([...COMMON_KEYS, ...RM_KEYS, ...HANDLED]);
  return Object.keys(run.config).filter((k) => !known.has(k));
}

/**
 * The RL config an export trains with: a GRPO or PPO run's own (validated), or for an SFT or RM run the studio's
 * GRPO defaults with the run's model, tools, template and LoRA (`fromRun` lists the keys taken from the run).
 */
export function rlConfigOf(run: ExportRun): { method: 'grpo' | 'ppo'; config: GrpoConfig | PpoConfig; fromRun: Set<string> | null } {
  if (run.method === 'grpo') return { method: 'grpo', config: validateGrpoConfig(run.config, 'the GRPO run\'s config'), fromRun: null };
  if (run.method === 'ppo') return { method: 'ppo', config: validatePpoConfig(run.config, 'the PPO run\'s config'), fromRun: null };
  const c = run.config;
  const config = defaultGrpoConfig();
  const taken = new Set<string>();
  for (const k of ['model_name', 'tools_file', 'chat_template', 'prompt_tools', 'seed', 'gradient_checkpointing', 'finetune'] as const) {
    if (c[k] !== undefined) {
      (config as Record<string, unknown>)[k] = c[k];
      taken.add(k);
    }
  }
  if (c.lora && typeof c.lora === 'object') {
    config.lora = { ...config.lora, ...(c.lora as GrpoConfig['lora']) };
    taken.add('lora');
  }
  return { method: 'grpo', config: validateGrpoConfig(config, `GRPO defaults for the ${run.method.toUpperCase()} run`), fromRun: taken };
}

function defaultsForCommon(): Record<string, unknown> {
  return {
    output_dir: 'out', num_train_epochs: 1, max_steps: -1, learning_rate: 1e-6, batch_size: 4, gradient_accumulation_steps: 1,
    lr_scheduler_type: 'constant', warmup_steps: 0, weight_decay: 0, adam_beta1: 0.9, adam_beta2: 0.999, adam_epsilon: 1e-8,
    max_grad_norm: 1, seed: 42, logging_steps: 1, eval_every: 0, save_every: 0, save_total_limit: 2, gradient_checkpointing: false,
  };
}

/** The reward an export trains with: the rule reward's config (null: none), the component weights, the reward model. */
export interface ExportReward {
  rule: RewardConfig | null;
  weights: RlRewardWeights;
  rewardModel: string;
}

/** The run's reward section (an SFT or RM run: the GRPO defaults' pipeline rule reward). */
export function runReward(run: ExportRun): ExportReward {
  const c = rlConfigOf(run).config;
  const weights = { rule: c.reward.rule_weight, chain: c.reward.chain_weight, reward_model: c.reward.reward_model_weight };
  const name = c.reward.rule;
  let rule: RewardConfig | null;
  if (name === 'none' || name === '') rule = null;
  else if (name in REWARD_PRESETS) rule = structuredClone(REWARD_PRESETS[name as keyof typeof REWARD_PRESETS]);
  else if (run.ruleFile) rule = run.ruleFile;
  else throw new ExportError(`reward.rule "${name}" is not a preset (${Object.keys(REWARD_PRESETS).join(', ')}) and its file was not read`);
  return { rule, weights, rewardModel: c.reward_model };
}

/** A rule reward config as the Python port reads it. */
export function pyRewardConfig(r: RewardConfig | null): Record<string, unknown> | null {
  return r && { name: r.name, weights: r.weights, require_think: r.requireThink };
}

/** LoRA settings in peft's names, or null for full fine-tuning. */
export function peftLora(run: ExportRun): Record<string, unknown> | null {
  if (run.config.finetune === 'full') return null;
  const l = (run.config.lora ?? { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] }) as { r: number; alpha: number; dropout: number; target_modules: string[] };
  return { r: l.r, lora_alpha: l.alpha, lora_dropout: l.dropout, target_modules: [...l.target_modules] };
}

/** verl's prompt limit: the studio has none (prompts are rendered whole), so a generous one, overlong prompts dropped. */
const VERL_MAX_PROMPT = 4096;

/**
 * verl Hydra overrides for the run, each with the studio key it comes from: the fixed ones (advantage estimator,
 * multi-turn SGLang rollouts, LoRA on the critic too) and every key of GRPO_TO_ENGINES / PPO_TO_ENGINES.
 */
export function verlOverrides(run: ExportRun, prompts: number): { key: string; value: string; from: string }[] {
  const { method, config, fromRun } = rlConfigOf(run);
  const ppo = method === 'ppo';
  const fmt = (v: unknown) => (Array.isArray(v) ? `[${v.join(',')}]` : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
  const out: { key: string; value: string; from: string }[] = [];
  const add = (key: string, value: unknown, from: string) => out.push({ key, value: fmt(value), from });
  add('algorithm.adv_estimator', ppo ? 'gae' : 'grpo', ppo ? 'PPO: GAE advantages with a critic' : 'GRPO: group-relative advantages');
  add('data.max_prompt_length', VERL_MAX_PROMPT, 'the studio renders prompts whole: longer ones are dropped (data.filter_overlong_prompts)');
  add('data.filter_overlong_prompts', true, 'see data.max_prompt_length');
  add('data.return_raw_chat', true, 'multi-turn rollouts need the chat messages');
  add('actor_rollout_ref.rollout.name', 'sglang', 'multi-turn tool rollouts');
  add('actor_rollout_ref.rollout.multi_turn.enable', true, 'tool calls run between turns');
  if (ppo) add('actor_rollout_ref.rollout.n', 1, 'PPO: one rollout per prompt');
  const { args } = rlEngineArgs(method, config, 'verl');
  for (const a of args) {
    const studioKey = /^studio: (\w+)/.exec(a.comment)?.[1] ?? '';
    const from = fromRun && !fromRun.has(studioKey) ? `studio GRPO default of ${studioKey} (an ${run.method.toUpperCase()} run has no RL settings)` : a.comment;
    if (a.key === 'data.train_batch_size' && typeof a.value === 'number' && a.value > prompts) {
      add(a.key, prompts, `${from}; cut to the ${prompts} prompts there are`);
      continue;
    }
    if (a.key === 'actor_rollout_ref.actor.ppo_mini_batch_size' && typeof a.value === 'number' && a.value > prompts) {
      add(a.key, prompts, `${from}; cut to the ${prompts} prompts there are`);
      continue;
    }
    add(a.key, a.value, from);
  }
  if (ppo) {
    const lora = args.filter((a) => a.key.startsWith('actor_rollout_ref.model.lora_') || a.key === 'actor_rollout_ref.model.target_modules');
    for (const a of lora) add(a.key.replace('actor_rollout_ref.model.', 'critic.model.'), a.value, 'verl\'s critic is a second model with the same LoRA (the studio\'s critic: a LoRA adapter of the same shape over the same base)');
  }
  return out;
}

/** Comment lines for run_verl.sh: the keys the exported files handle, or verl does not have. */
export function verlComments(run: ExportRun): string[] {
  const { method, config } = rlConfigOf(run);
  return rlEngineArgs(method, config, 'verl').comments.map((l) => `# ${l}`);
}
