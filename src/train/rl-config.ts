// What GRPO and PPO configs share: the start policy, prompt data, tools, the reward, the episode limits and the
// optimiser / schedule / checkpoint keys of every trainer. Each method adds its own keys (grpo-config.ts,
// ppo-config.ts). Names follow TRL where TRL has the setting.
import { LORA_TABLE, SFT_TABLE } from './sft-config.ts';
import type { ConfigProblem, ConfigTable } from './config-schema.ts';
import { REWARD_PRESETS } from '../eval/reward.ts';

export const RL_REWARD_TABLE = {
  rule: { kind: 'string', default: 'pipeline', allowEmpty: true, doc: `rule reward: a preset (${Object.keys(REWARD_PRESETS).join(', ')}), none, or a reward YAML file (configs/reward.yaml)` },
  rule_weight: { kind: 'number', default: 1, doc: 'weight of the rule reward (mean over assistant turns)' },
  chain_weight: { kind: 'number', default: 0, doc: 'weight of the chain reward: 1 when every step is right and the world ends in the reference chain\'s state' },
  reward_model_weight: { kind: 'number', default: 0, doc: 'weight of the trained reward model\'s score (needs reward_model)' },
} as const satisfies ConfigTable;

/** The keys every RL config has; `overrides` changes defaults (TRL's GRPO and PPO defaults differ). */
export function rlCommonTable(defaults: { learningRate: number; temperature: number; outputDir: string }) {
  return {
    model_name: { ...SFT_TABLE.model_name, doc: 'the start policy: builtin:tiny, a local HF folder, or a train/demo output folder (e.g. out/sft-demo)' },
    train_file: { kind: 'string-list', default: ['public/data/ppo_data.jsonl'], minItems: 1, doc: 'prompt datasets (ppo rows, or sft / conversational rows split at their first assistant turn)' },
    tools_file: SFT_TABLE.tools_file,
    eval_file: { ...SFT_TABLE.eval_file, doc: 'held-out JSONL evaluated by free-running episodes (empty: none)' },
    output_dir: { ...SFT_TABLE.output_dir, default: defaults.outputDir },
    reward_model: { kind: 'string', default: '', allowEmpty: true, doc: 'a trained reward model (a train rm output folder); its score is a reward component' },
    reward: { kind: 'section', fields: RL_REWARD_TABLE, doc: 'the reward: weighted rule, chain and reward-model components' },
    max_turns: { kind: 'int', default: 1, min: 1, max: 32, doc: 'assistant turns per episode; between turns the calls run and their results are appended (TRL: max_tool_calling_iterations)' },
    max_tool_turn_tokens: { kind: 'int', default: 512, min: 8, doc: 'template + tool-result tokens between two turns; longer results end the episode' },
    temperature: { kind: 'number', default: defaults.temperature, min: 0, exclusiveMin: true, max: 10, doc: 'sampling temperature of the rollouts (log-probs use logits / temperature)' },
    top_k: { kind: 'int', default: 0, min: 0, doc: 'top-k filtering of the rollouts (0: off)' },
    top_p: { kind: 'number', default: 1, min: 0, exclusiveMin: true, max: 1, doc: 'nucleus filtering of the rollouts (1: off)' },
    num_train_epochs: { ...SFT_TABLE.num_train_epochs, default: 1, doc: 'passes over the prompts' },
    max_steps: SFT_TABLE.max_steps,
    learning_rate: { ...SFT_TABLE.learning_rate, default: defaults.learningRate },
    per_device_train_batch_size: { kind: 'int', default: 8, min: 1, max: 1024, doc: 'episodes per micro-batch' },
    gradient_accumulation_steps: SFT_TABLE.gradient_accumulation_steps,
    lr_scheduler_type: { ...SFT_TABLE.lr_scheduler_type, default: 'linear' },
    warmup_steps: SFT_TABLE.warmup_steps,
    weight_decay: SFT_TABLE.weight_decay,
    adam_beta1: SFT_TABLE.adam_beta1,
    adam_beta2: SFT_TABLE.adam_beta2,
    adam_epsilon: SFT_TABLE.adam_epsilon,
    max_grad_norm: SFT_TABLE.max_grad_norm,
    seed: SFT_TABLE.seed,
    logging_steps: SFT_TABLE.logging_steps,
    eval_every: { ...SFT_TABLE.eval_every, doc: 'evaluate by episodes every N steps (0: only at the end)' },
    eval_max_examples: SFT_TABLE.eval_max_examples,
    save_every: SFT_TABLE.save_every,
    save_total_limit: SFT_TABLE.save_total_limit,
    max_nonfinite_steps: SFT_TABLE.max_nonfinite_steps,
    chat_template: SFT_TABLE.chat_template,
    prompt_tools: SFT_TABLE.prompt_tools,
    gradient_checkpointing: SFT_TABLE.gradient_checkpointing,
    finetune: { ...SFT_TABLE.finetune, doc: "'lora': a fresh adapter on the frozen start policy (the reference is the adapter switched off); 'full': every weight (only without a KL term)" },
    lora: { kind: 'section', fields: { ...LORA_TABLE, r: { ...LORA_TABLE.r, default: 16 } }, doc: 'the RL adapter' },
  } as const satisfies ConfigTable;
}

/** Rules across keys that both RL methods share. */
export function checkRlCommon(c: { eval_every: number; eval_file: string; reward: { rule: string; rule_weight: number; chain_weight: number; reward_model_weight: number }; reward_model: string }, problems: ConfigProblem[]): void {
  if (c.eval_every > 0 && c.eval_file.trim() === '') problems.push({ key: 'eval_every', message: 'periodic evaluation needs eval_file: set eval_file to a held-out JSONL, or eval_every to 0' });
  const r = c.reward;
  if (r.reward_model_weight !== 0 && c.reward_model.trim() === '') problems.push({ key: 'reward.reward_model_weight', message: 'the reward model has a weight but reward_model is empty: name a trained reward model folder, or set the weight to 0' });
  const ruleOn = r.rule_weight !== 0 && r.rule !== 'none' && r.rule !== '';
  if (!ruleOn && r.chain_weight === 0 && r.reward_model_weight === 0) problems.push({ key: 'reward', message: 'every reward component has weight 0 (or rule: none): nothing to learn from' });
}

/** Sampled tokens per assistant turn: GRPO calls it max_completion_length, PPO response_length (TRL's names). */
export function turnTokenLimit(c: { max_completion_length: number } | { response_length: number }): number {
  return 'max_completion_length' in c ? c.max_completion_length : c.response_length;
}
