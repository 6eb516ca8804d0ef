// The config keys every trainer shares (model and adapter, schedule, optimizer, logging, checkpoints, seed), as
// table fragments each trainer's table spreads in, and what the shared loop takes from them. SFT, the reward model
// and the RL trainers differ only in their data keys and their loss's own keys.
import { LORA_TARGETS } from '../model/peft.ts';
import { batchesPerEpoch } from './batching.ts';
import type { ConfigOf, ConfigProblem, ConfigTable } from './config-schema.ts';
import type { LoopConfig } from './loop.ts';

export const LORA_TABLE = {
  r: { kind: 'int', default: 8, min: 1, max: 256, doc: 'LoRA rank' },
  alpha: { kind: 'number', default: 16, min: 0, exclusiveMin: true, doc: 'LoRA scale numerator: the update is (alpha / r) * B A' },
  dropout: { kind: 'number', default: 0, min: 0, max: 0.9, doc: 'dropout on the LoRA input' },
  target_modules: { kind: 'string-list', default: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], values: LORA_TARGETS, minItems: 1, doc: 'projections that get adapters' },
} as const satisfies ConfigTable;

/** The model, how it is prompted, and what trains. */
export const MODEL_TABLE = {
  chat_template: { kind: 'enum', default: 'model', values: ['model', 'compact'], doc: "'model': the model's own chat template; 'compact': the short tool prompt for tiny CPU demos" },
  gradient_checkpointing: { kind: 'bool', default: false, doc: 'recompute each layer in backward instead of storing its activations (less GPU memory, ~30% more time)' },
  prompt_tools: { kind: 'enum', default: 'listed', values: ['listed', 'none'], doc: "'listed': the tool definitions go into every prompt (as real models need); 'none': a model trained on one fixed tool set learns them and its prompts stay short (tiny CPU demo)" },
  finetune: { kind: 'enum', default: 'lora', values: ['lora', 'full'], doc: "'lora': train adapters on the frozen base; 'full': train every weight (small models only)" },
  lora: { kind: 'section', fields: LORA_TABLE, doc: 'LoRA adapter' },
} as const satisfies ConfigTable;

/** Steps, schedule, optimizer, logging, checkpoints and the seed: what the shared loop runs on. */
export const TRAINING_TABLE = {
  max_steps: { kind: 'int', default: -1, min: -1, doc: 'stop after this many optimizer steps (-1: use num_train_epochs)' },
  learning_rate: { kind: 'number', default: 2e-4, min: 0, exclusiveMin: true, max: 1, doc: 'peak learning rate' },
  gradient_accumulation_steps: { kind: 'int', default: 1, min: 1, max: 1024, doc: 'micro-batches per optimizer step' },
  lr_scheduler_type: { kind: 'enum', default: 'cosine', values: ['constant', 'linear', 'cosine'], doc: 'learning-rate decay after warmup' },
  warmup_steps: { kind: 'int', default: 0, min: 0, doc: 'linear warmup steps' },
  weight_decay: { kind: 'number', default: 0, min: 0, max: 1, doc: 'decoupled AdamW weight decay' },
  adam_beta1: { kind: 'number', default: 0.9, min: 0, max: 0.9999, doc: 'AdamW beta1' },
  adam_beta2: { kind: 'number', default: 0.999, min: 0, max: 0.99999, doc: 'AdamW beta2' },
  adam_epsilon: { kind: 'number', default: 1e-8, min: 0, exclusiveMin: true, doc: 'AdamW epsilon' },
  max_grad_norm: { kind: 'number', default: 1, min: 0, doc: 'clip the global gradient norm to this (0: no clipping)' },
  seed: { kind: 'int', default: 42, min: 0, max: 4294967295, doc: 'one seed for init, shuffling, dropout and sampling' },
  logging_steps: { kind: 'int', default: 1, min: 1, doc: 'log metrics every N optimizer steps' },
  save_every: { kind: 'int', default: 0, min: 0, doc: 'checkpoint every N steps (0: only at the end)' },
  save_total_limit: { kind: 'int', default: 2, min: 1, max: 100, doc: 'checkpoints kept (older ones are deleted once a newer one is complete)' },
  max_nonfinite_steps: { kind: 'int', default: 5, min: 1, doc: 'consecutive NaN/Inf steps before the run stops' },
} as const satisfies ConfigTable;

/** What every trainer's config has: the shared fragments plus the data keys each trainer defines with its own docs. */
export type TrainingConfig = ConfigOf<typeof MODEL_TABLE> &
  ConfigOf<typeof TRAINING_TABLE> & {
    model_name: string;
    tools_file: string;
    eval_file: string;
    output_dir: string;
    num_train_epochs: number;
    batch_size: number;
    max_seq_len: number;
    eval_every: number;
  };

/** Rules across keys that hold for every trainer. */
export function commonProblems(c: TrainingConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (c.eval_every > 0 && c.eval_file.trim() === '') {
    problems.push({ key: 'eval_every', message: 'periodic evaluation needs eval_file: set eval_file to a held-out JSONL, or eval_every to 0' });
  }
  return problems;
}

/** Optimizer steps the config asks for, over `examples` training examples (pairs, for the reward model). */
export function totalStepsFor(c: TrainingConfig, examples: number): number {
  if (c.max_steps > 0) return c.max_steps;
  const perEpoch = batchesPerEpoch(examples, c.batch_size);
  return Math.max(1, Math.ceil((c.num_train_epochs * perEpoch) / c.gradient_accumulation_steps));
}

/** The shared loop's settings from a trainer config. */
export function loopConfigFor(c: TrainingConfig, runId: string, totalSteps: number, examples: number): LoopConfig {
  return {
    runId, totalSteps, gradientAccumulation: c.gradient_accumulation_steps, learningRate: c.learning_rate,
    schedule: c.lr_scheduler_type, warmupSteps: c.warmup_steps, weightDecay: c.weight_decay,
    beta1: c.adam_beta1, beta2: c.adam_beta2, epsilon: c.adam_epsilon, maxGradNorm: c.max_grad_norm,
    loggingSteps: c.logging_steps, evalEvery: c.eval_every, saveEvery: c.save_every, saveTotalLimit: c.save_total_limit,
    maxNonFiniteSteps: c.max_nonfinite_steps, batchesPerEpoch: batchesPerEpoch(examples, c.batch_size),
  };
}
