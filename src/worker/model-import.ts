// Worker side of importing a model into the studio: a dropped folder is read and checked against its base before
// anything is stored (no GPU needed: headers, configs and adapter tensors only), then kept in IndexedDB
// (src/store/imports.ts) as `import:<id>`. A full model needs config.json, its safetensors and the tokenizer files; a
// PEFT adapter goes onto the base the user chose (builtin:tiny, a hub id, run:<id>, import:<id>) or the one its
// adapter_config.json names, and must fit it: AdapterMismatchError names what does not (rank, target modules,
// layers, shapes, task type). A refused folder writes nothing, and the imports already stored stay as they were.
import { mapProvider, readText, type FileProvider } from '../model/byte-source.ts';
import { parseQwenConfig } from '../model/config.ts';
import { checkAdapterFits, loadAdapter } from '../model/peft.ts';
import { openModelFolder } from '../model/weights.ts';
import { IMPORT_PREFIX, ImportStore, newImportId, type ImportRecord } from '../store/imports.ts';
import { RunStore } from '../store/runs.ts';
import { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { adapterBaseName, baseModelOf, RUN_PREFIX, StartPolicyError, startPolicySource, type ModelFiles } from './rl-start.ts';

/** A folder that is not a model the studio can keep (no config, a reward model on a LoRA base, ...). */
export class ModelImportError extends Error {
  override name = 'ModelImportError';
}

/** What the import keeps of a dropped folder: what the loaders read (configs, weights, tokenizer, a train output's settings). */
const KEPT = /\.(json|safetensors|ya?ml|txt|jinja)$/;

export interface ImportRequest {
  /** The name to list it under (the folder's name unless the user typed another). */
  name: string;
  files: File[] | Blob[];
  /** File names, in the order of `files` (a File carries its own; a Blob does not). */
  names?: string[];
  /** Adapters: the model it goes onto; null: the adapter's own base_model_name_or_path. */
  base: string | null;
}

/** Checks a dropped folder against its base and stores it; nothing is written when a check fails. */
export async function importModel(req: ImportRequest, modelFiles: ModelFiles, store = new ImportStore()): Promise<ImportRecord> {
  const name = req.name.trim();
  if (!name) throw new ModelImportError('an imported model needs a name');
  const blobs = new Map<string, Blob>();
  req.files.forEach((f, i) => {
    const n = req.names?.[i] ?? (f as File).name;
    if (KEPT.test(n)) blobs.set(n, f);
  });
  const record = await checkFolder(name, mapProvider(blobs), req.base, modelFiles);
  const files = [...blobs].map(([n, b]) => ({ name: n, bytes: b.size }));
  return store.save({ ...record, id: newImportId(), files, bytes: files.reduce((s, f) => s + f.bytes, 0), createdAt: Date.now() }, blobs);
}

type Checked = Omit<ImportRecord, 'id' | 'files' | 'bytes' | 'createdAt'>;

async function checkFolder(name: string, files: FileProvider, base: string | null, modelFiles: ModelFiles): Promise<Checked> {
  const settings = await promptSettings(files);
  if (await files('adapter_config.json')) {
    const adapter = await loadAdapter(files);
    const baseName = base ?? adapterBaseName(adapter, name);
    const task = adapter.configJson.task_type === 'SEQ_CLS' ? 'SEQ_CLS' : 'CAUSAL_LM';
    // The base as a policy (its files and the adapters already under it: a LoRA run, an imported adapter).
    const under = await startPolicySource(baseName, modelFiles).catch((e: unknown) => {
      throw e instanceof StartPolicyError ? new ModelImportError(`${name}: its base ${baseName} cannot be used: ${e.message}`) : e;
    });
    if (task === 'SEQ_CLS' && under.adapters.length) {
      throw new ModelImportError(`${name} is a reward model (SEQ_CLS adapter): its base must be a base model (builtin:tiny, a hub model or an imported model folder), not ${baseName}, which is itself an adapter on ${under.baseName}`);
    }
    const cfgSrc = await under.files('config.json');
    if (!cfgSrc) throw new ModelImportError(`${name}: the base ${baseName} has no config.json`);
    const cfg = parseQwenConfig(await readText(cfgSrc), `${baseName}/config.json`);
    if (cfg.task === 'seq-cls') throw new ModelImportError(`${name}: the base ${baseName} is a reward model (a score head, no LM head): an adapter goes onto a causal LM`);
    // The user named the base (or the adapter did): shapes decide, as the CLI's --model DIR --base does.
    checkAdapterFits(adapter, cfg, { baseModel: null });
    const saved = adapter.configJson.base_model_name_or_path;
    return {
      name, kind: 'adapter', task, base: baseName, baseLabel: await baseLabel(baseName), ...(typeof saved === 'string' && saved ? { trainedOn: saved } : {}),
      lora: { r: adapter.lora.r, alpha: adapter.lora.alpha, targets: [...adapter.lora.targets] },
      arch: cfg.arch, layers: cfg.numLayers, hidden: cfg.hiddenSize, ...settings,
    };
  }
  if (!(await files('config.json'))) {
    throw new ModelImportError(`${name}: neither config.json (a model folder: config.json, model.safetensors or shards with their index, tokenizer.json, tokenizer_config.json) nor adapter_config.json (a PEFT adapter: adapter_config.json + adapter_model.safetensors) was dropped`);
  }
  if (base) throw new ModelImportError(`${name} is a complete model (config.json, no adapter_config.json): it has no base to choose; import it with "its own weights"`);
  const folder = await openModelFolder(files);
  await ChatTokenizer.fromFiles(files);
  const c = folder.config;
  return { name, kind: 'model', task: c.task === 'seq-cls' ? 'SEQ_CLS' : 'CAUSAL_LM', arch: c.arch, layers: c.numLayers, hidden: c.hiddenSize, ...settings };
}

/** The base as the list shows it: a run's or an import's name, else the model name itself. */
async function baseLabel(base: string): Promise<string> {
  if (base.startsWith(IMPORT_PREFIX)) return (await new ImportStore().get(base.slice(IMPORT_PREFIX.length)))?.name ?? base;
  if (base.startsWith(RUN_PREFIX)) {
    const run = await new RunStore().get(base.slice(RUN_PREFIX.length));
    return run ? `${run.name} (on ${await baseModelOf(base)})` : base;
  }
  return base;
}

/** A dropped train output may carry config.resolved.yaml: its prompt_tools and chat_template say how to prompt it. */
export async function promptSettings(files: FileProvider): Promise<{ listTools: boolean; chatTemplate: 'model' | 'compact' }> {
  const src = await files('config.resolved.yaml');
  if (!src) return { listTools: true, chatTemplate: 'model' };
  const { parse } = await import('yaml');
  const cfg = (parse(await readText(src)) ?? {}) as Record<string, unknown>;
  return { listTools: cfg.prompt_tools !== 'none', chatTemplate: cfg.chat_template === 'compact' ? 'compact' : 'model' };
}
