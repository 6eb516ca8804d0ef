// The folder transformers.js loads (AutoModelForCausalLM.from_pretrained with model_file_name "model", dtype fp32):
// onnx/model.onnx beside config.json, generation_config.json, tokenizer.json and tokenizer_config.json.
import type { QwenConfig } from '../../model/config.ts';
import { toFloat32 } from '../../model/safetensors.ts';
import { readText, type FileProvider } from '../../model/byte-source.ts';
import { openModelFolder, streamWeights } from '../../model/weights.ts';
import { checkAdapterFits, loadAdapterFor, type Adapter } from '../../model/peft.ts';
import { mergeAdapterCpu } from './merge.ts';
import { buildQwenOnnx, onnxConfigJson, type WeightMap } from './qwen-onnx.ts';

export interface OnnxExportInput {
  config: QwenConfig;
  /** model.safetensors of the base model (one file; sharded bases: pass the shards concatenated as a map instead). */
  weights: WeightMap;
  adapter?: Adapter;
  /** Adapters merged before `adapter`, in order (a start policy's: the run's adapter was trained on them). */
  startAdapters?: Adapter[];
  tokenizerJson: string;
  /** tokenizer_config.json with the chat template the run used. */
  tokenizerConfig: Record<string, unknown>;
  maxPositions?: number;
}

/** Every base weight of a model folder (one file or shards) as f32, checked against its config.json. */
export async function readFolderWeights(files: FileProvider): Promise<{ config: QwenConfig; weights: WeightMap }> {
  const folder = await openModelFolder(files);
  const weights: WeightMap = new Map();
  await streamWeights(folder, (t) => {
    weights.set(t.name, { shape: t.shape, values: toFloat32(t) });
  });
  return { config: folder.config, weights };
}

export function buildOnnxFolder(input: OnnxExportInput): Record<string, string | Uint8Array> {
  const adapters = [...(input.startAdapters ?? []), ...(input.adapter ? [input.adapter] : [])];
  const weights = adapters.reduce((w, a) => mergeAdapterCpu(input.config, w, a), input.weights);
  const eos = input.config.eosTokenId;
  return {
    'onnx/model.onnx': buildQwenOnnx(input.config, weights, { maxPositions: input.maxPositions }),
    'config.json': JSON.stringify(onnxConfigJson(input.config), null, 2) + '\n',
    'generation_config.json': JSON.stringify({ eos_token_id: eos, bos_token_id: input.config.bosTokenId, do_sample: false }, null, 2) + '\n',
    'tokenizer.json': input.tokenizerJson,
    'tokenizer_config.json': JSON.stringify(input.tokenizerConfig, null, 2) + '\n',
  };
}

/**
 * The ONNX folder of a run from its files, wherever they are (Node folders, the studio's IndexedDB and fetches):
 * the base model folder, its PEFT adapter (merged; checked against the base first), and the chat template the run
 * rendered with. A full fine-tuning run passes a model folder whose model.safetensors is the trained one. A run on a
 * start policy with adapters (a LoRA SFT run, an imported adapter) passes them, loaded, as `startAdapters`: they are
 * merged first (the run's adapter was trained on the base with them merged), each checked against the base's shapes.
 */
export async function onnxFolderFromFiles(o: { model: FileProvider; startAdapters?: Adapter[]; adapter?: FileProvider; baseModel: string | null; chatTemplate: string }): Promise<Record<string, string | Uint8Array>> {
  const { config, weights } = await readFolderWeights(o.model);
  for (const a of o.startAdapters ?? []) checkAdapterFits(a, config, { baseModel: null });
  const adapter = o.adapter ? await loadAdapterFor(o.adapter, config, { baseModel: o.baseModel }) : undefined;
  const tj = await o.model('tokenizer.json');
  const tc = await o.model('tokenizer_config.json');
  if (!tj || !tc) throw new Error('the model folder needs tokenizer.json and tokenizer_config.json for the ONNX folder');
  const tokenizerConfig = JSON.parse(await readText(tc)) as Record<string, unknown>;
  return buildOnnxFolder({ config, weights, adapter, startAdapters: o.startAdapters, tokenizerJson: await readText(tj), tokenizerConfig: { ...tokenizerConfig, chat_template: o.chatTemplate } });
}
