// `npm run validate -- FILE... [--tools tools.json] [--draft-tools OUT.json] [--max-tokens N] [--tokenizer DIR] [--all]`:
// validates dataset files in the terminal with the studio's own reader and prints the same report; exits 1 on
// any problem. Without --tools it checks structure only and lists the tools the data calls (the original
// pipeline's rows call queryWeather(location=...), which no fixed tool set has to know); with --tools (a JSON
// list of definitions, or an OpenAPI document) every call is checked against that set. --draft-tools writes a
// tool set drafted from the calls (names, parameters, inferred types) to edit. With --tokenizer (a folder
// with tokenizer.json + tokenizer_config.json) lengths are counted with that tokenizer instead of estimated.

import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { expectedCalls } from '../data/conversation.ts';
import { readDatasetStream } from '../data/read-dataset.ts';
import { reportLines } from '../data/report-text.ts';
import type { TokenCounter } from '../data/length.ts';
import { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { draftToolSet, ToolUsageCounter, usageLines } from '../tools/draft-tool-set.ts';
import { loadToolSet } from '../tools/tool-set.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { FlagError, parseFlags } from './flags.ts';

interface CliOptions {
  files: string[];
  toolsPath: string | null;
  draftPath: string | null;
  maxTokens: number;
  maxProblems: number;
  tokenizerDir: string | null;
}

const USAGE = 'usage: npm run validate -- FILE... [--tools tools.json|openapi.yaml] [--draft-tools OUT.json] [--max-tokens N] [--tokenizer DIR] [--all]';

const FLAGS = { tools: 'string', 'no-tools': 'boolean', 'draft-tools': 'string', 'max-tokens': 'int', all: 'boolean', tokenizer: 'string', help: 'boolean' } as const;

function parseArgs(argv: string[]): CliOptions {
  if (argv.includes('-h')) usage(0);
  let parsed;
  try {
    parsed = parseFlags('validate', argv, FLAGS, USAGE, { positional: true });
  } catch (e) {
    if (e instanceof FlagError) fail(e.message.replace(/^validate: /, '').split('\n')[0]);
    throw e;
  }
  const { flags: f, positional } = parsed;
  if (f.help) usage(0);
  // --no-tools is the default; kept so older scripts still run.
  const opts: CliOptions = {
    files: positional, toolsPath: f.tools ?? null, draftPath: f['draft-tools'] ?? null, maxTokens: f['max-tokens'] ?? 4096,
    maxProblems: f.all ? Infinity : 200, tokenizerDir: f.tokenizer ?? null,
  };
  if (opts.files.length === 0) usage(2);
  if (opts.maxTokens <= 0) fail('--max-tokens needs a positive integer');
  return opts;
}

function usage(code: number): never {
  console.log(USAGE);
  console.log('  without --tools: structure only, and the tools the data calls are listed');
  process.exit(code);
}

function fail(message: string): never {
  console.error(`validate: ${message}`);
  process.exit(2);
}

function loadTools(path: string): ToolDefinition[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    fail(`cannot read the tool set ${path}: ${(e as Error).message}`);
  }
  try {
    const set = loadToolSet(text, path);
    for (const e of set.errors) console.error(`validate: ${path} ${e.at}: ${e.message} (left out)`);
    if (set.tools.length === 0) fail(`${path} holds no usable tool definitions`);
    return set.tools;
  } catch (e) {
    fail((e as Error).message);
  }
}

function loadTokenCounter(dir: string): TokenCounter {
  try {
    const json = (name: string) => JSON.parse(readFileSync(`${dir}/${name}`, 'utf8'));
    const tok = ChatTokenizer.fromJson(json('tokenizer.json'), json('tokenizer_config.json'));
    return (text) => tok.encode(text).length;
  } catch (e) {
    fail(`cannot load the tokenizer in ${dir}: ${(e as Error).message}`);
  }
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const tools = opts.toolsPath ? loadTools(opts.toolsPath) : undefined;
  const toolSetName = opts.toolsPath ? basename(opts.toolsPath) : undefined;
  const countTokens = opts.tokenizerDir ? loadTokenCounter(opts.tokenizerDir) : undefined;
  const allUsage = new ToolUsageCounter();
  let bad = 0;
  for (const file of opts.files) {
    if (!existsSync(file) || !statSync(file).isFile()) {
      console.log(`${file}: no such file`);
      bad++;
      continue;
    }
    const stream = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
    const { report, examples } = await readDatasetStream(stream, { tools, toolSetName, maxTokens: opts.maxTokens, countTokens });
    for (const line of reportLines(file, report, opts.maxProblems)) console.log(line);
    if (report.toolsUsed && report.toolsUsed.tools.length > 0) {
      console.log(`  tools called${tools ? '' : ' (not checked: no --tools given)'}: ${usageLines(report.toolsUsed).join('; ')}`);
    }
    if (opts.draftPath) for (const e of examples) for (const c of expectedCalls(e)) allUsage.add(c);
    if (report.problems.length > 0 || report.invalid > 0) bad++;
  }
  if (opts.files.length > 1) console.log(`${opts.files.length - bad} of ${opts.files.length} files clean`);
  if (opts.draftPath) {
    const draft = draftToolSet(allUsage.report(), opts.files.map((f) => basename(f)).join(', '));
    writeFileSync(opts.draftPath, JSON.stringify(draft, null, 2) + '\n');
    console.log(`drafted ${draft.length} tool definition${draft.length === 1 ? '' : 's'} from the valid examples' calls into ${opts.draftPath}: edit the descriptions and types, then pass it as --tools`);
  }
  process.exit(bad > 0 ? 1 : 0);
}

void main();
