// Writes what an RL run produced where the model loaders find it:
//   finetune full  -> a complete HF folder (every weight trained);
//   finetune lora  -> adapter/ (PEFT files of the RL adapter, relative to the start policy) and, when the start policy
//                     is a complete folder (the tiny model, an SFT full fine-tune), the start weights with the adapter
//                     merged in as a complete HF folder beside it, so `--model DIR` loads the result directly.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QwenModel } from '../model/qwen.ts';
import { writeSafetensors } from '../model/safetensors.ts';
import type { HostTensor } from '../train/checkpoint.ts';
import { policyWeights } from '../train/export.ts';
import { MODEL_SIDE_FILES, writeModelOutput } from './model-output.ts';

export interface RlOutputConfig {
  finetune: string;
  lora: { r: number; alpha: number; dropout: number; target_modules: string[] };
}

/**
 * `startFolder`: the complete model folder the start policy's weights came from (its config and tokenizer files are
 * copied); `startName`: what the RL adapter applies to, written as its base_model_name_or_path (the start policy as
 * named: an SFT adapter folder when RL started from one; default startFolder). PPO's critic (the score head, its adapter) is not
 * part of the policy and is left out of both outputs.
 */
export async function writeRlOutput(dir: string, model: QwenModel, config: RlOutputConfig, startFolder: string, params: Record<string, HostTensor>, startName = startFolder): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const startIsFull = existsSync(join(startFolder, 'model.safetensors'));
  const policy = policyWeights(params);
  if (config.finetune === 'full') return writeModelOutput(dir, policy, { finetune: 'full', lora: config.lora, model_name: startName }, startFolder);
  const adapterParams = Object.fromEntries(Object.entries(policy).filter(([k]) => k.startsWith('lora_')));
  const lines = [writeModelOutput(join(dir, 'adapter'), adapterParams, { finetune: 'lora', lora: config.lora, model_name: startName }, startFolder)];
  if (startIsFull) {
    model.mergeLora();
    const tensors = [];
    for (const [name, t] of model.baseTensors()) {
      const data = await t.read();
      tensors.push({ name, dtype: 'F32' as const, shape: [...t.shape], data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    }
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors, { format: 'pt' }));
    for (const f of MODEL_SIDE_FILES) writeFileSync(join(dir, f), readFileSync(join(startFolder, f)));
    lines.push(`merged model (start policy + RL adapter) written to ${dir}/ (HF layout)`);
  }
  return lines.join('\n');
}
