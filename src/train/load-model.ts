// Loads a model folder (hub download, dropped folder, disk, built-in tiny) into a trainable QwenModel plus its
// chat tokenizer, as a trainer config asks: base storage, LoRA or full fine-tuning, chat template.
import type { Engine } from '../engine/index.ts';
import { readText, type FileProvider } from '../model/byte-source.ts';
import { QwenModel } from '../model/qwen.ts';
import { openModelFolder, type ModelFolder } from '../model/weights.ts';
import type { LoraTarget } from '../model/peft.ts';
import { COMPACT_CHAT_TEMPLATE } from '../tokenizer/compact-template.ts';
import { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { Rng } from '../util/rng.ts';

export interface LoadOptions {
  /** 'lora': frozen base (packed f16 when `f16Base`) + adapters; 'full': every weight trains (f32). */
  finetune: 'lora' | 'full';
  lora: { r: number; alpha: number; dropout: number; target_modules: string[] };
  chatTemplate: 'model' | 'compact';
  seed: number;
  /** Store frozen projections as packed f16 (half the GPU memory). */
  f16Base?: boolean;
  maxPositions?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LoadedModel {
  model: QwenModel;
  tokenizer: ChatTokenizer;
  folder: ModelFolder;
}

export async function loadTrainableModel(e: Engine, files: FileProvider, opts: LoadOptions): Promise<LoadedModel> {
  const folder = await openModelFolder(files);
  const tokenizer = opts.chatTemplate === 'compact' ? await compactTokenizer(files) : await ChatTokenizer.fromFiles(files);
  const full = opts.finetune === 'full';
  const model = await QwenModel.load(
    e,
    folder,
    { storage: !full && opts.f16Base ? 'f16' : 'f32', trainable: full, maxPositions: opts.maxPositions },
    opts.onProgress,
  );
  const rng = new Rng(opts.seed);
  if (!full) {
    model.addLora({ r: opts.lora.r, alpha: opts.lora.alpha, dropout: opts.lora.dropout, targets: opts.lora.target_modules as LoraTarget[] }, rng);
  }
  model.dropoutRng = rng.fork();
  return { model, tokenizer, folder };
}

/** The model's tokenizer with our compact tool template instead of its own (short prompts for tiny CPU demos). */
async function compactTokenizer(files: FileProvider): Promise<ChatTokenizer> {
  const base = await ChatTokenizer.fromFiles(files); // validates both files with clear errors
  const tokenizerJson = JSON.parse(await readText((await files('tokenizer.json'))!));
  return ChatTokenizer.fromJson(tokenizerJson, { ...base.config, chat_template: COMPACT_CHAT_TEMPLATE });
}
