// Turns a training checkpoint into files a user can take elsewhere: a PEFT LoRA adapter
// (adapter_config.json + adapter_model.safetensors, PEFT key names; with the score head it is a SEQ_CLS adapter,
// the reward model) or, for full fine-tuning, model.safetensors (HF names; with score.weight, the weights of a
// Qwen*ForSequenceClassification).
import { CRITIC_LABEL_PREFIX, peftConfigJson, peftKey, saveAdapter, SCORE_HEAD_KEY, type Adapter, type LoraTarget } from '../model/peft.ts';
import { writeSafetensors } from '../model/safetensors.ts';
import type { Checkpoint } from './checkpoint.ts';
import type { SftConfig } from './sft-config.ts';

/** Our parameter labels for LoRA factors: lora_A.<layer>.<target>, lora_B.<layer>.<target>. */
const LORA_LABEL = /^lora_([AB])\.(\d+)\.(\w+)$/;

/** A checkpoint's weights that make the policy: without a scalar head (PPO's critic, a reward model's) or PPO's critic adapter. */
export function policyWeights<T>(weights: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(weights).filter(([k]) => k !== 'score.weight' && !k.startsWith(CRITIC_LABEL_PREFIX)));
}

export function checkpointFiles(ckpt: Checkpoint, config: Pick<SftConfig, 'finetune' | 'lora' | 'model_name'>): Record<string, Uint8Array> {
  const enc = new TextEncoder();
  if (config.finetune === 'full') {
    const tensors = Object.entries(ckpt.weights).map(([name, t]) => ({ name, dtype: 'F32' as const, shape: t.shape, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) }));
    return { 'model.safetensors': writeSafetensors(tensors, { format: 'pt' }) };
  }
  const lora = { r: config.lora.r, alpha: config.lora.alpha, dropout: config.lora.dropout, targets: config.lora.target_modules as LoraTarget[] };
  const tensors: Adapter['tensors'] = new Map();
  const named = Object.entries(ckpt.weights)
    .map(([label, t]) => ({ m: LORA_LABEL.exec(label), t, label }))
    .sort((a, b) => (a.m && b.m ? Number(a.m[2]) - Number(b.m[2]) || a.m[3].localeCompare(b.m[3]) || a.m[1].localeCompare(b.m[1]) : 0));
  let scoreHead = false;
  for (const { m, t, label } of named) {
    if (label === 'score.weight') {
      scoreHead = true;
      continue;
    }
    if (!m) throw new Error(`checkpoint weight "${label}" is not a LoRA factor; was this run full fine-tuning?`);
    tensors.set(peftKey(Number(m[2]), m[3] as LoraTarget, m[1] as 'A' | 'B'), { shape: t.shape, values: t.data, dtype: 'F32' });
  }
  // PEFT saves modules_to_save after the adapter weights.
  if (scoreHead) tensors.set(SCORE_HEAD_KEY, { shape: ckpt.weights['score.weight'].shape, values: ckpt.weights['score.weight'].data, dtype: 'F32' });
  const files = saveAdapter({ lora, configJson: peftConfigJson(lora, config.model_name, scoreHead), tensors, metadata: { format: 'pt' } });
  return { 'adapter_config.json': enc.encode(files['adapter_config.json']), 'adapter_model.safetensors': files['adapter_model.safetensors'] };
}
