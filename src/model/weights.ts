// Model folder loading: config.json + model.safetensors (or shards listed in model.safetensors.index.json),
// headers checked against the config before any data moves, then tensors streamed one by one to a sink
// (the GPU uploader or a CPU array), with progress over all shards.

import { readText, type FileProvider, type ByteSource } from './byte-source.ts';
import { expectedParams, paramCount, paramTensorCount, parseQwenConfig, type QwenConfig } from './config.ts';
import { readSafetensorsHeader, streamSafetensors, SafetensorsError, type RawTensor, type TensorEntry } from './safetensors.ts';

export class ModelFolderError extends Error {
  override name = 'ModelFolderError';
}

export interface WeightFile {
  source: ByteSource;
  tensors: TensorEntry[];
}

export interface ModelFolder {
  config: QwenConfig;
  /** Raw config.json object (kept for saving adapters with the base model's name). */
  configJson: Record<string, unknown>;
  files: WeightFile[];
  /** Total bytes of tensor data across shards. */
  totalBytes: number;
}

const INDEX = 'model.safetensors.index.json';
const SINGLE = 'model.safetensors';

/** Opens a model folder: parses config.json and all safetensors headers, checks names and shapes. */
export async function openModelFolder(files: FileProvider): Promise<ModelFolder> {
  const cfgSrc = await files('config.json');
  if (!cfgSrc) throw new ModelFolderError('config.json is missing: a Hugging Face model folder needs config.json next to the weights');
  const cfgText = await readText(cfgSrc);
  const config = parseQwenConfig(cfgText, 'config.json');
  const configJson = JSON.parse(cfgText) as Record<string, unknown>;

  const weightFiles: WeightFile[] = [];
  const single = await files(SINGLE);
  if (single) {
    weightFiles.push({ source: single, tensors: (await readSafetensorsHeader(single)).tensors });
  } else {
    const indexSrc = await files(INDEX);
    if (!indexSrc) throw new ModelFolderError(`neither ${SINGLE} nor ${INDEX} is present: the folder has no weights`);
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await readText(indexSrc));
    } catch (e) {
      throw new ModelFolderError(`${INDEX} is not valid JSON (${(e as Error).message})`);
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') throw new ModelFolderError(`${INDEX}: field "weight_map" is missing`);
    const shardNames = [...new Set(Object.values(index.weight_map))];
    for (const shard of shardNames) {
      const src = await files(shard);
      if (!src) throw new ModelFolderError(`${INDEX} lists shard "${shard}" but the file is missing`);
      const tensors = (await readSafetensorsHeader(src)).tensors;
      for (const t of tensors) {
        if (index.weight_map[t.name] !== shard) {
          throw new SafetensorsError(shard, `is in this shard but ${INDEX} maps it to ${JSON.stringify(index.weight_map[t.name] ?? null)}`, t.name);
        }
      }
      weightFiles.push({ source: src, tensors });
    }
    for (const [name, shard] of Object.entries(index.weight_map)) {
      if (!weightFiles.some((f) => f.source.name.endsWith(shard) && f.tensors.some((t) => t.name === name))) {
        throw new SafetensorsError(shard, `listed in ${INDEX} but absent from the shard`, name);
      }
    }
  }
  checkAgainstConfig(config, weightFiles);
  const totalBytes = weightFiles.reduce((s, f) => s + f.tensors.reduce((a, t) => a + t.end - t.begin, 0), 0);
  return { config, configJson, files: weightFiles, totalBytes };
}

const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16']);

/** Every expected weight present once with the config's shape and a float dtype; unknown tensors are an error. */
export function checkAgainstConfig(config: QwenConfig, files: WeightFile[]): void {
  const found = new Map<string, { t: TensorEntry; file: string }>();
  let held = 0;
  for (const f of files) {
    for (const t of f.tensors) {
      if (found.has(t.name)) throw new SafetensorsError(f.source.name, `also present in ${found.get(t.name)!.file}`, t.name);
      found.set(t.name, { t, file: f.source.name });
      held += t.shape.reduce((a, b) => a * b, 1);
    }
  }
  // Before listing the tensors the config implies: a config.json that claims 10^12 parameters, or a billion
  // layers, is refused by arithmetic on what the files really hold, not by building that list. (A near miss,
  // one tensor missing or misshapen, gets the precise message below instead.)
  const claimed = paramCount(config);
  if (claimed > 2 * held || paramTensorCount(config) > 2 * found.size) {
    throw new ModelFolderError(
      `config.json describes ${formatCount(claimed)} parameters in ${formatCount(paramTensorCount(config))} tensors (${config.numLayers} layers, hidden_size ${config.hiddenSize}, vocab_size ${config.vocabSize}), ` +
        `but the weights hold ${formatCount(held)} in ${found.size}: the config does not belong to these weights`,
    );
  }
  const expected = expectedParams(config);
  for (const p of expected) {
    const hit = found.get(p.name);
    if (!hit) {
      throw new ModelFolderError(
        `tensor "${p.name}" (shape ${JSON.stringify(p.shape)}) is missing from the weights${p.name === 'lm_head.weight' ? ' (config.json says tie_word_embeddings: false)' : ''}`,
      );
    }
    if (!FLOAT_DTYPES.has(hit.t.dtype)) throw new SafetensorsError(hit.file, `dtype ${hit.t.dtype} is not F32, F16 or BF16`, p.name);
    if (hit.t.shape.length !== p.shape.length || hit.t.shape.some((d, i) => d !== p.shape[i])) {
      throw new SafetensorsError(hit.file, `shape ${JSON.stringify(hit.t.shape)} does not match config.json, which implies ${JSON.stringify(p.shape)}`, p.name);
    }
  }
  const known = new Set(expected.map((p) => p.name));
  for (const [name, { file }] of found) {
    // A tied checkpoint may still carry a copy of lm_head.weight; it is ignored.
    if (!known.has(name) && !(name === 'lm_head.weight' && config.tieWordEmbeddings)) {
      throw new SafetensorsError(file, 'is not a weight of this architecture (wrong config.json for these weights?)', name);
    }
  }
}

/** Streams every weight of the folder to `sink`, shard by shard, reporting progress in bytes. */
export async function streamWeights(
  folder: ModelFolder,
  sink: (t: RawTensor) => void | Promise<void>,
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  let before = 0;
  for (const f of folder.files) {
    let fileDone = 0;
    await streamSafetensors(
      f.source,
      sink,
      (done) => {
        fileDone = done;
        onProgress?.(before + done, folder.totalBytes);
      },
    );
    before += fileDone;
  }
}

/** 1.2e12 -> "1.2e12", 296000 -> "296,000". */
function formatCount(n: number): string {
  return n >= 1e9 ? n.toExponential(1).replace('+', '') : n.toLocaleString('en-US');
}
