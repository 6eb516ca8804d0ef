// GRPO and PPO configs are validated up front: the shipped YAML files parse, and every cross-key mistake is a
// named error that says what to change.
import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError } from '../../../src/train/config-schema.ts';
import { defaultGrpoConfig, parseGrpoYaml, validateGrpoConfig, type GrpoConfig } from '../../../src/train/grpo-config.ts';
import { defaultPpoConfig, parsePpoYaml, ppoRolloutSize, validatePpoConfig, type PpoConfig } from '../../../src/train/ppo-config.ts';

const problems = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.key}: ${p.message}`);
    throw e;
  }
  return [];
};

describe('RL configs', () => {
  it('the shipped configs parse, with TRL defaults where they set nothing', () => {
    for (const f of ['configs/config_grpo.yaml', 'configs/config_grpo_demo.yaml']) expect(() => parseGrpoYaml(readFileSync(f, 'utf8'), f)).not.toThrow();
    const ppo = parsePpoYaml(readFileSync('configs/config_ppo.yaml', 'utf8'), 'configs/config_ppo.yaml');
    expect(ppo.reward_model).toBe('out/rm-demo');
    const g = defaultGrpoConfig();
    expect([g.num_generations, g.beta, g.epsilon, g.loss_type, g.scale_rewards, g.learning_rate, g.temperature]).toEqual([8, 0, 0.2, 'dapo', 'group', 1e-6, 1]);
    const p = defaultPpoConfig();
    expect([p.kl_coef, p.kl_estimator, p.cliprange, p.cliprange_value, p.vf_coef, p.gamma, p.lam, p.num_ppo_epochs, p.response_length, p.temperature]).toEqual([0.05, 'k1', 0.2, 0.2, 0.1, 1, 0.95, 4, 53, 0.7]);
    expect(ppoRolloutSize({ ...p, per_device_train_batch_size: 4, gradient_accumulation_steps: 2, num_mini_batches: 3 })).toBe(24);
  });

  it('names every cross-key problem with the fix', () => {
    expect(problems(() => validateGrpoConfig({ per_device_train_batch_size: 6, num_generations: 4 }))).toEqual([
      expect.stringMatching(/^num_generations: a rollout of 6 episodes .* is not a whole number of groups of 4/),
    ]);
    expect(problems(() => validateGrpoConfig({ steps_per_generation: 3, gradient_accumulation_steps: 2, per_device_train_batch_size: 8 }))).toEqual([
      expect.stringMatching(/^steps_per_generation: 3 micro-batches per rollout do not make whole optimizer steps/),
    ]);
    expect(problems(() => validateGrpoConfig({ finetune: 'full', beta: 0.1 }))).toEqual([expect.stringMatching(/^finetune: full fine-tuning has no reference policy .*set beta to 0/)]);
    expect(problems(() => validatePpoConfig({ finetune: 'full', critic: 'head' }))).toEqual([expect.stringMatching(/^finetune: .*set kl_coef to 0/)]);
    expect(problems(() => validatePpoConfig({ finetune: 'full', kl_coef: 0, critic: 'adapter' }))).toEqual([expect.stringMatching(/^critic: a critic adapter sits on frozen base weights.*set critic to head/)]);
    expect(problems(() => validateGrpoConfig({ reward: { rule: 'none' } }))).toEqual([expect.stringMatching(/^reward: every reward component has weight 0/)]);
    expect(problems(() => validatePpoConfig({ reward: { reward_model_weight: 1 } }))).toEqual([expect.stringMatching(/^reward.reward_model_weight: .*reward_model is empty/)]);
    expect(problems(() => validateGrpoConfig({ eval_every: 5 }))).toEqual([expect.stringMatching(/^eval_every: periodic evaluation needs eval_file/)]);
  });

  it('rejects unknown keys and bad values with the YAML line', () => {
    const bad = 'num_generation: 4\nloss_type: ppo\ntemperature: 0\n';
    const msgs = problems(() => parseGrpoYaml(bad, 'g.yaml'));
    expect(msgs).toContainEqual(expect.stringMatching(/^num_generation: unknown key; did you mean "num_generations"\?/));
    expect(msgs).toContainEqual(expect.stringMatching(/^loss_type: must be one of grpo, bnpo, dr_grpo, dapo/));
    expect(msgs).toContainEqual(expect.stringMatching(/^temperature: must be > 0/));
    try {
      parseGrpoYaml(bad, 'g.yaml');
    } catch (e) {
      expect((e as ConfigError).problems.find((p) => p.key === 'loss_type')?.line).toBe(2);
    }
  });
});

describe('config types', () => {
  // tsc checks these (tests are in tsconfig): an enum key is typed as its values, so callers need no casts and a
  // comparison with a value the table does not have fails to compile.
  it('an enum key is the union of its values', () => {
    expectTypeOf<PpoConfig['critic']>().toEqualTypeOf<'adapter' | 'head'>();
    expectTypeOf<GrpoConfig['loss_type']>().toEqualTypeOf<'grpo' | 'bnpo' | 'dr_grpo' | 'dapo'>();
    expectTypeOf<PpoConfig['lora']['r']>().toEqualTypeOf<number>();
    expect(defaultPpoConfig().critic).toBe('adapter');
  });
});
