// Reward-model configuration: the original pipeline's keys (model_name, train_file, output_dir, num_train_epochs,
// learning_rate, batch_size) plus the shared model, LoRA, schedule, optimizer and checkpoint keys
// (training-config.ts), max_seq_len, TRL's margin and reward centring, and evaluation on held-out pairs.
import { trainerConfig, type ConfigOf, type ConfigTable } from './config-schema.ts';
import { commonProblems, MODEL_TABLE, TRAINING_TABLE } from './training-config.ts';

export const RM_TABLE = {
  model_name: { kind: 'string', default: 'builtin:tiny', doc: 'a Hugging Face id (Qwen/Qwen2.5-0.5B-Instruct), a local HF folder (an SFT output too), or builtin:tiny' },
  train_file: { kind: 'string-list', default: ['public/data/rm_data.jsonl'], minItems: 1, doc: 'preference pairs: {"prompt", "chosen", "rejected"} (+ optional "margin", "rejection_kind") or TRL preference rows' },
  tools_file: { kind: 'string', default: 'public/tools/enterprise_tools.json', doc: 'the tool set (OpenAI/Qwen tool definitions, JSON list)' },
  eval_file: { kind: 'string', default: 'public/data/rm_eval.jsonl', allowEmpty: true, doc: 'held-out pairs scored during and after training (empty: none)' },
  output_dir: { kind: 'string', default: 'out/rm', doc: 'where the reward model (SEQ_CLS adapter or full model), metrics.jsonl and the resolved config go' },
  num_train_epochs: { kind: 'number', default: 1, min: 0, exclusiveMin: true, doc: 'passes over the training pairs' },
  batch_size: { kind: 'int', default: 4, min: 1, max: 512, doc: 'pairs per micro-batch (each pair is two sequences, chosen and rejected, in the same batch)' },
  max_seq_len: { kind: 'int', default: 512, min: 8, max: 32768, doc: 'pairs with a side longer than this are left out (and reported), as TRL filters them' },
  center_rewards_coefficient: { kind: 'number', default: 0.01, min: 0, doc: "weight of mean((r_chosen + r_rejected)^2), which keeps rewards centred on 0 (TRL's option; its recommended 0.01; 0: off)" },
  margin: { kind: 'number', default: 0, doc: "margin the loss asks for, -log sigmoid(r_chosen - r_rejected - margin), for pairs without their own \"margin\" column (TRL: 0)" },
  eval_every: { kind: 'int', default: 0, min: 0, doc: 'score the held-out pairs every N steps (0: only at the end)' },
  eval_max_examples: { kind: 'int', default: 256, min: 1, doc: 'pairs of eval_file scored per evaluation' },
  ...TRAINING_TABLE,
  learning_rate: { ...TRAINING_TABLE.learning_rate, default: 1e-4 },
  ...MODEL_TABLE,
} as const satisfies ConfigTable;

export type RmConfig = ConfigOf<typeof RM_TABLE>;

export const RM_CONFIG = trainerConfig(RM_TABLE, commonProblems);
export const defaultRmConfig = (): RmConfig => RM_CONFIG.defaults();
export const validateRmConfig = (raw: unknown, source = 'config'): RmConfig => RM_CONFIG.validate(raw, source);
export const parseRmYaml = (text: string, source = 'config.yaml'): RmConfig => RM_CONFIG.parseYaml(text, source);
