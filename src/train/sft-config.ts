// SFT configuration: the original pipeline's keys (model_name, train_file, output_dir, num_train_epochs,
// learning_rate, batch_size) plus LoRA, sequence length, schedule, clipping, evaluation and checkpoints.
import { LORA_TARGETS } from '../model/peft.ts';
import { ConfigError, defaultsOf, parseConfigYaml, validateConfig, type ConfigOf, type ConfigProblem, type ConfigTable } from './config-schema.ts';


export const LORA_TABLE = {
  r: { kind: 'int', default: 8, min: 1, max: 256, doc: 'LoRA rank' },
  alpha: { kind: 'number', default: 16, min: 0, exclusiveMin: true, doc: 'LoRA scale numerator: the update is (alpha / r) * B A' },
  dropout: { kind: 'number', default: 0, min: 0, max: 0.9, doc: 'dropout on the LoRA input' },
  target_modules: { kind: 'string-list', default: ['q_proj', 'k_proj', 'v_proj', 'o_proj'], values: LORA_TARGETS, minItems: 1, doc: 'projections that get adapters' },
} as const satisfies ConfigTable;

export const SFT_TABLE = {
  model_name: { kind: 'string', default: 'builtin:tiny', doc: 'a Hugging Face id (Qwen/Qwen2.5-0.5B-Instruct), a local HF folder, or builtin:tiny' },
  train_file: { kind: 'string-list', default: ['public/data/sft_data.jsonl'], minItems: 1, doc: 'training JSONL files (SFT or conversational format)' },
  tools_file: { kind: 'string', default: 'public/tools/enterprise_tools.json', doc: 'the tool set (OpenAI/Qwen tool definitions, JSON list)' },
  eval_file: { kind: 'string', default: '', allowEmpty: true, doc: 'held-out JSONL for periodic evaluation by generation (empty: none)' },
  output_dir: { kind: 'string', default: 'out/sft', doc: 'where the adapter, metrics.jsonl and the resolved config go' },
  num_train_epochs: { kind: 'number', default: 3, min: 0, exclusiveMin: true, doc: 'passes over the training data' },
  max_steps: { kind: 'int', default: -1, min: -1, doc: 'stop after this many optimizer steps (-1: use num_train_epochs)' },
  learning_rate: { kind: 'number', default: 2e-4, min: 0, exclusiveMin: true, max: 1, doc: 'peak learning rate' },
  batch_size: { kind: 'int', default: 4, min: 1, max: 1024, doc: 'examples per micro-batch' },
  gradient_accumulation_steps: { kind: 'int', default: 1, min: 1, max: 1024, doc: 'micro-batches per optimizer step' },
  max_seq_len: { kind: 'int', default: 512, min: 8, max: 32768, doc: 'longer examples are truncated (and reported)' },
  lr_scheduler_type: { kind: 'enum', default: 'cosine', values: ['constant', 'linear', 'cosine'], doc: 'learning-rate decay after warmup' },
  warmup_steps: { kind: 'int', default: 0, min: 0, doc: 'linear warmup steps' },
  weight_decay: { kind: 'number', default: 0, min: 0, max: 1, doc: 'decoupled AdamW weight decay' },
  adam_beta1: { kind: 'number', default: 0.9, min: 0, max: 0.9999, doc: 'AdamW beta1' },
  adam_beta2: { kind: 'number', default: 0.999, min: 0, max: 0.99999, doc: 'AdamW beta2' },
  adam_epsilon: { kind: 'number', default: 1e-8, min: 0, exclusiveMin: true, doc: 'AdamW epsilon' },
  max_grad_norm: { kind: 'number', default: 1, min: 0, doc: 'clip the global gradient norm to this (0: no clipping)' },
  seed: { kind: 'int', default: 42, min: 0, max: 4294967295, doc: 'one seed for init, shuffling, dropout and sampling' },
  logging_steps: { kind: 'int', default: 1, min: 1, doc: 'log metrics every N optimizer steps' },
  eval_every: { kind: 'int', default: 0, min: 0, doc: 'evaluate by generation every N steps (0: only at the end)' },
  eval_max_examples: { kind: 'int', default: 64, min: 1, doc: 'examples of eval_file used per evaluation' },
  save_every: { kind: 'int', default: 0, min: 0, doc: 'checkpoint every N steps (0: only at the end)' },
  save_total_limit: { kind: 'int', default: 2, min: 1, max: 100, doc: 'checkpoints kept (older ones are deleted once a newer one is complete)' },
  max_nonfinite_steps: { kind: 'int', default: 5, min: 1, doc: 'consecutive NaN/Inf steps before the run stops' },
  chat_template: { kind: 'enum', default: 'model', values: ['model', 'compact'], doc: "'model': the model's own chat template; 'compact': the short tool prompt for tiny CPU demos" },
  gradient_checkpointing: { kind: 'bool', default: false, doc: 'recompute each layer in backward instead of storing its activations (less GPU memory, ~30% more time)' },
  prompt_tools: { kind: 'enum', default: 'listed', values: ['listed', 'none'], doc: "'listed': the tool definitions go into every prompt (as real models need); 'none': a model trained on one fixed tool set learns them and its prompts stay short (tiny CPU demo)" },
  finetune: { kind: 'enum', default: 'lora', values: ['lora', 'full'], doc: "'lora': train adapters on the frozen base; 'full': train every weight (small models only)" },
  lora: { kind: 'section', fields: LORA_TABLE, doc: 'LoRA adapter' },
} as const satisfies ConfigTable;

export type SftConfig = ConfigOf<typeof SFT_TABLE>;

export const defaultSftConfig = (): SftConfig => defaultsOf(SFT_TABLE);
export const validateSftConfig = (raw: unknown, source = 'config'): SftConfig => checkSft(validateConfig(SFT_TABLE, raw, source), source);
export const parseSftYaml = (text: string, source = 'config.yaml'): SftConfig => checkSft(parseConfigYaml(SFT_TABLE, text, source), source);

/** Rules that involve several keys. */
function checkSft(c: SftConfig, source: string): SftConfig {
  const problems: ConfigProblem[] = [];
  if (c.eval_every > 0 && c.eval_file.trim() === '') {
    problems.push({ key: 'eval_every', message: 'periodic evaluation needs eval_file: set eval_file to a held-out JSONL, or eval_every to 0' });
  }
  if (problems.length) throw new ConfigError(source, problems);
  return c;
}
