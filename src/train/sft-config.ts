// SFT configuration: the original pipeline's keys (model_name, train_file, output_dir, num_train_epochs,
// learning_rate, batch_size) plus the shared model, LoRA, schedule, optimizer and checkpoint keys
// (training-config.ts), sequence length and evaluation by generation.
import { trainerConfig, type ConfigOf, type ConfigTable } from './config-schema.ts';
import { commonProblems, MODEL_TABLE, TRAINING_TABLE } from './training-config.ts';

export { LORA_TABLE } from './training-config.ts';

export const SFT_TABLE = {
  model_name: { kind: 'string', default: 'builtin:tiny', doc: 'a Hugging Face id (Qwen/Qwen2.5-0.5B-Instruct), a local HF folder, or builtin:tiny' },
  train_file: { kind: 'string-list', default: ['public/data/sft_data.jsonl'], minItems: 1, doc: 'training JSONL files (SFT or conversational format)' },
  tools_file: { kind: 'string', default: 'public/tools/enterprise_tools.json', doc: 'the tool set (OpenAI/Qwen tool definitions, JSON list)' },
  eval_file: { kind: 'string', default: '', allowEmpty: true, doc: 'held-out JSONL for periodic evaluation by generation (empty: none)' },
  output_dir: { kind: 'string', default: 'out/sft', doc: 'where the adapter, metrics.jsonl and the resolved config go' },
  num_train_epochs: { kind: 'number', default: 3, min: 0, exclusiveMin: true, doc: 'passes over the training data' },
  batch_size: { kind: 'int', default: 4, min: 1, max: 1024, doc: 'examples per micro-batch' },
  max_seq_len: { kind: 'int', default: 512, min: 8, max: 32768, doc: 'longer examples are truncated (and reported)' },
  eval_every: { kind: 'int', default: 0, min: 0, doc: 'evaluate by generation every N steps (0: only at the end)' },
  eval_max_examples: { kind: 'int', default: 64, min: 1, doc: 'examples of eval_file used per evaluation' },
  ...TRAINING_TABLE,
  ...MODEL_TABLE,
} as const satisfies ConfigTable;

export type SftConfig = ConfigOf<typeof SFT_TABLE>;

export const SFT_CONFIG = trainerConfig(SFT_TABLE, commonProblems);
export const defaultSftConfig = (): SftConfig => SFT_CONFIG.defaults();
export const validateSftConfig = (raw: unknown, source = 'config'): SftConfig => SFT_CONFIG.validate(raw, source);
export const parseSftYaml = (text: string, source = 'config.yaml'): SftConfig => SFT_CONFIG.parseYaml(text, source);
