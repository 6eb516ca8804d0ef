// Builds a complete Hugging Face model folder in memory (config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json, vocab-map.json) for a small random-initialised Qwen model: the built-in tiny model,
// and the test models. The folder loads back through the same path as a downloaded one.

import { Rng } from '../util/rng.ts';
import { expectedParams, qwenConfigToJson, type QwenConfig } from './config.ts';
import { fromFloat32, writeSafetensors, type RawTensor } from './safetensors.ts';
import { cutVocabulary } from '../tokenizer/vocab-cut.ts';
import { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { COMPACT_CHAT_TEMPLATE } from '../tokenizer/compact-template.ts';

export interface TinyModelOptions {
  arch: 'qwen2' | 'qwen3';
  layers: number;
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  seed: number;
  /** Std of the normal init (HF's initializer_range). */
  initStd: number;
  dtype: 'F32' | 'F16' | 'BF16';
  tieEmbeddings: boolean;
  /** Use the compact tool template instead of the source tokenizer's own chat template. */
  compactTemplate: boolean;
}

export const TINY_DEFAULTS: TinyModelOptions = {
  arch: 'qwen3',
  layers: 2,
  hidden: 64,
  intermediate: 128,
  heads: 4,
  kvHeads: 2,
  headDim: 16,
  seed: 0,
  initStd: 0.02,
  dtype: 'F32',
  tieEmbeddings: true,
  compactTemplate: true,
};

export interface TinyModelFiles {
  files: Map<string, Uint8Array>;
  config: QwenConfig;
  /** tiny id -> source tokenizer id (absent when the vocabulary was not cut). */
  tinyToQwen?: number[];
}

/**
 * `corpus`: texts already rendered with the chat template the tiny model will use; the vocabulary is cut to
 * their tokens (plus bytes and special tokens). Pass `corpus: null` to keep the full source vocabulary.
 */
export function buildTinyModel(
  source: { tokenizerJson: unknown; tokenizerConfig: Record<string, unknown> },
  corpus: string[] | null,
  options: Partial<TinyModelOptions> = {},
): TinyModelFiles {
  const o = { ...TINY_DEFAULTS, ...options };
  const template = o.compactTemplate ? COMPACT_CHAT_TEMPLATE : (source.tokenizerConfig.chat_template as string);
  const srcTok = ChatTokenizer.fromJson(source.tokenizerJson, { ...source.tokenizerConfig, chat_template: template });
  let tokenizerJson = source.tokenizerJson as Record<string, unknown>;
  let tinyToQwen: number[] | undefined;
  let tokenizerConfig: Record<string, unknown> = { ...source.tokenizerConfig, chat_template: template };
  if (corpus) {
    const used = new Set<number>();
    const encoded = corpus.map((text) => srcTok.encode(text));
    for (const ids of encoded) for (const id of ids) used.add(id);
    const cut = cutVocabulary(source.tokenizerJson, used);
    tokenizerJson = cut.tokenizerJson;
    tinyToQwen = cut.tinyToQwen;
    // Remap added_tokens_decoder keys (ids) to the tiny ids.
    const dec = (source.tokenizerConfig.added_tokens_decoder ?? {}) as Record<string, unknown>;
    tokenizerConfig = {
      ...tokenizerConfig,
      added_tokens_decoder: Object.fromEntries(Object.entries(dec).map(([id, v]) => [String(cut.qwenToTiny.get(Number(id))), v])),
    };
    // The cut must not change tokenization: every corpus text encodes to the same tokens, renumbered.
    const tinyTok = ChatTokenizer.fromJson(tokenizerJson, tokenizerConfig);
    encoded.forEach((ids, i) => {
      const tiny = tinyTok.encode(corpus[i]);
      if (tiny.length !== ids.length || tiny.some((t, k) => cut.tinyToQwen[t] !== ids[k])) {
        throw new Error(`tiny vocabulary: corpus text ${i} tokenizes differently after the cut (bug in vocab-cut)`);
      }
    });
  }
  const tok = ChatTokenizer.fromJson(tokenizerJson, tokenizerConfig);
  const config: QwenConfig = {
    arch: o.arch,
    hiddenSize: o.hidden,
    intermediateSize: o.intermediate,
    numLayers: o.layers,
    numHeads: o.heads,
    numKvHeads: o.kvHeads,
    headDim: o.headDim,
    vocabSize: tok.vocabSize,
    ropeTheta: 10000,
    rmsNormEps: 1e-6,
    tieWordEmbeddings: o.tieEmbeddings,
    attentionBias: o.arch === 'qwen2',
    qkNorm: o.arch === 'qwen3',
    maxPositionEmbeddings: 4096,
    eosTokenId: tok.stopIds[0],
  };
  const rng = new Rng(o.seed);
  const tensors: RawTensor[] = expectedParams(config).map((p) => {
    const n = p.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    if (p.name.endsWith('norm.weight')) values.fill(1);
    else if (!p.name.endsWith('.bias')) for (let i = 0; i < n; i++) values[i] = rng.normal() * o.initStd;
    return { name: p.name, dtype: o.dtype, shape: p.shape, data: fromFloat32(values, o.dtype) };
  });
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>([
    ['config.json', enc.encode(JSON.stringify(qwenConfigToJson(config, { F32: 'float32', F16: 'float16', BF16: 'bfloat16' }[o.dtype]), null, 2) + '\n')],
    ['model.safetensors', writeSafetensors(tensors, { format: 'pt' })],
    ['tokenizer.json', enc.encode(JSON.stringify(tokenizerJson))],
    ['tokenizer_config.json', enc.encode(JSON.stringify(tokenizerConfig, null, 2) + '\n')],
  ]);
  if (tinyToQwen) files.set('vocab-map.json', enc.encode(JSON.stringify({ description: 'tiny token id (array index) -> Qwen3 token id', tinyToQwen }) + '\n'));
  return { files, config, tinyToQwen };
}
