// Loads a model for training as a trainer config asks: base storage, LoRA or full fine-tuning, chat template.
import type { Engine } from '../engine/index.ts';
import { readText, type FileProvider } from '../model/byte-source.ts';
import { loadModel, type LoadedModel } from '../model/load.ts';
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
  /** Add a fresh score head (hidden -> 1) unless the checkpoint brings one: a reward model, a critic. */
  scoreHead?: boolean;
  onProgress?: (done: number, total: number) => void;
  /** Leave the LoRA adapters off (the caller attaches them itself, e.g. after merging a start adapter). */
  deferLora?: boolean;
}

export async function loadTrainableModel(e: Engine, files: FileProvider, opts: LoadOptions): Promise<LoadedModel> {
  const full = opts.finetune === 'full';
  const loaded = await loadModel(e, files, { storage: !full && opts.f16Base ? 'f16' : 'f32', trainable: full, maxPositions: opts.maxPositions }, opts.onProgress);
  await useChatTemplate(loaded, files, opts.chatTemplate);
  const rng = new Rng(opts.seed);
  if (!full && !opts.deferLora) {
    loaded.model.addLora({ r: opts.lora.r, alpha: opts.lora.alpha, dropout: opts.lora.dropout, targets: opts.lora.target_modules as LoraTarget[] }, rng);
  }
  loaded.model.dropoutRng = rng.fork();
  // Drawn after the dropout seed, so adding the option left SFT runs' random streams unchanged.
  if (opts.scoreHead && !loaded.model.scoreHead) loaded.model.addScoreHead(rng);
  return loaded;
}

/** 'compact' swaps in the short tool-prompt template (the tiny model's own is already that one). */
export async function useChatTemplate(loaded: LoadedModel, files: FileProvider, chatTemplate: 'model' | 'compact'): Promise<void> {
  if (chatTemplate !== 'compact') return;
  const tokenizerJson = JSON.parse(await readText((await files('tokenizer.json'))!));
  loaded.tokenizer = ChatTokenizer.fromJson(tokenizerJson, { ...loaded.tokenizer.config, chat_template: COMPACT_CHAT_TEMPLATE });
}
