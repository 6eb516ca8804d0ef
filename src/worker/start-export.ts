// What an export of a run that started from a studio model carries so that it means something outside the studio:
// the base model's real name (never `run:<id>` / `import:<id>`, which only this browser can resolve) and the start
// policy's own weights (an SFT run's LoRA adapter or full weights, an imported adapter) as `start-*` files, since the
// run's adapter was trained on the base with them merged. Shared by the Train page's "Export adapter"
// (train-session.ts) and the Export page (export-session.ts).
import { readText } from '../model/byte-source.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { IMPORT_PREFIX, ImportStore } from '../store/imports.ts';
import { RunStore } from '../store/runs.ts';
import { checkpointFiles, policyWeights } from '../train/export.ts';
import type { SftConfig } from '../train/sft-config.ts';
import { baseModelOf, RUN_PREFIX, StartPolicyError } from './rl-start.ts';

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * The base model under `name` as an export writes it (adapter_config.json's base_model_name_or_path, the scripts'
 * MODEL, the README): runs and imported adapters are followed down to their base (the base an adapter was imported
 * on: what it was merged onto here); builtin:tiny and a hub id are their own name; an imported complete model is the
 * hub id its config.json records as `_name_or_path` (what transformers' save_pretrained writes), else the name the
 * user gave it.
 */
export async function exportBaseName(name: string): Promise<string> {
  const base = await baseModelOf(name);
  if (!base.startsWith(IMPORT_PREFIX)) return base;
  const store = new ImportStore();
  const rec = await store.get(base.slice(IMPORT_PREFIX.length));
  if (!rec) throw new StartPolicyError(`model_name ${base}: no such imported model in this browser (removed?)`);
  const cfg = await (await store.files(rec.id))('config.json');
  const saved = cfg ? (JSON.parse(await readText(cfg)) as { _name_or_path?: unknown })._name_or_path : undefined;
  return typeof saved === 'string' && HUB_ID.test(saved) ? saved : rec.name;
}

/**
 * The start policy's weights of a run named `runName` whose model_name is `start`, as `start-<file>`: an SFT run's
 * newest checkpoint (its LoRA adapter, or model.safetensors for full fine-tuning) or an imported adapter's files as
 * they were dropped (base_model_name_or_path set to the real base). Empty when the start is a base model or an
 * imported complete model (the base itself). A start that is itself stacked (an RL run, an adapter on a run or on
 * another adapter) is not one file set and is refused by name.
 */
export async function startFiles(runName: string, start: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  const base = await exportBaseName(start);
  if (start.startsWith(RUN_PREFIX)) {
    const run = await new RunStore().get(start.slice(RUN_PREFIX.length));
    const ckpt = run && (await new IdbCheckpointStore().latest(run.id));
    if (!run || !ckpt) throw new StartPolicyError(`run ${runName} started from ${start}, which has no checkpoint any more: its adapter cannot be exported without it`);
    if (run.method !== 'sft') throw new StartPolicyError(`run ${runName} starts from an RL run (${run.name}): export that run's adapter too, and stack them in order`);
    if (String(run.config.model_name).startsWith(RUN_PREFIX) || (await stackedImport(String(run.config.model_name)))) {
      throw new StartPolicyError(`run ${runName} starts from ${run.name}, an SFT run on ${run.config.model_name}: export that start's adapter too, and stack them in order`);
    }
    const weights = policyWeights(ckpt.weights);
    const cfg = run.config as unknown as SftConfig;
    for (const [name, data] of Object.entries(checkpointFiles({ ...ckpt, weights }, { ...cfg, model_name: base }))) files[`start-${name}`] = data;
  }
  if (start.startsWith(IMPORT_PREFIX)) {
    const store = new ImportStore();
    const rec = await store.get(start.slice(IMPORT_PREFIX.length));
    if (!rec) throw new StartPolicyError(`run ${runName} started from ${start}, which was removed: its adapter cannot be exported without it`);
    if (rec.kind === 'adapter') {
      if (rec.base!.startsWith(RUN_PREFIX) || (await stackedImport(rec.base!))) {
        throw new StartPolicyError(`run ${runName} starts from the imported "${rec.name}", an adapter on ${rec.baseLabel ?? rec.base}: export that base's adapter too, and stack them in order`);
      }
      const dropped = await store.files(rec.id);
      const read = async (name: string) => {
        const src = await dropped(name);
        if (!src) throw new StartPolicyError(`imported "${rec.name}" has no ${name}`);
        return src.read(0, src.size);
      };
      const config = JSON.parse(new TextDecoder().decode(await read('adapter_config.json'))) as Record<string, unknown>;
      files['start-adapter_config.json'] = new TextEncoder().encode(JSON.stringify({ ...config, base_model_name_or_path: base }, null, 2));
      files['start-adapter_model.safetensors'] = await read('adapter_model.safetensors');
    }
  }
  return files;
}

/** An imported adapter (its weights go onto a base): an import a start adapter cannot sit on as one file set. */
async function stackedImport(name: string): Promise<boolean> {
  if (!name.startsWith(IMPORT_PREFIX)) return false;
  return (await new ImportStore().get(name.slice(IMPORT_PREFIX.length)))?.kind === 'adapter';
}
