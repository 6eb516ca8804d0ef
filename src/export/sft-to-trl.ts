// How each key of the studio's SFT config maps onto TRL's SFTConfig (and the script around it): one entry per
// SFT_TABLE key, so a key added to the studio's table does not compile until it has a mapping here.
import type { SftConfig } from '../train/sft-config.ts';

/** Where a studio key goes in the TRL export. */
export type KeyMapping<C> =
  /** SFTConfig / GRPOConfig / ... keyword arguments (one key may give several). */
  | { trl: (c: C) => Record<string, unknown>; note?: string }
  /** Handled by the script or the exported files instead (dataset files, the chat template, the model path). */
  | { script: string }
  /** No TRL counterpart: said in the generated script so the user knows. */
  | { none: string };

export const SFT_TO_TRL: { [K in keyof SftConfig]: KeyMapping<SftConfig> } = {
  model_name: { script: 'MODEL (builtin:tiny travels as model/)' },
  train_file: { script: 'TRAIN_FILES: the datasets in TRL conversational format (messages + tools)' },
  tools_file: { script: 'tools.json, rendered into every prompt' },
  eval_file: { script: 'EVAL_FILE (eval loss; the studio evaluates by generation)' },
  output_dir: { trl: (c) => ({ output_dir: c.output_dir }) },
  num_train_epochs: { trl: (c) => ({ num_train_epochs: c.num_train_epochs }) },
  max_steps: { trl: (c) => ({ max_steps: c.max_steps }) },
  learning_rate: { trl: (c) => ({ learning_rate: c.learning_rate }) },
  batch_size: { trl: (c) => ({ per_device_train_batch_size: c.batch_size, per_device_eval_batch_size: c.batch_size }) },
  gradient_accumulation_steps: { trl: (c) => ({ gradient_accumulation_steps: c.gradient_accumulation_steps }) },
  max_seq_len: { trl: (c) => ({ max_length: c.max_seq_len }), note: 'also MAX_SEQ_LEN: the script cuts sequences there before TRL sees them' },
  lr_scheduler_type: {
    // HF's "constant" ignores warmup; the studio warms up, then holds.
    trl: (c) => ({ lr_scheduler_type: c.lr_scheduler_type === 'constant' && c.warmup_steps > 0 ? 'constant_with_warmup' : c.lr_scheduler_type }),
  },
  warmup_steps: { trl: (c) => ({ warmup_steps: c.warmup_steps }) },
  weight_decay: { trl: (c) => ({ weight_decay: c.weight_decay, optim: 'adamw_torch' }), note: 'decoupled AdamW, as the studio' },
  adam_beta1: { trl: (c) => ({ adam_beta1: c.adam_beta1 }) },
  adam_beta2: { trl: (c) => ({ adam_beta2: c.adam_beta2 }) },
  adam_epsilon: { trl: (c) => ({ adam_epsilon: c.adam_epsilon }) },
  max_grad_norm: { trl: (c) => ({ max_grad_norm: c.max_grad_norm }), note: '0 disables clipping in both' },
  seed: { trl: (c) => ({ seed: c.seed, data_seed: c.seed }), note: 'same seed, different generators: batches differ from the studio run' },
  logging_steps: { trl: (c) => ({ logging_steps: c.logging_steps }) },
  eval_every: { trl: (c) => (c.eval_every > 0 ? { eval_strategy: 'steps', eval_steps: c.eval_every } : { eval_strategy: 'epoch' }) },
  eval_max_examples: { script: 'EVAL_MAX_EXAMPLES: the eval file is cut to this many conversations' },
  save_every: { trl: (c) => (c.save_every > 0 ? { save_strategy: 'steps', save_steps: c.save_every } : { save_strategy: 'epoch' }) },
  save_total_limit: { trl: (c) => ({ save_total_limit: c.save_total_limit }) },
  max_nonfinite_steps: { none: 'TRL has no NaN/Inf step skipping (the studio skips such a step on the GPU and stops after this many in a row)' },
  chat_template: { script: 'chat_template.jinja: the template the studio rendered with, set as tokenizer.chat_template' },
  gradient_checkpointing: { trl: (c) => ({ gradient_checkpointing: c.gradient_checkpointing }) },
  prompt_tools: { script: 'PROMPT_TOOLS: tool definitions in every prompt (listed) or none' },
  finetune: { script: 'LORA: peft LoraConfig for lora, None (every weight trains) for full' },
  lora: { script: 'LORA: r -> r, alpha -> lora_alpha, dropout -> lora_dropout, target_modules -> target_modules' },
};

/** The SFTConfig keyword arguments of a studio SFT config, each with the studio key it came from. */
export function sftTrlArgs(c: SftConfig): { key: string; value: unknown; comment: string }[] {
  const out: { key: string; value: unknown; comment: string }[] = [];
  for (const [studioKey, m] of Object.entries(SFT_TO_TRL) as [keyof SftConfig, KeyMapping<SftConfig>][]) {
    if (!('trl' in m)) continue;
    for (const [key, value] of Object.entries(m.trl(c))) out.push({ key, value, comment: `studio: ${studioKey}${m.note ? ` (${m.note})` : ''}` });
  }
  // Batches of similar length, as the studio's batcher; the data is tokenized already.
  out.push({ key: 'group_by_length', value: true, comment: 'the studio batches examples of similar length' });
  out.push({ key: 'remove_unused_columns', value: false, comment: 'keep assistant_masks for the collator' });
  out.push({ key: 'dataset_kwargs', value: { skip_prepare_dataset: true }, comment: 'input_ids + assistant_masks are prepared by trl_data.py' });
  out.push({ key: 'report_to', value: 'none', comment: 'add wandb / tensorboard here' });
  return out;
}

/** Lines of the generated script that say which studio keys have no TRL counterpart, or live elsewhere. */
export function sftUnmappedComments(): string[] {
  return (Object.entries(SFT_TO_TRL) as [string, KeyMapping<SftConfig>][]).flatMap(([k, m]) =>
    'none' in m ? [`# studio ${k}: not in TRL: ${m.none}`] : 'script' in m ? [`# studio ${k}: ${m.script}`] : [],
  );
}
