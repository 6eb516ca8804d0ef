// GRPO configuration: the shared RL keys plus TRL's GRPOConfig settings (num_generations, beta, epsilon,
// epsilon_high, loss_type, scale_rewards, num_iterations, steps_per_generation, mask_truncated_completions,
// max_completion_length) with TRL's defaults, except where a note says otherwise.
import { trainerConfig, type ConfigOf, type ConfigProblem, type ConfigTable } from './config-schema.ts';
import { checkRlCommon, rlCommonTable } from './rl-config.ts';

export const GRPO_TABLE = {
  ...rlCommonTable({ learningRate: 1e-6, temperature: 1, outputDir: 'out/grpo' }),
  num_generations: { kind: 'int', default: 8, min: 2, max: 256, doc: 'episodes sampled per prompt (a group); advantages are relative to the group' },
  max_completion_length: { kind: 'int', default: 256, min: 1, max: 32768, doc: 'sampled tokens per assistant turn (TRL: of the completion)' },
  steps_per_generation: { kind: 'int', default: 0, min: 0, doc: 'micro-batches of each rollout; the rollout holds per_device_train_batch_size × steps_per_generation episodes (0: gradient_accumulation_steps)' },
  num_iterations: { kind: 'int', default: 1, min: 1, max: 64, doc: 'optimisation passes over each rollout (μ)' },
  beta: { kind: 'number', default: 0, min: 0, doc: 'KL coefficient to the reference policy (k3 estimator); 0 needs no reference forward' },
  epsilon: { kind: 'number', default: 0.2, min: 0, exclusiveMin: true, max: 1, doc: 'lower clipping range of the ratio: 1 - epsilon' },
  epsilon_high: { kind: 'number', default: 0, min: 0, doc: 'upper clipping range: 1 + epsilon_high (0: the same as epsilon; DAPO uses 0.28)' },
  loss_type: { kind: 'enum', default: 'dapo', values: ['grpo', 'bnpo', 'dr_grpo', 'dapo'], doc: 'token aggregation: grpo (per-sequence mean), bnpo (micro-batch token mean), dr_grpo (/ max_completion_length), dapo (token mean over the optimizer step)' },
  scale_rewards: { kind: 'enum', default: 'group', values: ['group', 'batch', 'none'], doc: 'divide advantages by the std of the group, of the batch, or not at all (Dr. GRPO)' },
  mask_truncated_completions: { kind: 'bool', default: false, doc: 'leave episodes that hit max_completion_length out of the loss (DAPO)' },
} as const satisfies ConfigTable;

export type GrpoConfig = ConfigOf<typeof GRPO_TABLE>;

/** The GRPO config as every trainer's: table, defaults, validation with the cross-key rules below, YAML (the studio's form and the CLI use it). */
export const GRPO_CONFIG = trainerConfig(GRPO_TABLE, (c) => grpoProblems(c));
export const defaultGrpoConfig = (): GrpoConfig => GRPO_CONFIG.defaults();
export const validateGrpoConfig = (raw: unknown, source = 'config'): GrpoConfig => GRPO_CONFIG.validate(raw, source);
export const parseGrpoYaml = (text: string, source = 'config.yaml'): GrpoConfig => GRPO_CONFIG.parseYaml(text, source);

/** Micro-batches of one rollout. */
export function grpoStepsPerGeneration(c: GrpoConfig): number {
  return c.steps_per_generation > 0 ? c.steps_per_generation : c.gradient_accumulation_steps;
}

function grpoProblems(c: GrpoConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  checkRlCommon(c, problems);
  const spg = grpoStepsPerGeneration(c);
  const rollout = c.per_device_train_batch_size * spg;
  if (rollout % c.num_generations !== 0) {
    problems.push({ key: 'num_generations', message: `a rollout of ${rollout} episodes (per_device_train_batch_size ${c.per_device_train_batch_size} × steps_per_generation ${spg}) is not a whole number of groups of ${c.num_generations}` });
  }
  if (spg % c.gradient_accumulation_steps !== 0) {
    problems.push({ key: 'steps_per_generation', message: `${spg} micro-batches per rollout do not make whole optimizer steps of gradient_accumulation_steps ${c.gradient_accumulation_steps}` });
  }
  if (c.finetune === 'full' && c.beta !== 0) {
    problems.push({ key: 'finetune', message: 'full fine-tuning has no reference policy without a second copy of the model: set beta to 0, or finetune to lora' });
  }
  return problems;
}
