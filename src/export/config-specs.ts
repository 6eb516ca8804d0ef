// Each exportable method's config table (keys, bounds, defaults, cross-key rules): what a config exported without a
// run is validated by, in the CLI (`npm run export -- --config`) and in the studio's Export page alike.
import type { ConfigTable, TrainerConfigSpec } from '../train/config-schema.ts';
import { GRPO_CONFIG } from '../train/grpo-config.ts';
import { PPO_CONFIG } from '../train/ppo-config.ts';
import { RM_CONFIG } from '../train/rm-config.ts';
import { SFT_CONFIG } from '../train/sft-config.ts';
import type { ExportMethod } from './run.ts';

export const EXPORT_CONFIG_SPECS: { [M in ExportMethod]: TrainerConfigSpec<ConfigTable> } = { sft: SFT_CONFIG, rm: RM_CONFIG, grpo: GRPO_CONFIG, ppo: PPO_CONFIG };

/** The config YAML of `method`, validated by its table (a ConfigError names each bad key with its line); missing keys take defaults. */
export function parseExportConfig(method: ExportMethod, text: string, source: string): Record<string, unknown> {
  return EXPORT_CONFIG_SPECS[method].parseYaml(text, source) as Record<string, unknown>;
}
