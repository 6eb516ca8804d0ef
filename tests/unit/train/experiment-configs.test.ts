// The experiment configs docs/training.md names for its recorded runs (configs/experiments/) stay runnable: each one
// parses with its trainer's table (the file's prefix says which), and the reward YAML and sample datasets it names
// exist. Without this a renamed key would surface only when someone re-ran a 20-minute experiment.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGrpoYaml } from '../../../src/train/grpo-config.ts';
import { parsePpoYaml, ppoRolloutSize } from '../../../src/train/ppo-config.ts';
import { ruleRewardConfig } from '../../../src/train/rl-reward.ts';
import { parseSftYaml } from '../../../src/train/sft-config.ts';

const DIR = 'configs/experiments';
const read = (path: string) => readFileSync(path, 'utf8');

/** Parses one experiment file by its prefix; returns the files it names that the repo ships (public/, configs/). */
function check(file: string): string[] {
  const path = `${DIR}/${file}`;
  const text = read(path);
  if (file.startsWith('reward_')) {
    expect(ruleRewardConfig(path, read)).not.toBeNull();
    return [];
  }
  const parse = file.startsWith('grpo_') ? parseGrpoYaml : file.startsWith('ppo_') ? parsePpoYaml : file.startsWith('sft_') ? parseSftYaml : null;
  if (!parse) throw new Error(`${path}: no trainer for this prefix (grpo_, ppo_, sft_, reward_)`);
  const config = parse(text, path);
  const named = [...config.train_file, ...('reward' in config ? [config.reward.rule] : [])];
  // Start models and derived files under out/ are made by the commands in each file's header, not shipped.
  return named.filter((f) => f.startsWith('public/') || f.startsWith('configs/'));
}

describe('configs/experiments', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

  it('holds the recorded runs', () => {
    expect(files.length).toBeGreaterThanOrEqual(8);
    expect(files).toContain('ppo_chains_mixed_1epoch.yaml');
  });

  it.each(files)('%s parses with its trainer and names files that exist', (file) => {
    for (const named of check(file)) expect(existsSync(named), `${file} names ${named}`).toBe(true);
  });

  it('the one-epoch recipe is run 20 with each rollout used once', () => {
    const base = parsePpoYaml(read(`${DIR}/ppo_chains_mixed.yaml`), 'base');
    const oneEpoch = parsePpoYaml(read(`${DIR}/ppo_chains_mixed_1epoch.yaml`), 'one epoch');
    const changed = Object.keys(base).filter((k) => JSON.stringify(base[k as keyof typeof base]) !== JSON.stringify(oneEpoch[k as keyof typeof oneEpoch]));
    expect(changed.sort()).toEqual(['max_steps', 'num_mini_batches', 'num_ppo_epochs', 'output_dir', 'per_device_train_batch_size']);
    // The same 16 episodes a rollout, trained on in 4 mini-batches once instead of whole 4 times.
    expect(ppoRolloutSize(oneEpoch)).toBe(ppoRolloutSize(base));
    expect(ppoRolloutSize(base)).toBe(16);
  });
});
