// npm run export -- --run DIR | --config FILE [--method sft|rm|grpo|ppo] --to trl|verl|onnx --out DIR
// Writes a folder to run the studio's training on a GPU cluster with TRL + accelerate or verl (src/export/build.ts),
// or (--to onnx) the model with the run's adapter merged, in the layout transformers.js loads (src/export/onnx/).
// --run reads a `npm run train` output_dir (config.resolved.yaml, the adapter); --config a YAML config + its datasets.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildExport } from '../export/build.ts';
import { EXPORT_METHODS, EXPORT_TARGETS, ExportError, type ExportMethod, type ExportRun, type ExportTarget } from '../export/run.ts';
import { COMPACT_CHAT_TEMPLATE } from '../tokenizer/compact-template.ts';
import { parseRewardConfig, REWARD_PRESETS } from '../eval/reward.ts';
import { parseExportConfig } from '../export/config-specs.ts';
import { onnxFolderFromFiles } from '../export/onnx/onnx-folder.ts';
import { mapProvider } from '../model/byte-source.ts';
import { folderProvider } from '../model/node-files.ts';
import { BUILTIN_TINY, modelFolderFor, readDatasets, readTools } from './cli-inputs.ts';
import { parseFlags } from './flags.ts';

const USAGE = 'usage: npm run export -- --run DIR | --config FILE [--method sft|rm|grpo|ppo] --to trl|verl|onnx --out DIR';

const FLAGS = { run: 'string', config: 'string', method: 'string', to: 'string', out: 'string' } as const;

function parseArgs(argv: string[]) {
  const { flags } = parseFlags('export', argv, FLAGS, USAGE);
  const o = { run: flags.run ?? '', config: flags.config ?? '', method: flags.method ?? '', to: flags.to ?? '', out: flags.out ?? '' };
  if (!o.run === !o.config) throw new Error(`export: give exactly one of --run and --config\n${USAGE}`);
  if (![...EXPORT_TARGETS, 'onnx'].includes(o.to)) throw new Error(`export: --to must be one of ${[...EXPORT_TARGETS, 'onnx'].join(', ')}\n${USAGE}`);
  if (!o.out) throw new Error(`export: --out DIR is required\n${USAGE}`);
  if (o.method && !(EXPORT_METHODS as readonly string[]).includes(o.method)) throw new Error(`export: --method must be one of ${EXPORT_METHODS.join(', ')}`);
  return o;
}

/** The method a resolved config names in its header (`# resolved SFT config (...)`), else --method, else sft. */
function methodOf(text: string, flag: string): ExportMethod {
  const m = /^#\s*resolved\s+(\w+)\s+config/im.exec(text);
  const named = m?.[1].toLowerCase();
  if (flag) return flag as ExportMethod;
  if (named && (EXPORT_METHODS as readonly string[]).includes(named)) return named as ExportMethod;
  return 'sft';
}

/** Reads the config (validated by its method's table), data, tools, template, and a reward YAML an RL config names. */
export function loadRun(configPath: string, methodFlag: string, runDir?: string): ExportRun {
  if (!existsSync(configPath)) throw new ExportError(`${configPath} does not exist${runDir ? ' (is this a `npm run train` output_dir?)' : ''}`);
  const text = readFileSync(configPath, 'utf8');
  const method = methodOf(text, methodFlag);
  const config = parseExportConfig(method, text, configPath);
  const str = (k: string, d: string) => (typeof config[k] === 'string' ? (config[k] as string) : d);
  const list = (k: string): string[] => (Array.isArray(config[k]) ? (config[k] as string[]) : typeof config[k] === 'string' ? [config[k] as string] : []);
  const tools = readTools(str('tools_file', 'public/tools/enterprise_tools.json'));
  const log = (line: string) => console.log(line);
  const train = readDatasets(list('train_file'), tools, log);
  const evalData = str('eval_file', '') ? readDatasets([str('eval_file', '')], tools, log) : [];
  const modelName = str('model_name', 'builtin:tiny');
  let chatTemplate = COMPACT_CHAT_TEMPLATE;
  let modelFiles: Record<string, Uint8Array> | undefined;
  if (config.chat_template !== 'compact') {
    const folder = existsSync(join(modelName, 'tokenizer_config.json')) || modelName === 'builtin:tiny' ? modelFolderFor(modelName) : null;
    if (!folder) throw new ExportError(`chat_template: model needs the model's tokenizer_config.json: give model_name as a local folder, or set chat_template: compact`);
    const tc = JSON.parse(readFileSync(join(folder, 'tokenizer_config.json'), 'utf8')) as { chat_template?: unknown };
    if (typeof tc.chat_template !== 'string') throw new ExportError(`${folder}/tokenizer_config.json has no chat_template`);
    chatTemplate = tc.chat_template;
  }
  if (modelName === 'builtin:tiny') {
    modelFiles = Object.fromEntries(readdirSync(BUILTIN_TINY).filter((f) => f !== 'README.md').map((f) => [f, readFileSync(join(BUILTIN_TINY, f))]));
  }
  let adapter: Record<string, Uint8Array> | undefined;
  if (runDir && existsSync(join(runDir, 'adapter_config.json'))) {
    adapter = Object.fromEntries(['adapter_config.json', 'adapter_model.safetensors'].map((f) => [f, readFileSync(join(runDir, f))]));
  }
  const rule = (config.reward as { rule?: unknown } | undefined)?.rule;
  let ruleFile: ExportRun['ruleFile'];
  if ((method === 'grpo' || method === 'ppo') && typeof rule === 'string' && rule !== '' && rule !== 'none' && !(rule in REWARD_PRESETS)) {
    if (!existsSync(rule)) throw new ExportError(`${configPath}: reward.rule "${rule}" is not a preset (${Object.keys(REWARD_PRESETS).join(', ')}) and no such file exists`);
    ruleFile = parseRewardConfig(readFileSync(rule, 'utf8'), rule);
  }
  return { method, config, train, eval: evalData, tools, chatTemplate, baseModel: modelName, modelFiles, adapter, ruleFile };
}

/** The model of a run with its adapter merged, as ONNX for transformers.js, with the tokenizer and the run's chat template. */
async function onnxFiles(run: ExportRun): Promise<Record<string, string | Uint8Array>> {
  if (run.config.finetune === 'full') throw new ExportError('a full fine-tuning run carries model.safetensors, not an adapter: export that folder (model_name: its output_dir)');
  return onnxFolderFromFiles({
    model: folderProvider(modelFolderFor(run.baseModel)),
    adapter: run.adapter ? mapProvider(new Map(Object.entries(run.adapter))) : undefined,
    baseModel: run.baseModel === 'builtin:tiny' ? null : run.baseModel,
    chatTemplate: run.chatTemplate,
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const run = args.run ? loadRun(join(args.run, 'config.resolved.yaml'), args.method, args.run) : loadRun(args.config, args.method);
  const files = args.to === 'onnx' ? await onnxFiles(run) : buildExport(run, args.to as ExportTarget);
  let bytes = 0;
  for (const [name, data] of Object.entries(files)) {
    const path = join(args.out, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
    bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  }
  console.log(`${run.method} run -> ${args.to}: ${Object.keys(files).length} files, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${args.out}/${files['README.md'] ? ` (see ${join(args.out, 'README.md')})` : ''}`);
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
