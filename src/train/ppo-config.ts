// PPO configuration: the shared RL keys plus TRL's PPOConfig settings with its defaults (kl_coef 0.05, kl_estimator
// k1, cliprange 0.2, vf_coef 0.1, cliprange_value 0.2, gamma 1, lam 0.95, num_ppo_epochs 4, num_mini_batches 1,
// whiten_rewards false, response_length 53, temperature 0.7, learning_rate 3e-6), and the critic's layout and
// learning rate (TRL's value model is a separate model at the policy's learning rate).
import { trainerConfig, type ConfigOf, type ConfigProblem, type ConfigTable } from './config-schema.ts';
import { checkRlCommon, rlCommonTable } from './rl-config.ts';

export const PPO_TABLE = {
  ...rlCommonTable({ learningRate: 3e-6, temperature: 0.7, outputDir: 'out/ppo' }),
  response_length: { kind: 'int', default: 53, min: 1, max: 32768, doc: 'sampled tokens per assistant turn (TRL: of the response)' },
  num_mini_batches: { kind: 'int', default: 1, min: 1, max: 1024, doc: 'mini-batches per PPO epoch; a rollout holds per_device_train_batch_size × gradient_accumulation_steps × num_mini_batches episodes' },
  num_ppo_epochs: { kind: 'int', default: 4, min: 1, max: 64, doc: 'optimisation epochs over each rollout' },
  kl_coef: { kind: 'number', default: 0.05, min: 0, doc: 'per-token KL penalty to the reference policy, added to the rewards' },
  kl_estimator: { kind: 'enum', default: 'k1', values: ['k1', 'k3'], doc: 'KL estimator: k1 = log π - log π_ref; k3 = (r - 1) - log r, r = π_ref / π (never negative)' },
  cliprange: { kind: 'number', default: 0.2, min: 0, exclusiveMin: true, max: 1, doc: 'clipping range of the policy ratio' },
  cliprange_value: { kind: 'number', default: 0.2, min: 0, exclusiveMin: true, doc: 'clipping range of the value update around the rollout values' },
  vf_coef: { kind: 'number', default: 0.1, min: 0, doc: 'weight of the value loss' },
  gamma: { kind: 'number', default: 1, min: 0, max: 1, doc: 'discount factor' },
  lam: { kind: 'number', default: 0.95, min: 0, max: 1, doc: 'GAE lambda' },
  whiten_rewards: { kind: 'bool', default: false, doc: 'whiten the per-token rewards before GAE' },
  // Default adapter, TRL's layout (a value model of its own) without a second copy of the weights: on the PPO demo
  // (docs/training.md, runs 12, 15, 16) it explained 0.5-0.9 of the returns' variance, the head on the policy's
  // features less than none (explained variance -0.04 to -2.5, at the policy's learning rate or 10x).
  critic: { kind: 'enum', default: 'adapter', values: ['adapter', 'head'], doc: 'the value model: adapter = a scalar head on its own LoRA adapter over the same frozen base (TRL\'s separate value model without a second copy of the weights; one more forward and backward per micro-batch; needs finetune: lora); head = the scalar head on the policy\'s hidden states, which the value loss does not train (cheaper, and a poor critic)' },
  critic_learning_rate: { kind: 'number', default: 0, min: 0, doc: 'the critic\'s learning rate (head and critic adapter; the schedule scales it as it scales learning_rate); 0: learning_rate, as TRL trains policy and value model with one optimizer' },
  missing_eos_penalty: { kind: 'number', default: 0, min: 0, doc: 'subtracted from the score of an episode whose last turn never ended (0: none)' },
} as const satisfies ConfigTable;

export type PpoConfig = ConfigOf<typeof PPO_TABLE>;

/** The PPO config as every trainer's: table, defaults, validation with the cross-key rules below, YAML (the studio's form and the CLI use it). */
export const PPO_CONFIG = trainerConfig(PPO_TABLE, (c) => ppoProblems(c));
export const defaultPpoConfig = (): PpoConfig => PPO_CONFIG.defaults();
export const validatePpoConfig = (raw: unknown, source = 'config'): PpoConfig => PPO_CONFIG.validate(raw, source);
export const parsePpoYaml = (text: string, source = 'config.yaml'): PpoConfig => PPO_CONFIG.parseYaml(text, source);

/** Episodes of one rollout. */
export function ppoRolloutSize(c: PpoConfig): number {
  return c.per_device_train_batch_size * c.gradient_accumulation_steps * c.num_mini_batches;
}

function ppoProblems(c: PpoConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  checkRlCommon(c, problems);
  if (c.finetune === 'full' && c.kl_coef !== 0) {
    problems.push({ key: 'finetune', message: 'full fine-tuning has no reference policy without a second copy of the model: set kl_coef to 0, or finetune to lora' });
  }
  if (c.finetune === 'full' && c.critic === 'adapter') {
    problems.push({ key: 'critic', message: 'a critic adapter sits on frozen base weights, and full fine-tuning trains them: set critic to head, or finetune to lora' });
  }
  return problems;
}
