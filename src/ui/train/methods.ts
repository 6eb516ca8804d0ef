// The training methods the Train page offers, one entry each (SFT, reward model, GRPO, PPO): the config table and
// validator, the studio's defaults, the form's first keys, which stored datasets can train it, and its charts.
// Charts read StepMetrics / EvalMetrics, the trainer's own metrics by TRL's names (the RL ones: src/train/rollout.ts
// rolloutMetrics, src/train/policy-loss.ts grpoStats / ppoStats, src/train/ppo.ts and grpo.ts prepare).
import type { DatasetKind } from '../../data/conversation.ts';
import type { ConfigTable, TrainerConfigSpec } from '../../train/config-schema.ts';
import type { EvalMetrics, StepMetrics } from '../../train/metrics.ts';
import { GRPO_TABLE, parseGrpoYaml, validateGrpoConfig, defaultGrpoConfig } from '../../train/grpo-config.ts';
import { PPO_TABLE, parsePpoYaml, validatePpoConfig, defaultPpoConfig } from '../../train/ppo-config.ts';
import { RM_CONFIG } from '../../train/rm-config.ts';
import { SFT_CONFIG } from '../../train/sft-config.ts';
import type { TrainMethod } from '../../worker/protocol.ts';

export interface ChartSeries {
  name: string;
  /** One point per logged step or per evaluation. */
  from: 'step' | 'eval';
  value: (row: StepMetrics & EvalMetrics) => number | undefined;
}

export interface ChartSpec {
  title: string;
  testid: string;
  logY?: boolean;
  series: ChartSeries[];
}

export interface TrainMethodEntry {
  label: string;
  spec: TrainerConfigSpec<ConfigTable>;
  /** The studio's starting config: the built-in tiny model on the shipped sample data, sized for a quick run. */
  studioDefaults(): Record<string, unknown>;
  /** Form keys shown first. */
  primary: string[];
  /** Stored datasets that can be training data. */
  datasetKinds: DatasetKind[];
  /** What the data card says the training set is. */
  dataHint: string;
  /** What the held-out set is scored by. */
  evalHint: string;
  charts: ChartSpec[];
  /** Whether a run can be chatted with / inspected as a reward model. */
  produces: 'policy' | 'reward-model';
  /** RL: the start policy is model_name (a base model or run:<id> of a policy run), reward_model a reward-model run. */
  rl?: true;
}

const step = (name: string, value: ChartSeries['value']): ChartSeries => ({ name, from: 'step', value });
const evaluation = (name: string, value: ChartSeries['value']): ChartSeries => ({ name, from: 'eval', value });

const LOSS: ChartSpec = { title: 'Training loss', testid: 'loss-chart', logY: true, series: [step('loss', (r) => (r.skipped ? undefined : r.loss))] };
const LR: ChartSpec = { title: 'Learning rate', testid: 'lr-chart', series: [step('learning rate', (r) => r.learningRate)] };

const GRPO_CONFIG: TrainerConfigSpec<typeof GRPO_TABLE> = { table: GRPO_TABLE, defaults: defaultGrpoConfig, validate: validateGrpoConfig, parseYaml: parseGrpoYaml };
const PPO_CONFIG: TrainerConfigSpec<typeof PPO_TABLE> = { table: PPO_TABLE, defaults: defaultPpoConfig, validate: validatePpoConfig, parseYaml: parsePpoYaml };

const m = (key: string): ChartSeries['value'] => (r) => r.metrics?.[key];
/** A step metric; RL rollout metrics arrive on the first optimizer step after each rollout (other steps: a gap). */
const metric = (name: string, key = name) => step(name, m(key));

