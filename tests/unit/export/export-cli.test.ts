// npm run export on a config and on a `npm run train` output_dir layout: the folder it writes, and its errors.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configToYaml } from '../../../src/train/config-schema.ts';
import { defaultGrpoConfig, GRPO_TABLE } from '../../../src/train/grpo-config.ts';
import { defaultPpoConfig, PPO_TABLE } from '../../../src/train/ppo-config.ts';

const tmp = mkdtempSync(join(tmpdir(), 'export-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (args: string[]) => spawnSync('npx', ['tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/export.ts', ...args], { encoding: 'utf8' });

describe('npm run export', () => {
  it('--run DIR: a train output_dir (resolved config + adapter) becomes a TRL folder carrying the adapter and the tiny model', () => {
    const run = join(tmp, 'run');
    execFileSync('mkdir', ['-p', run]);
    const lines = readFileSync('public/data/sft_data.jsonl', 'utf8').split('\n').slice(0, 30).join('\n') + '\n';
    writeFileSync(join(tmp, 'train.jsonl'), lines);
    writeFileSync(join(run, 'config.resolved.yaml'), `# resolved SFT config (2025-06-02T00:00:00.000Z)\nmodel_name: builtin:tiny\ntrain_file: [${join(tmp, 'train.jsonl')}]\nchat_template: compact\nprompt_tools: none\nlearning_rate: 0.001\n`);
    writeFileSync(join(run, 'adapter_config.json'), '{"peft_type": "LORA"}');
    writeFileSync(join(run, 'adapter_model.safetensors'), new Uint8Array(16));
    const out = join(tmp, 'trl');
    const r = cli(['--run', run, '--to', 'trl', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/sft run -> trl: \d+ files/);
    for (const f of ['train_sft.py', 'data/sft_train.jsonl', 'adapter/adapter_config.json', 'merge_adapter.py', 'model/config.json', 'model/model.safetensors', 'chat_template.jinja']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(readFileSync(join(out, 'data/sft_train.jsonl'), 'utf8').trim().split('\n')).toHaveLength(30);
    const script = readFileSync(join(out, 'train_sft.py'), 'utf8');
    expect(script).toContain('MODEL = os.path.join(HERE, "model")');
    expect(script).toContain('PROMPT_TOOLS = False');
    expect(script).toContain('learning_rate=0.001,');
    copyFileSync(join(out, 'train_sft.py'), join(tmp, 'compiled.py'));
    execFileSync('python3', ['-m', 'py_compile', join(tmp, 'compiled.py')]);
  }, 120_000);

  it('--run DIR of a GRPO and a PPO run (resolved config with its header, adapter): TRL and verl folders with the run\'s settings; a reward YAML as rule', () => {
    const lines = readFileSync('public/data/chains_data.jsonl', 'utf8').split('\n').slice(0, 12).join('\n') + '\n';
    writeFileSync(join(tmp, 'chains.jsonl'), lines);
    for (const method of ['grpo', 'ppo'] as const) {
      const run = join(tmp, `run-${method}`);
      execFileSync('mkdir', ['-p', run]);
      const c = method === 'grpo'
        ? { ...defaultGrpoConfig(), model_name: 'builtin:tiny', train_file: [join(tmp, 'chains.jsonl')], chat_template: 'compact', num_generations: 4, per_device_train_batch_size: 4, max_turns: 4, reward: { rule: 'configs/reward.yaml', rule_weight: 1, chain_weight: 0.5, reward_model_weight: 0 } }
        : { ...defaultPpoConfig(), model_name: 'builtin:tiny', train_file: [join(tmp, 'chains.jsonl')], chat_template: 'compact', kl_coef: 0.1, max_turns: 4 };
      const table = method === 'grpo' ? GRPO_TABLE : PPO_TABLE;
      writeFileSync(join(run, 'config.resolved.yaml'), configToYaml(table, c as never, `resolved ${method.toUpperCase()} config (2026-12-01T00:00:00.000Z)`));
      writeFileSync(join(run, 'adapter_config.json'), '{"peft_type": "LORA"}');
      writeFileSync(join(run, 'adapter_model.safetensors'), new Uint8Array(16));
      for (const to of ['trl', 'verl'] as const) {
        const out = join(tmp, `${method}-${to}`);
        const r = cli(['--run', run, '--to', to, '--out', out]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`${method} run -> ${to}: \\d+ files`));
        for (const f of ['rl_reward.py', 'adapter/adapter_config.json', 'model/config.json', ...(to === 'trl' ? [`train_${method}.py`, 'data/prompts_train.jsonl'] : ['run_verl.sh', 'data/train.parquet', 'verl_reward.py'])]) {
          expect(existsSync(join(out, f)), `${method} ${to} ${f}`).toBe(true);
        }
        if (to === 'trl') {
          const rows = readFileSync(join(out, 'data/prompts_train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
          expect(rows).toHaveLength(12);
          expect(JSON.parse(rows[0].ground_truth).steps.length).toBeGreaterThan(1);
        }
      }
    }
    const grpo = readFileSync(join(tmp, 'grpo-trl', 'train_grpo.py'), 'utf8');
    // configs/reward.yaml: the pipeline weights plus format 0, in the file's order.
    expect(grpo).toContain('"name": "pipeline"');
    expect(grpo).toContain('"format": 0');
    expect(grpo).toContain('max_tool_calling_iterations=3,');
    expect(readFileSync(join(tmp, 'grpo-verl', 'run_verl.sh'), 'utf8')).toContain('actor_rollout_ref.rollout.multi_turn.max_assistant_turns=4');
    expect(readFileSync(join(tmp, 'ppo-verl', 'run_verl.sh'), 'utf8')).toContain('algorithm.kl_ctrl.kl_coef=0.1');
    expect(readFileSync(join(tmp, 'ppo-trl', 'train_ppo.py'), 'utf8')).toContain('kl_coef=0.1,');
  }, 180_000);

  it('a GRPO config is validated by GRPO_TABLE: problems named by key and line', () => {
    writeFileSync(join(tmp, 'bad-grpo.yaml'), '# resolved GRPO config\nnum_generations: 3\nper_device_train_batch_size: 4\nbeta: -1\n');
    const r = cli(['--config', join(tmp, 'bad-grpo.yaml'), '--to', 'trl', '--out', join(tmp, 'never')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/beta \(line 4\): /);
    writeFileSync(join(tmp, 'bad-rule.yaml'), 'reward:\n  rule: no-such-reward.yaml\n');
    expect(cli(['--config', join(tmp, 'bad-rule.yaml'), '--method', 'ppo', '--to', 'verl', '--out', join(tmp, 'never')]).stderr).toMatch(/reward.rule "no-such-reward.yaml" is not a preset .* and no such file exists/);
    expect(existsSync(join(tmp, 'never'))).toBe(false);
  }, 120_000);

  it('errors name the problem: no options, a missing run folder, a bad config key', () => {
    expect(cli(['--to', 'trl', '--out', tmp]).stderr).toMatch(/give exactly one of --run and --config/);
    expect(cli(['--run', join(tmp, 'nope'), '--to', 'verl', '--out', tmp]).stderr).toMatch(/config.resolved.yaml does not exist \(is this a `npm run train` output_dir\?\)/);
    writeFileSync(join(tmp, 'bad.yaml'), 'learning_rat: 0.1\n');
    expect(cli(['--config', join(tmp, 'bad.yaml'), '--to', 'trl', '--out', tmp]).stderr).toMatch(/learning_rat \(line 1\): unknown key; did you mean "learning_rate"\?/);
    expect(cli(['--config', join(tmp, 'bad.yaml'), '--to', 'onnx-ish', '--out', tmp]).stderr).toMatch(/--to must be one of/);
  }, 120_000);
});

describe('npm run export -- --to onnx', () => {
  it('writes onnx/model.onnx with config and tokenizer files, loadable by onnxruntime-web with past_key_values inputs', async () => {
    const out = join(tmp, 'onnx');
    const r = cli(['--config', 'configs/config_sft.yaml', '--to', 'onnx', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['onnx/model.onnx', 'config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json']) expect(existsSync(join(out, f)), f).toBe(true);
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(readFileSync(join(out, 'onnx/model.onnx')));
    expect(session.inputNames.slice(0, 3)).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    expect(session.inputNames).toContain('past_key_values.1.value');
    expect(session.outputNames).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
    expect(JSON.parse(readFileSync(join(out, 'tokenizer_config.json'), 'utf8')).chat_template).toBe(JSON.parse(readFileSync('public/models/tiny/tokenizer_config.json', 'utf8')).chat_template);
  }, 120_000);
});
