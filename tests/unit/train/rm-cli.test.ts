// `npm run train -- rm` and `npm run eval -- --reward-model` as real processes: a full fine-tune writes a
// Qwen3ForSequenceClassification folder, a LoRA run a PEFT SEQ_CLS adapter, --resume continues from the newest
// checkpoint, and the eval CLI scores a pair file with either and prints pair accuracy per rejection kind.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memorySource } from '../../../src/model/byte-source.ts';
import { readAllSafetensors } from '../../../src/model/safetensors.ts';

const dir = mkdtempSync(join(tmpdir(), 'rm-cli-'));
const tsx = (script: string, args: string[]) => execFileSync('npx', ['tsx', '--import', './scripts/raw-loader.mjs', script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const train = (out: string, sets: string[], extra: string[] = []) =>
  tsx('src/cli/train.ts', ['rm', '--config', 'configs/config_rm.yaml', ...['finetune=full', 'prompt_tools=none', 'max_steps=2', 'warmup_steps=0', 'eval_every=0', 'save_every=0', 'eval_file=', `output_dir=${out}`, ...sets].flatMap((s) => ['--set', s]), ...extra]);
const pairs = join(dir, 'pairs.jsonl');
writeFileSync(pairs, readFileSync('public/data/rm_eval.jsonl', 'utf8').split('\n').slice(0, 6).join('\n') + '\n');

describe('npm run train -- rm / npm run eval -- --reward-model', () => {
  it('full fine-tuning writes a ForSequenceClassification folder that the eval CLI scores', async () => {
    const out = join(dir, 'full');
    const log = train(out, []);
    expect(log).toMatch(/600 training pairs/);
    expect(log).toMatch(/step 2\/2 loss \d+\.\d+ accuracy/);
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg.architectures).toEqual(['Qwen3ForSequenceClassification']);
    expect(cfg.id2label).toEqual({ '0': 'LABEL_0' });
    const file = readFileSync(join(out, 'model.safetensors'));
    const { tensors } = await readAllSafetensors(memorySource('m', new Uint8Array(file.buffer, file.byteOffset, file.byteLength)));
    expect(tensors.find((t) => t.name === 'score.weight')?.shape).toEqual([1, 64]);
    expect(tensors.some((t) => t.name === 'lm_head.weight')).toBe(false);

    const report = join(dir, 'full.json');
    const scored = tsx('src/cli/eval.ts', ['--reward-model', out, '--data', pairs, '--report', report]);
    expect(scored).toMatch(/pair accuracy: \d+\.\d% \(\d\/6\)/);
    expect(scored).toMatch(/mean margin/);
    expect(scored).toMatch(/\| rejection kind \| pairs \| accuracy \|/);
    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r.pairs).toHaveLength(6);
    expect(r.pairs.every((p: { chosen: number; rejected: number }) => Number.isFinite(p.chosen) && Number.isFinite(p.rejected))).toBe(true);
  });

  it('LoRA writes a SEQ_CLS adapter the eval CLI scores on its base; --resume continues from the newest checkpoint', () => {
    const out = join(dir, 'lora');
    train(out, ['finetune=lora', 'save_every=1', 'lora.r=2']);
    const cfg = JSON.parse(readFileSync(join(out, 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ task_type: 'SEQ_CLS', modules_to_save: ['classifier', 'score'], r: 2, base_model_name_or_path: 'builtin:tiny' });
    expect(tsx('src/cli/eval.ts', ['--reward-model', out, '--data', pairs])).toMatch(/pair accuracy: \d+\.\d% \(\d\/6\)/);
    const resumed = train(out, ['finetune=lora', 'save_every=1', 'lora.r=2', 'max_steps=3'], ['--resume']);
    expect(resumed).toMatch(/resumed from checkpoint at step 2/);
    expect(resumed).toMatch(/step 3\/3/);
    expect(resumed).not.toMatch(/step 1\/3/);
  });

  it('names an unknown method and a config problem', () => {
    expect(() => tsx('src/cli/train.ts', ['ppx'])).toThrow(/methods: sft, rm/);
    expect(() => tsx('src/cli/train.ts', ['rm', '--set', 'center_rewards_coefficient=-1'])).toThrow(/center_rewards_coefficient: must be >= 0/);
  });
});