/** What both RL methods' studio defaults share: the tiny model on the sample prompts, a few quick steps on SwiftShader. */
const RL_STUDIO = {
  model_name: 'builtin:tiny', train_file: ['data/ppo_data.jsonl'], eval_file: 'data/eval_data.jsonl', output_dir: 'browser',
  prompt_tools: 'none', finetune: 'lora', max_steps: 8, learning_rate: 0.001, warmup_steps: 0, logging_steps: 1, save_every: 2,
  eval_every: 0, eval_max_examples: 8, max_turns: 1,
};
const rlLora = (defaults: { lora: Record<string, unknown> }) => ({ ...defaults.lora, r: 8, alpha: 16 });

const REWARD = (extra: ChartSeries[]): ChartSpec => ({ title: 'Reward', testid: 'reward-chart', series: [metric('reward'), ...extra] });
const LENGTH: ChartSpec = {
  title: 'Completion length (policy tokens)', testid: 'length-chart',
  series: [metric('mean', 'completions/mean_length'), metric('min', 'completions/min_length'), metric('max', 'completions/max_length')],
};
const RL_EVAL: ChartSpec = {
  title: 'Held-out episodes', testid: 'acc-chart',
  series: [evaluation('tool accuracy', (r) => r.toolAccuracy), evaluation('chain success', (r) => r.chainSuccess), evaluation('format validity', (r) => r.formatValidity)],
};

