// Worker side of the Export page's second source: a config not trained here (YAML, validated by its method's table)
// with its datasets becomes the folder `npm run export -- --config FILE --to trl|verl` writes, as one zip. No
// checkpoint and no adapter; the built-in tiny model's files travel as model/, as in a run export (export-session.ts).
import { buildExport } from '../export/build.ts';
import { parseExportConfig } from '../export/config-specs.ts';
import { ExportError, type ExportMethod, type ExportRun, type ExportTarget } from '../export/run.ts';
import { readText } from '../model/byte-source.ts';
import type { HubSettings } from '../model/hub.ts';
import { TINY_MODEL_FILES } from '../model/load.ts';
import { COMPACT_CHAT_TEMPLATE } from '../tokenizer/compact-template.ts';
import { zipFiles } from '../util/zip.ts';
import { fileOf, rewardRuleFile } from './export-session.ts';
import type { DataSource } from './protocol.ts';
import { fetchText, fetchTools, modelFiles, readSource } from './train-session.ts';

export interface ExportConfigRequest {
  method: ExportMethod;
  /** The config as YAML text (the page's editor). */
  yaml: string;
  target: ExportTarget;
  train: DataSource;
  eval: DataSource | null;
  hub: HubSettings;
}

export interface ExportConfigResult {
  /** The zip's file name: config-<method>-<target>.zip */
  name: string;
  zip: Uint8Array;
  /** The folder's paths, in the zip's order. */
  paths: string[];
}

export async function exportStudioConfig(req: ExportConfigRequest, onPhase: (phase: string) => void): Promise<ExportConfigResult> {
  // Validated here as on the page: the worker never builds from a config its table refuses.
  const config = parseExportConfig(req.method, req.yaml, 'config (YAML)');
  const str = (k: string, d: string) => (typeof config[k] === 'string' ? (config[k] as string) : d);
  const modelName = str('model_name', 'builtin:tiny');
  if (modelName.startsWith('run:')) throw new ExportError(`model_name ${modelName} is a studio run: export that run (Export a run), or name its base model here`);

  onPhase('reading tools and data');
  const tools = await fetchTools(str('tools_file', 'tools/enterprise_tools.json'));
  const train = await readSource(req.train, tools);
  const evalData = req.eval ? await readSource(req.eval, tools) : [];

  // The model is read only for what the folder needs: its chat template (chat_template: model) and, for the built-in
  // tiny model that has no hub id, its files.
  const tiny = modelName === 'builtin:tiny';
  const compact = config.chat_template === 'compact';
  let chatTemplate: unknown = COMPACT_CHAT_TEMPLATE;
  let carried: Record<string, Uint8Array> | undefined;
  if (!compact || tiny) {
    onPhase('reading the model');
    const base = await modelFiles(modelName, req.hub, () => {});
    if (!compact) {
      const tc = await base('tokenizer_config.json');
      if (!tc) throw new ExportError(`model ${modelName}: the model folder has no tokenizer_config.json (set chat_template: compact to export without it)`);
      chatTemplate = (JSON.parse(await readText(tc)) as { chat_template?: unknown }).chat_template;
    }
    if (tiny) carried = Object.fromEntries(await Promise.all(TINY_MODEL_FILES.map(async (f) => [f, await fileOf(base, f)] as const)));
  }
  if (typeof chatTemplate !== 'string') throw new ExportError(`model ${modelName}: tokenizer_config.json has no chat_template`);

  const ruleFile = await rewardRuleFile(req.method, config);

  onPhase(`writing the ${req.target === 'trl' ? 'TRL' : 'verl'} folder`);
  const run: ExportRun = { method: req.method, config, train, eval: evalData, tools, chatTemplate, baseModel: modelName, modelFiles: carried, ruleFile };
  const files = buildExport(run, req.target);
  onPhase('zipping');
  return { name: `config-${req.method}-${req.target}.zip`, zip: zipFiles(files), paths: Object.keys(files) };
}
