// One entry point for every model source (hub download, dropped folder, built-in tiny model, Node folder):
// a FileProvider in, the validated folder, its tokenizer and the GPU model out, with loading progress.
import type { Engine } from '../engine/index.ts';
import type { FileProvider } from './byte-source.ts';
import { QwenModel, type BaseWeightOptions } from './qwen.ts';
import { openModelFolder, type ModelFolder } from './weights.ts';
import { ChatTokenizer } from '../tokenizer/tokenizer.ts';

export interface LoadedModel {
  folder: ModelFolder;
  tokenizer: ChatTokenizer;
  model: QwenModel;
}

/** Validates config, headers and tokenizer before any weight reaches the GPU, then streams the weights. */
export async function loadModel(
  e: Engine,
  files: FileProvider,
  base: BaseWeightOptions,
  onProgress?: (done: number, total: number) => void,
): Promise<LoadedModel> {
  const folder = await openModelFolder(files);
  const tokenizer = await ChatTokenizer.fromFiles(files);
  if (tokenizer.vocabSize > folder.config.vocabSize) {
    throw new Error(`tokenizer has ${tokenizer.vocabSize} tokens but config.json says vocab_size ${folder.config.vocabSize}: the tokenizer belongs to another model`);
  }
  const model = await QwenModel.load(e, folder, base, onProgress);
  return { folder, tokenizer, model };
}

/** Files of the built-in tiny model, served by the app under <base>/models/tiny/ (works offline once cached). */
export const TINY_MODEL_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'vocab-map.json'];

/** A FileProvider over files fetched from a URL folder (the tiny model shipped in public/). */
export function urlFolderProvider(baseUrl: string, fetchImpl: typeof fetch = fetch): FileProvider {
  const cache = new Map<string, Promise<Blob | null>>();
  return async (name) => {
    let p = cache.get(name);
    if (!p) {
      p = fetchImpl(`${baseUrl.replace(/\/+$/, '')}/${name}`).then((r) => (r.ok ? r.blob() : null));
      cache.set(name, p);
    }
    const blob = await p;
    if (!blob) return null;
    const { blobSource } = await import('./byte-source.ts');
    return blobSource(name, blob);
  };
}