export const TRAIN_METHODS: { [M in TrainMethod]: TrainMethodEntry } = {
  sft: {
    label: 'SFT',
    spec: SFT_CONFIG,
    studioDefaults: () => ({
      ...SFT_CONFIG.defaults(),
      train_file: ['data/sft_data.jsonl'], eval_file: 'data/eval_data.jsonl', output_dir: 'browser', finetune: 'full', num_train_epochs: 1,
      batch_size: 8, learning_rate: 0.003, warmup_steps: 5, max_seq_len: 320, save_every: 10, eval_max_examples: 16,
    }),
    primary: ['model_name', 'finetune', 'num_train_epochs', 'max_steps', 'learning_rate', 'batch_size', 'max_seq_len', 'lora'],
    datasetKinds: ['sft', 'conversational'],
    dataHint: 'conversations in SFT or conversational format',
    evalHint: 'scored by generation',
    charts: [
      LOSS,
      LR,
      {
        title: 'Held-out accuracy (by generation)', testid: 'acc-chart',
        series: [evaluation('tool accuracy', (r) => r.toolAccuracy), evaluation('chain success', (r) => r.chainSuccess), evaluation('format validity', (r) => r.formatValidity)],
      },
    ],
    produces: 'policy',
  },
  rm: {
    label: 'Reward model',
    spec: RM_CONFIG,
    studioDefaults: () => ({
      ...RM_CONFIG.defaults(),
      train_file: ['data/rm_data.jsonl'], eval_file: 'data/rm_eval.jsonl', output_dir: 'browser', finetune: 'full', prompt_tools: 'none',
      num_train_epochs: 1, batch_size: 8, learning_rate: 0.003, warmup_steps: 5, max_seq_len: 256, save_every: 10, eval_max_examples: 40,
    }),
    primary: ['model_name', 'finetune', 'num_train_epochs', 'max_steps', 'learning_rate', 'batch_size', 'max_seq_len', 'center_rewards_coefficient', 'margin', 'lora'],
    datasetKinds: ['rm'],
    dataHint: 'preference pairs {"prompt", "chosen", "rejected"} (a "margin" and a "rejection_kind" are used when present)',
    evalHint: 'pairs scored by the reward model',
    charts: [
      LOSS,
      {
        title: 'Pair accuracy', testid: 'rm-accuracy-chart',
        series: [step('train accuracy', (r) => r.metrics?.accuracy), evaluation('held-out accuracy', (r) => r.metrics?.accuracy)],
      },
      {
        title: 'Margin (r_chosen − r_rejected)', testid: 'rm-margin-chart',
        series: [step('train margin', (r) => r.metrics?.margin), evaluation('held-out margin', (r) => r.metrics?.margin)],
      },
      {
        title: 'Reward range', testid: 'rm-reward-chart',
        series: [step('min_reward', (r) => r.metrics?.min_reward), step('mean_reward', (r) => r.metrics?.mean_reward), step('max_reward', (r) => r.metrics?.max_reward)],
      },
    ],
    produces: 'reward-model',
  },
  grpo: {
    label: 'GRPO',
    spec: GRPO_CONFIG,
    studioDefaults: () => {
      const d = defaultGrpoConfig();
      return { ...d, ...RL_STUDIO, lora: rlLora(d), num_generations: 4, per_device_train_batch_size: 8, max_completion_length: 24 };
    },
    primary: ['model_name', 'reward_model', 'reward', 'num_generations', 'max_completion_length', 'max_turns', 'per_device_train_batch_size', 'max_steps', 'learning_rate', 'beta', 'loss_type', 'temperature', 'finetune', 'lora'],
    datasetKinds: ['ppo', 'sft', 'conversational'],
    dataHint: 'prompts: ppo rows {"prompt", "response"}, or sft / conversational rows split at their first assistant turn (the rest is the reference the rewards compare against)',
    evalHint: 'scored by free-running episodes',
    charts: [
      REWARD([metric('reward_std'), metric('rule', 'rewards/rule/mean'), metric('chain', 'rewards/chain/mean'), metric('reward model', 'rewards/reward_model/mean')]),
      { title: 'KL to the start policy (k3, beta > 0)', testid: 'kl-chart', series: [metric('kl')] },
      { title: 'Entropy', testid: 'entropy-chart', series: [metric('entropy')] },
      LENGTH,
      { title: 'Clip ratio', testid: 'clip-chart', series: [metric('region', 'clip_ratio/region_mean'), metric('low', 'clip_ratio/low_mean'), metric('high', 'clip_ratio/high_mean')] },
      { title: 'Loss', testid: 'rl-loss-chart', series: [step('loss', (r) => (r.skipped ? undefined : r.loss)), metric('frac_reward_zero_std')] },
      RL_EVAL,
    ],
    produces: 'policy',
    rl: true,
  },
  ppo: {
    label: 'PPO',
    spec: PPO_CONFIG,
    studioDefaults: () => {
      const d = defaultPpoConfig();
      return { ...d, ...RL_STUDIO, lora: rlLora(d), per_device_train_batch_size: 4, response_length: 24, num_ppo_epochs: 2 };
    },
    primary: ['model_name', 'reward_model', 'reward', 'response_length', 'max_turns', 'per_device_train_batch_size', 'num_ppo_epochs', 'max_steps', 'learning_rate', 'kl_coef', 'vf_coef', 'critic', 'temperature', 'finetune', 'lora'],
    datasetKinds: ['ppo', 'sft', 'conversational'],
    dataHint: 'prompts: ppo rows {"prompt", "response"}, or sft / conversational rows split at their first assistant turn (the rest is the reference the rewards compare against)',
    evalHint: 'scored by free-running episodes',
    charts: [
      REWARD([metric('scores', 'objective/scores'), metric('rlhf_reward', 'objective/rlhf_reward'), metric('rule', 'rewards/rule/mean')]),
      { title: 'KL to the start policy (objective/kl)', testid: 'kl-chart', series: [metric('objective/kl')] },
      { title: 'Entropy', testid: 'entropy-chart', series: [metric('policy/entropy_avg'), metric('objective/entropy')] },
      LENGTH,
      { title: 'Clip fraction', testid: 'clip-chart', series: [metric('policy/clipfrac_avg'), metric('val/clipfrac_avg')] },
      { title: 'Value loss', testid: 'value-loss-chart', series: [metric('loss/value_avg')] },
      { title: 'Policy loss', testid: 'policy-loss-chart', series: [metric('loss/policy_avg'), metric('policy/approxkl_avg')] },
      { title: 'Explained variance (critic)', testid: 'explained-var-chart', series: [metric('vf_explained_var')] },
      RL_EVAL,
    ],
    produces: 'policy',
    rl: true,
  },
};

export const METHOD_NAMES = Object.keys(TRAIN_METHODS) as TrainMethod[];
