// Loads a model to evaluate or chat with, inference only: a model folder (the built-in tiny model, a hub model, a
// full fine-tuning output) with zero or more PEFT adapters merged into it in order (a LoRA SFT output; an RL
// adapter trained on top of that), or a studio run's checkpoint weights written over the trainable tensors.
// Merged adapters cost nothing at inference: the model runs at the base model's speed.
import type { Engine } from '../engine/index.ts';
import type { FileProvider } from '../model/byte-source.ts';
import type { LoadedModel } from '../model/load.ts';
import { checkAdapterFits, loadAdapter, type Adapter } from '../model/peft.ts';
import { Rng } from '../util/rng.ts';
import type { HostTensor } from './checkpoint.ts';
import { loadTrainableModel } from './load-model.ts';
import { writeTensors } from './loop.ts';

export interface InferenceModelOptions {
  chatTemplate: 'model' | 'compact';
  /** Store the frozen projections as packed f16 (only without adapters: a merge needs f32). */
  f16Base?: boolean;
  onProgress?: (done: number, total: number) => void;
}

const NO_LORA = { r: 1, alpha: 1, dropout: 0, target_modules: [] as string[] };

/** A base model folder with `adapters` merged in order (each checked against the base before it reaches the GPU). */
export async function loadInferenceModel(e: Engine, base: FileProvider, adapters: ReadonlyArray<FileProvider | Adapter>, o: InferenceModelOptions): Promise<LoadedModel> {
  const loaded = await loadTrainableModel(e, base, {
    finetune: 'lora', lora: NO_LORA, chatTemplate: o.chatTemplate, seed: 0, f16Base: o.f16Base && adapters.length === 0, onProgress: o.onProgress, deferLora: true,
  });
  const rng = new Rng(0);
  for (const a of adapters) {
    const adapter = typeof a === 'function' ? await loadAdapter(a) : a;
    // The base was found from the adapter's own base_model_name_or_path (or named by the user): compare shapes only.
    checkAdapterFits(adapter, loaded.model.cfg, { baseModel: null });
    loaded.model.addLora(adapter.lora, rng, adapter);
    // A reward model's score head is not part of a policy.
    loaded.model.scoreHead?.release();
    loaded.model.scoreHead = null;
    loaded.model.mergeLora();
  }
  return loaded;
}

/** What a studio run trained: LoRA or full fine-tuning of `model_name`, and its checkpoint's weights. */
export interface RunWeights {
  finetune: 'lora' | 'full';
  lora: { r: number; alpha: number; dropout: number; target_modules: string[] };
  chatTemplate: 'model' | 'compact';
  weights: Record<string, HostTensor>;
  label: string;
}

/**
 * A run's model: its base loaded as the trainer loaded it (same parameter labels), the checkpoint written over the
 * trainable tensors, LoRA merged. A scalar head (reward model, PPO critic) in the checkpoint is left out.
 */
export async function loadRunModel(e: Engine, base: FileProvider, run: RunWeights, onProgress?: (done: number, total: number) => void): Promise<LoadedModel> {
  const loaded = await loadTrainableModel(e, base, { finetune: run.finetune, lora: run.lora, chatTemplate: run.chatTemplate, seed: 0, onProgress });
  const { model } = loaded;
  const params = model.trainableParams();
  const labels = params.map((p) => p.label);
  const kept = Object.fromEntries(Object.entries(run.weights).filter(([k]) => labels.includes(k)));
  writeTensors(e, params, labels, kept, `checkpoint of ${run.label}`);
  if (model.lora) model.mergeLora();
  // Full fine-tuning loads every weight as a trainable f32 parameter; inference only reads them.
  model.training = false;
  return loaded;
}
