// Trainer config validation (SFT, reward model): defaults, the shipped YAML, and errors that name the key, the line and the fix.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/train/config-schema.ts';
import { defaultSftConfig, parseSftYaml, SFT_TABLE, validateSftConfig } from '../../../src/train/sft-config.ts';
import { configToYaml } from '../../../src/train/config-schema.ts';
import { defaultRmConfig, parseRmYaml, RM_TABLE, validateRmConfig } from '../../../src/train/rm-config.ts';

function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('SFT config', () => {
  it('parses the shipped configs/config_sft.yaml with the original keys', () => {
    const c = parseSftYaml(readFileSync('configs/config_sft.yaml', 'utf8'), 'configs/config_sft.yaml');
    expect(c.learning_rate).toBe(0.0002);
    expect(c.batch_size).toBe(4);
    expect(c.num_train_epochs).toBe(3);
    expect(c.train_file).toEqual(['public/data/sft_data.jsonl']);
    expect(c.lora.target_modules).toEqual(['q_proj', 'k_proj', 'v_proj', 'o_proj']);
  });

  it('fills defaults for missing keys', () => {
    const c = validateSftConfig({ learning_rate: 1e-3 });
    expect(c.learning_rate).toBe(1e-3);
    expect(c.lora.r).toBe(defaultSftConfig().lora.r);
    expect(c.lr_scheduler_type).toBe('cosine');
  });

  it('names an unknown key, its line and the closest known key', () => {
    const e = problemsOf(() => parseSftYaml('learning_rate: 0.001\nnum_train_epoch: 2\n', 'my.yaml'));
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatchObject({ key: 'num_train_epoch', line: 2 });
    expect(e.message).toMatch(/did you mean "num_train_epochs"/);
    expect(e.message).toMatch(/^my\.yaml/);
  });

  it('reports every wrong type and impossible value at once, nested keys included', () => {
    const e = problemsOf(() =>
      parseSftYaml(['batch_size: four', 'learning_rate: -1', 'lr_scheduler_type: step', 'lora:', '  r: 2.5', '  target_modules: [q_proj, attn]'].join('\n')),
    );
    const byKey = Object.fromEntries(e.problems.map((p) => [p.key, p]));
    expect(Object.keys(byKey).sort()).toEqual(['batch_size', 'learning_rate', 'lora.r', 'lora.target_modules', 'lr_scheduler_type']);
    expect(byKey.batch_size.message).toMatch(/expected a number/);
    expect(byKey.batch_size.line).toBe(1);
    expect(byKey.learning_rate.message).toMatch(/must be > 0/);
    expect(byKey.lr_scheduler_type.message).toMatch(/constant, linear, cosine/);
    expect(byKey['lora.r'].message).toMatch(/whole number/);
    expect(byKey['lora.r'].line).toBe(5);
    expect(byKey['lora.target_modules'].message).toMatch(/attn.*allowed: q_proj/);
  });

  it('checks rules across keys', () => {
    const e = problemsOf(() => validateSftConfig({ eval_every: 10, eval_file: '' }));
    expect(e.problems[0].key).toBe('eval_every');
    expect(e.message).toMatch(/needs eval_file/);
  });

  it('reports YAML syntax errors with their line', () => {
    const e = problemsOf(() => parseSftYaml('batch_size: 4\nlora: [unclosed\n'));
    expect(e.problems[0].key).toBe('(yaml syntax)');
    expect(e.problems[0].line).toBeGreaterThanOrEqual(2);
  });

  it('round-trips through YAML (the studio form and the file are two views of one config)', () => {
    const c = validateSftConfig({ learning_rate: 3e-4, lora: { r: 4, target_modules: ['q_proj', 'down_proj'] } });
    const again = parseSftYaml(configToYaml(SFT_TABLE, c, 'exported'));
    expect(again).toEqual(c);
  });
});

describe('reward-model config', () => {
  it('parses the shipped configs/config_rm.yaml with the original keys, LoRA, margin and centring', () => {
    const c = parseRmYaml(readFileSync('configs/config_rm.yaml', 'utf8'), 'configs/config_rm.yaml');
    expect(c).toMatchObject({ model_name: 'builtin:tiny', train_file: ['public/data/rm_data.jsonl'], output_dir: 'out/rm', num_train_epochs: 1, learning_rate: 0.0001, batch_size: 4 });
    expect(c).toMatchObject({ eval_file: 'public/data/rm_eval.jsonl', center_rewards_coefficient: 0.01, margin: 0, eval_every: 50, save_every: 50, seed: 42 });
    expect(c.lora).toMatchObject({ r: 8, alpha: 16, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] });
  });

  it('shares the training keys with SFT (one fragment, the same validation) and has its own', () => {
    for (const k of ['learning_rate', 'lr_scheduler_type', 'warmup_steps', 'max_grad_norm', 'seed', 'save_every', 'lora', 'finetune']) {
      expect(RM_TABLE[k as keyof typeof RM_TABLE].kind).toBe(SFT_TABLE[k as keyof typeof SFT_TABLE].kind);
    }
    expect('center_rewards_coefficient' in RM_TABLE && !('center_rewards_coefficient' in SFT_TABLE)).toBe(true);
    expect(defaultRmConfig().center_rewards_coefficient).toBe(0.01);
  });

  it('names unknown keys, bad values and cross-key problems with their lines', () => {
    const e = problemsOf(() => parseRmYaml('center_reward_coefficient: 0.1\nbatch_size: 0\nmargin: big\n', 'rm.yaml'));
    const byKey = Object.fromEntries(e.problems.map((p) => [p.key, p]));
    expect(byKey.center_reward_coefficient.message).toMatch(/did you mean "center_rewards_coefficient"/);
    expect(byKey.batch_size).toMatchObject({ line: 2 });
    expect(byKey.batch_size.message).toMatch(/must be >= 1/);
    expect(byKey.margin).toMatchObject({ line: 3 });
    expect(problemsOf(() => validateRmConfig({ center_rewards_coefficient: -1 })).message).toMatch(/center_rewards_coefficient: must be >= 0/);
    expect(problemsOf(() => validateRmConfig({ eval_every: 5, eval_file: '' })).message).toMatch(/eval_every: periodic evaluation needs eval_file/);
  });

  it('round-trips through YAML', () => {
    const c = validateRmConfig({ margin: 0.5, finetune: 'full', lora: { r: 2 } });
    expect(parseRmYaml(configToYaml(RM_TABLE, c))).toEqual(c);
  });
});
