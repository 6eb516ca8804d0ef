// E2E helper: a copy of a PEFT adapter folder whose adapter_config.json claims another rank than its tensors have,
// the fixture the import and evaluation specs use to see a mismatched adapter refused by name.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes `to`/adapter_config.json (with `r`) and adapter_model.safetensors from `from`; returns the two paths. */
export function adapterClaimingRank(from: string, to: string, r: number): string[] {
  mkdirSync(to);
  const config = JSON.parse(readFileSync(join(from, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(to, 'adapter_config.json'), JSON.stringify({ ...config, r }));
  copyFileSync(join(from, 'adapter_model.safetensors'), join(to, 'adapter_model.safetensors'));
  return ['adapter_config.json', 'adapter_model.safetensors'].map((f) => join(to, f));
}
