// Writes a trained model where the model loaders find it: full fine-tuning as a complete HF folder (config,
// weights, tokenizer), LoRA as a PEFT adapter (adapter_config.json names the base). Used by `train` (from the
// final checkpoint) and the demos (from the model in memory), so every output folder is one a loader accepts.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HostTensor } from '../train/checkpoint.ts';
import { checkpointFiles } from '../train/export.ts';
import type { SftConfig } from '../train/sft-config.ts';
import type { Tensor } from '../engine/index.ts';

/** The files a model folder needs besides its weights, copied from the folder it was trained from. */
/** The files beside a model's weights that an output folder copies from its base. */
export const MODEL_SIDE_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/**
 * `fullConfigJson` makes a full model's config.json from the base's (a reward model is a ForSequenceClassification);
 * without it the base's is copied.
 */
export function writeModelOutput(
  dir: string, weights: Record<string, HostTensor>, config: Pick<SftConfig, 'finetune' | 'lora' | 'model_name'>, baseFolder: string,
  fullConfigJson?: (base: Record<string, unknown>) => Record<string, unknown>,
): string {
  mkdirSync(dir, { recursive: true });
  const ckpt = { runId: '', step: 0, weights, optimizer: { step: 0, m: {}, v: {} }, rng: [0, 0, 0, 0] as [number, number, number, number], data: { epoch: 0, batch: 0 }, nonFiniteStreak: 0, createdAt: 0 };
  for (const [name, data] of Object.entries(checkpointFiles(ckpt, config))) writeFileSync(join(dir, name), data);
  if (config.finetune === 'full') {
    for (const f of MODEL_SIDE_FILES) writeFileSync(join(dir, f), readFileSync(join(baseFolder, f)));
    if (fullConfigJson) writeFileSync(join(dir, 'config.json'), JSON.stringify(fullConfigJson(JSON.parse(readFileSync(join(baseFolder, 'config.json'), 'utf8'))), null, 2));
    return `full model written to ${dir}/ (HF layout)`;
  }
  return `adapter written to ${dir}/adapter_config.json + adapter_model.safetensors`;
}

/** Reads trainable tensors back by their labels (the checkpoint names). */
export async function readParams(params: Tensor[]): Promise<Record<string, HostTensor>> {
  const out: Record<string, HostTensor> = {};
  for (const p of params) out[p.label] = { shape: [...p.shape], data: await p.read() };
  return out;
}
