// Loads the policy RL starts from and makes it trainable the way GRPO and PPO need:
//   - the start policy's weights: a model folder (the built-in tiny model, a hub model, a full fine-tuning output)
//     or a base model plus a PEFT adapter (a LoRA SFT output), whose adapter is merged into the frozen weights;
//   - a fresh LoRA adapter on top (finetune: lora) that RL trains, or every weight (finetune: full, no KL term);
//   - for PPO, the critic: the scalar head, on the policy's hidden states or on its own LoRA adapter.
// The reference policy of the KL terms is then the start policy itself, without a second copy of the base weights
// on the GPU: the same model with the RL adapter switched off (QwenModel.adapterEnabled = false).
import type { Engine } from '../engine/index.ts';
import type { FileProvider } from '../model/byte-source.ts';
import type { LoadedModel } from '../model/load.ts';
import { checkAdapterShapes, type Adapter, type LoraTarget } from '../model/peft.ts';
import { Rng } from '../util/rng.ts';
import { loadTrainableModel } from './load-model.ts';

export interface PolicyOptions {
  finetune: 'lora' | 'full';
  lora: { r: number; alpha: number; dropout: number; target_modules: string[] };
  chatTemplate: 'model' | 'compact';
  seed: number;
  /** PEFT adapters of the start policy (a LoRA SFT run; an RL adapter trained on that), merged in order into the frozen weights first. */
  startAdapters?: Adapter[];
  /**
   * PPO's critic: 'head', the scalar head on the policy's hidden states (initialised to zero, or from the start
   * adapter's `score` head); 'adapter', that head on its own fresh LoRA adapter (the RL adapter's shape) over the same
   * frozen base.
   */
  critic?: false | 'head' | 'adapter';
  f16Base?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export async function loadPolicy(e: Engine, files: FileProvider, o: PolicyOptions): Promise<LoadedModel> {
  const starts = o.startAdapters ?? [];
  if (o.finetune === 'full' && starts.length) {
    throw new Error('RL with finetune: full starts from a full model; this start policy is a LoRA adapter: use finetune: lora');
  }
  // Start with the start adapter attached (not trainable yet), merge it, then attach the RL adapter.
  const loaded = await loadTrainableModel(e, files, {
    finetune: o.finetune, lora: o.lora, chatTemplate: o.chatTemplate, seed: o.seed, f16Base: o.f16Base && !starts.length, onProgress: o.onProgress,
    deferLora: starts.length > 0,
  });
  const { model } = loaded;
  const rng = new Rng((o.seed ^ 0x5bd1e995) >>> 0);
  if (starts.length) {
    // A start adapter's own scalar head (if any) goes with the merge's bookkeeping: keep the last one for the critic.
    let startHead = model.scoreHead;
    for (const a of starts) {
      checkAdapterShapes(a, model.cfg);
      model.scoreHead = null;
      model.addLora(a.lora, rng, a);
      if (model.scoreHead) {
        startHead?.release();
        startHead = model.scoreHead;
      }
      model.scoreHead = null;
      model.mergeLora();
    }
    model.addLora({ r: o.lora.r, alpha: o.lora.alpha, dropout: o.lora.dropout, targets: o.lora.target_modules as LoraTarget[] }, rng);
    model.scoreHead = startHead;
  }
  // A fresh critic starts at zero, not at N(0, 1/C): a random head gives every token a value of about ±1, so GAE's
  // advantages are noise of the size of the score differences until the critic has learnt, and PPO's first rollouts
  // move the policy at random (measured: the demo's training reward fell 3.3 -> 2.9 over its first 20 rollouts while
  // the KL to the start rose to 2 nats). At zero every advantage starts as the lam-discounted score less the KL, and no
  // value gradient reaches the shared trunk until the head has grown. (TRL starts its value model from the reward model.)
  if (o.critic && !model.scoreHead) model.addScoreHead(rng, new Float32Array(model.cfg.hiddenSize));
  if (o.critic === 'adapter') {
    // The critic's adapter has the RL adapter's shape; finetune: full has neither that adapter nor a frozen base.
    if (!model.lora) throw new Error('PPO critic: adapter needs finetune: lora (the critic adapter sits on the frozen base weights)');
    model.addCriticLora(model.lora.config, rng);
  }
  if (!o.critic && model.scoreHead) {
    model.scoreHead.release();
    model.scoreHead = null;
  }
  return loaded;
}
