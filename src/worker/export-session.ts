// Worker side of the Export page: a studio run (its config and newest checkpoint from IndexedDB, the datasets the
// user picks, the model the run trained) becomes the folder `npm run export` writes, as one zip: a TRL + accelerate
// or verl project for a GPU cluster (src/export/build.ts) or the model with its adapter merged as ONNX for
// transformers.js (src/export/onnx/). CPU work only (no GPU), in the worker so the page stays responsive.
import { buildExport } from '../export/build.ts';
import { onnxFolderFromFiles } from '../export/onnx/onnx-folder.ts';
import { exportUnsupported, ExportError, type ExportMethod, type ExportRun, type RunExportTarget } from '../export/run.ts';
import { mapProvider, readText, type FileProvider } from '../model/byte-source.ts';
import type { HubSettings } from '../model/hub.ts';
import { TINY_MODEL_FILES } from '../model/load.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { RunStore } from '../store/runs.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { COMPACT_CHAT_TEMPLATE } from '../tokenizer/compact-template.ts';
import { checkpointFiles } from '../train/export.ts';
import type { SftConfig } from '../train/sft-config.ts';
import { zipFiles } from '../util/zip.ts';
import type { DataSource } from './protocol.ts';
import { publicUrl } from './public-url.ts';
import { modelFiles, readSource } from './train-session.ts';

export type ExportRunTarget = RunExportTarget;

export interface ExportRunRequest {
  runId: string;
  target: ExportRunTarget;
  train: DataSource;
  eval: DataSource | null;
  hub: HubSettings;
}

export interface ExportRunResult {
  /** The zip's file name: <run name>-<target>-step<N>.zip */
  name: string;
  zip: Uint8Array;
  /** The folder's paths, in the zip's order. */
  paths: string[];
  step: number;
}

/** A side file of the base model folder, read whole (config, tokenizer). */
export async function fileOf(files: FileProvider, name: string): Promise<Uint8Array> {
  const src = await files(name);
  if (!src) throw new ExportError(`the model folder has no ${name}`);
  return src.read(0, src.size);
}

export async function exportStudioRun(req: ExportRunRequest, onPhase: (phase: string) => void): Promise<ExportRunResult> {
  const run = await new RunStore().get(req.runId);
  if (!run) throw new ExportError(`run ${req.runId} does not exist`);
  const unsupported = exportUnsupported(run.method, req.target);
  if (unsupported) throw new ExportError(`run ${run.name}: ${unsupported}`);
  const ckpt = await new IdbCheckpointStore().latest(req.runId);
  if (!ckpt) throw new ExportError(`run ${run.name} has no checkpoint yet: train until the first save (save_every), or pause it`);
  const config = run.config;
  const str = (k: string, d: string) => (typeof config[k] === 'string' ? (config[k] as string) : d);
  onPhase('reading tools and data');
  const toolsFile = str('tools_file', 'tools/enterprise_tools.json');
  const toolsRes = await fetch(publicUrl(toolsFile));
  if (!toolsRes.ok) throw new ExportError(`tools file ${toolsFile}: HTTP ${toolsRes.status}`);
  const tools = (await toolsRes.json()) as ToolDefinition[];
  const train = await readSource(req.train, tools);
  const evalData = req.eval ? await readSource(req.eval, tools) : [];

  onPhase('reading the model');
  const modelName = str('model_name', 'builtin:tiny');
  const base = await modelFiles(modelName, req.hub, () => {});
  const chatTemplate = config.chat_template === 'compact' ? COMPACT_CHAT_TEMPLATE : (JSON.parse(await readText((await base('tokenizer_config.json'))!)) as { chat_template?: unknown }).chat_template;
  if (typeof chatTemplate !== 'string') throw new ExportError(`model ${modelName}: tokenizer_config.json has no chat_template`);
  const full = config.finetune === 'full';
  const trained = checkpointFiles(ckpt, config as unknown as SftConfig);
  // A full fine-tuning run is its own model: the base's config and tokenizer with the trained weights.
  const fullModel = full
    ? { ...Object.fromEntries(await Promise.all(['config.json', 'tokenizer.json', 'tokenizer_config.json'].map(async (f) => [f, await fileOf(base, f)] as const))), ...trained }
    : null;

  let files: Record<string, string | Uint8Array>;
  if (req.target === 'onnx') {
    onPhase('merging the adapter and writing ONNX');
    files = await onnxFolderFromFiles({
      model: fullModel ? mapProvider(new Map(Object.entries(fullModel))) : base,
      adapter: full ? undefined : mapProvider(new Map(Object.entries(trained))),
      baseModel: modelName === 'builtin:tiny' ? null : modelName,
      chatTemplate,
    });
  } else {
    onPhase(`writing the ${req.target === 'trl' ? 'TRL' : 'verl'} folder`);
    const carried = fullModel ?? (modelName === 'builtin:tiny'
      ? Object.fromEntries(await Promise.all(TINY_MODEL_FILES.map(async (f) => [f, await fileOf(base, f)] as const)))
      : undefined);
    const exportRun: ExportRun = {
      method: run.method as ExportMethod, config, train, eval: evalData, tools, chatTemplate, baseModel: modelName,
      modelFiles: carried, adapter: full ? undefined : trained,
    };
    files = buildExport(exportRun, req.target);
  }
  onPhase('zipping');
  const safe = run.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'run';
  return { name: `${safe}-${req.target}-step${ckpt.step}.zip`, zip: zipFiles(files), paths: Object.keys(files), step: ckpt.step };
}
