// What a finished run leaves in its output folder, from its final checkpoint (train CLI, demo:rm): the PEFT
// adapter, or for full fine-tuning the whole model in the HF layout (config.json, model.safetensors, tokenizer).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Checkpoint } from '../train/checkpoint.ts';
import { checkpointFiles } from '../train/export.ts';
import type { TrainingConfig } from '../train/training-config.ts';

/** Writes the files and says what was written. `fullConfigJson` makes a full model's config.json from the base's. */
export function writeTrainedModel(out: string, final: Checkpoint, config: TrainingConfig, baseFolder: string, fullConfigJson: (base: Record<string, unknown>) => Record<string, unknown>): string {
  for (const [name, data] of Object.entries(checkpointFiles(final, config))) writeFileSync(join(out, name), data);
  if (config.finetune !== 'full') return `adapter written to ${out}/adapter_config.json + adapter_model.safetensors`;
  const base = JSON.parse(readFileSync(join(baseFolder, 'config.json'), 'utf8'));
  writeFileSync(join(out, 'config.json'), JSON.stringify(fullConfigJson(base), null, 2));
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(out, f), readFileSync(join(baseFolder, f)));
  return `full model written to ${out}/ (HF layout)`;
}
