// SFT config validation: defaults, the shipped YAML, and errors that name the key, the line and the fix.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/train/config-schema.ts';
import { defaultSftConfig, parseSftYaml, SFT_TABLE, validateSftConfig } from '../../../src/train/sft-config.ts';
import { configToYaml } from '../../../src/train/config-schema.ts';

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
