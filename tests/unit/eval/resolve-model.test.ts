// Which files `npm run eval -- --model` loads: a model folder, an adapter naming its base, an adapter on an adapter
// (RL on a LoRA SFT output), the prompt settings a train output records, and the errors that say what to do.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveModel } from '../../../src/cli/model-folders.ts';

const root = mkdtempSync(join(tmpdir(), 'resolve-model-'));
const adapterDir = (name: string, base: string, extra: Record<string, string> = {}) => {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 2, lora_alpha: 4, target_modules: ['q_proj'], base_model_name_or_path: base }));
  for (const [f, t] of Object.entries(extra)) writeFileSync(join(d, f), t);
  return d;
};

describe('resolveModel', () => {
  it('builtin:tiny and full model folders load as they are', () => {
    expect(resolveModel('builtin:tiny')).toEqual({ base: 'public/models/tiny', adapters: [], promptTools: 'listed', chatTemplate: 'model' });
  });
  it('follows adapters down to their base, merging the lowest first, and reads the train output settings', () => {
    const sft = adapterDir('sft', 'builtin:tiny');
    const rl = adapterDir('rl', sft, { 'config.resolved.yaml': 'prompt_tools: none\nchat_template: compact\n' });
    expect(resolveModel(rl)).toEqual({ base: 'public/models/tiny', adapters: [sft, rl], promptTools: 'none', chatTemplate: 'compact' });
    expect(resolveModel(rl, { promptTools: 'listed' }).promptTools).toBe('listed');
    // --base replaces the top adapter's own base.
    expect(resolveModel(rl, { base: 'builtin:tiny' }).adapters).toEqual([rl]);
  });
  it('an adapter of a hub model that is not here, or one without a base, says what to give', () => {
    expect(() => resolveModel(adapterDir('hub', 'Qwen/Qwen3-0.6B'))).toThrow(/adapter of "Qwen\/Qwen3-0.6B", which is not a folder here: .* --base DIR/);
    expect(() => resolveModel(adapterDir('nobase', ''))).toThrow(/"base_model_name_or_path" is empty: give the base model folder with --base DIR/);
  });
});
