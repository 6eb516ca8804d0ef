// The folder transformers.js loads (AutoModelForCausalLM.from_pretrained with model_file_name "model", dtype fp32):
// onnx/model.onnx beside config.json, generation_config.json, tokenizer.json and tokenizer_config.json.
import type { QwenConfig } from '../../model/config.ts';
import { toFloat32 } from '../../model/safetensors.ts';
import type { FileProvider } from '../../model/byte-source.ts';
import { openModelFolder, streamWeights } from '../../model/weights.ts';
import type { Adapter } from '../../model/peft.ts';
import { mergeAdapterCpu } from './merge.ts';
import { buildQwenOnnx, onnxConfigJson, type WeightMap } from './qwen-onnx.ts';

export interface OnnxExportInput {
  config: QwenConfig;
  /** model.safetensors of the base model (one file; sharded bases: pass the shards concatenated as a map instead). */
  weights: WeightMap;
  adapter?: Adapter;
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
  const weights = input.adapter ? mergeAdapterCpu(input.config, input.weights, input.adapter) : input.weights;
  const eos = input.config.eosTokenId;
  return {
    'onnx/model.onnx': buildQwenOnnx(input.config, weights, { maxPositions: input.maxPositions }),
    'config.json': JSON.stringify(onnxConfigJson(input.config), null, 2) + '\n',
    'generation_config.json': JSON.stringify({ eos_token_id: eos, bos_token_id: input.config.bosTokenId, do_sample: false }, null, 2) + '\n',
    'tokenizer.json': input.tokenizerJson,
    'tokenizer_config.json': JSON.stringify(input.tokenizerConfig, null, 2) + '\n',
  };
}
