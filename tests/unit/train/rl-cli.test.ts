// `npm run train -- grpo|ppo` as real processes, the way a user chains the pipeline: PPO starts from a LoRA SFT
// output (its adapter merged, a fresh RL adapter on top) with a trained reward model's score as part of its reward,
// writes completions.jsonl, the RL adapter relative to the SFT adapter and the merged model, and `npm run eval --
// --model` loads both (the adapter through its chain adapter -> SFT adapter -> builtin:tiny). GRPO with full
// fine-tuning from builtin:tiny writes a complete model. The critic (score head) is in neither output.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../../src/model/byte-source.ts';
import { readAllSafetensors } from '../../../src/model/safetensors.ts';

const dir = mkdtempSync(join(tmpdir(), 'rl-cli-'));
const tsx = (script: string, args: string[]) => execFileSync('npx', ['tsx', '--import', './scripts/raw-loader.mjs', script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const train = (method: string, config: string, sets: string[]) => tsx('src/cli/train.ts', [method, '--config', config, ...sets.flatMap((s) => ['--set', s])]);
const small = ['prompt_tools=none', 'eval_every=0', 'save_every=0', 'eval_file=', 'warmup_steps=0'];
const rlSmall = [...small, 'max_steps=2', 'per_device_train_batch_size=4', 'train_file=public/data/ppo_data.jsonl', 'lora.r=2', 'lora.target_modules=[q_proj,v_proj]'];
const names = async (file: string) => {
  const b = readFileSync(file);
  return (await readAllSafetensors(memorySource('m', new Uint8Array(b.buffer, b.byteOffset, b.byteLength)))).tensors.map((t) => t.name);
};
const data = join(dir, 'eval4.jsonl');
writeFileSync(data, readFileSync('public/data/eval_data.jsonl', 'utf8').split('\n').slice(0, 4).join('\n') + '\n');

describe('npm run train -- grpo / ppo', () => {
  it('PPO from a LoRA SFT output with a reward model: completions, an adapter on the SFT adapter, a merged model, both evaluable', async () => {
    const sft = join(dir, 'sft');
    const rm = join(dir, 'rm');
    train('sft', 'configs/config_sft.yaml', [...small, 'max_steps=1', 'finetune=lora', 'lora.r=2', `output_dir=${sft}`]);
    train('rm', 'configs/config_rm.yaml', [...small, 'max_steps=1', 'finetune=full', `output_dir=${rm}`]);
    const out = join(dir, 'ppo');
    const log = train('ppo', 'configs/config_ppo.yaml', [...rlSmall, `model_name=${sft}`, `reward_model=${rm}`, 'reward.reward_model_weight=0.5', 'response_length=12', 'num_ppo_epochs=1', `output_dir=${out}`]);
    expect(log).toMatch(new RegExp(`start policy public/models/tiny \\+ ${sft} \\(merged\\)`));
    expect(log).toMatch(new RegExp(`reward model: ${rm}`));
    expect(log).toMatch(/step 2\/2 loss/);
    expect(log).toMatch(/objective\/scores|reward/);

    const rows = readFileSync(join(out, 'completions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.length).toBe(8); // two rollouts of 4 episodes
    for (const r of rows) {
      expect(Number.isFinite(r.reward)).toBe(true);
      expect(Number.isFinite(r.components.reward_model)).toBe(true);
    }

    const adapterCfg = JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8'));
    expect(adapterCfg).toMatchObject({ task_type: 'CAUSAL_LM', r: 2, base_model_name_or_path: sft });
    expect(adapterCfg.modules_to_save ?? null).toBeNull();
    const adapterKeys = await names(join(out, 'adapter', 'adapter_model.safetensors'));
    expect(adapterKeys.length).toBe(2 * 2 * 2); // 2 layers x (q, v) x (A, B)
    expect(adapterKeys.some((k) => k.includes('score'))).toBe(false);
    const merged = await names(join(out, 'model.safetensors'));
    expect(merged).toContain('model.embed_tokens.weight');
    expect(merged.some((k) => k.includes('score') || k.includes('lora'))).toBe(false);

    for (const [k, m] of [out, join(out, 'adapter')].entries()) {
      const ev = tsx('src/cli/eval.ts', ['--model', m, '--data', data, '--prompt-tools', 'none', '--report', join(dir, `eval-${k}.json`)]);
      expect(ev).toMatch(/tool-level accuracy: \d+\.\d%/);
      expect(ev).toMatch(/chain-level success: \d+\.\d%/);
    }
  }, 600_000); // five processes (30 s on a quiet machine, 170 s under heavy load)

  it('GRPO with full fine-tuning from builtin:tiny writes a complete model', async () => {
    const out = join(dir, 'grpo');
    const log = train('grpo', 'configs/config_grpo.yaml', [...rlSmall, 'model_name=builtin:tiny', 'finetune=full', 'beta=0', 'num_generations=2', 'max_completion_length=12', `output_dir=${out}`]);
    expect(log).toMatch(/step 2\/2 loss/);
    expect(existsSync(join(out, 'adapter'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).architectures).toEqual(['Qwen3ForCausalLM']);
    expect((await names(join(out, 'model.safetensors'))).some((k) => k.includes('score'))).toBe(false);
    expect(readFileSync(join(out, 'completions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(8);
  }, 300_000);

  it('names a config problem across keys', () => {
    expect(() => train('grpo', 'configs/config_grpo.yaml', ['finetune=full', 'beta=0.1'])).toThrow(/finetune: full fine-tuning has no reference policy/);
    expect(() => tsx('src/cli/train.ts', ['ppx'])).toThrow(/methods: sft, rm, grpo, ppo/);
    // A reward YAML that is not there fails before the GPU opens, naming the field and the presets it could be.
    const failure = (() => {
      try {
        train('ppo', 'configs/config_ppo.yaml', ['reward.rule=configs/nope.yaml']);
      } catch (e) {
        return e as { stdout: string; stderr: string };
      }
      throw new Error('a missing reward YAML was accepted');
    })();
    expect(failure.stderr).toMatch(/^reward\.rule "configs\/nope\.yaml" is not a preset \(none, toolrl, binary, pipeline\) and its file could not be read: ENOENT/m);
    expect(failure.stdout).toContain('valid of'); // the datasets were read ...
    expect(failure.stdout).not.toContain('GPU:'); // ... and the device was never opened
  });
});
