// The training methods the Train page offers, one entry each (the RL methods add theirs): the config table and
// validator, the studio's defaults, the form's first keys, which stored datasets can train it, and its charts.
// Charts read StepMetrics / EvalMetrics, the trainer's own metrics by TRL's names.
import type { DatasetKind } from '../../data/conversation.ts';
import type { ConfigTable, TrainerConfigSpec } from '../../train/config-schema.ts';
import type { EvalMetrics, StepMetrics } from '../../train/metrics.ts';
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
}

const step = (name: string, value: ChartSeries['value']): ChartSeries => ({ name, from: 'step', value });
const evaluation = (name: string, value: ChartSeries['value']): ChartSeries => ({ name, from: 'eval', value });

const LOSS: ChartSpec = { title: 'Training loss', testid: 'loss-chart', logY: true, series: [step('loss', (r) => (r.skipped ? undefined : r.loss))] };
const LR: ChartSpec = { title: 'Learning rate', testid: 'lr-chart', series: [step('learning rate', (r) => r.learningRate)] };

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
};

export const METHOD_NAMES = Object.keys(TRAIN_METHODS) as TrainMethod[];
