// `npm run validate -- FILE... [--tools tools.json] [--max-tokens N] [--tokenizer DIR] [--all]`: validates
// dataset files in the terminal with the studio's own reader and prints the same report; exits 1 on any
// problem. With --tokenizer (a folder with tokenizer.json + tokenizer_config.json) lengths are counted
// with that tokenizer instead of estimated.

import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { readDatasetStream } from '../data/read-dataset.ts';
import { reportLines } from '../data/report-text.ts';
import type { TokenCounter } from '../data/length.ts';
import { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import type { ToolDefinition } from '../tools/types.ts';

const DEFAULT_TOOLS = 'public/tools/enterprise_tools.json';

interface CliOptions {
  files: string[];
  toolsPath: string | null;
  maxTokens: number;
  maxProblems: number;
  tokenizerDir: string | null;
}

function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { files: [], toolsPath: existsSync(DEFAULT_TOOLS) ? DEFAULT_TOOLS : null, maxTokens: 4096, maxProblems: 200, tokenizerDir: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--tools') opts.toolsPath = argv[++i];
    else if (a === '--no-tools') opts.toolsPath = null;
    else if (a === '--max-tokens') opts.maxTokens = Number(argv[++i]);
    else if (a === '--all') opts.maxProblems = Infinity;
    else if (a === '--tokenizer') opts.tokenizerDir = argv[++i];
    else if (a === '--help' || a === '-h') usage(0);
    else if (a.startsWith('--')) fail(`unknown option ${a}`);
    else opts.files.push(a);
  }
  if (opts.files.length === 0) usage(2);
  if (!Number.isInteger(opts.maxTokens) || opts.maxTokens <= 0) fail('--max-tokens needs a positive integer');
  return opts;
}

function usage(code: number): never {
  console.log('usage: npm run validate -- FILE... [--tools tools.json | --no-tools] [--max-tokens N] [--tokenizer DIR] [--all]');
  process.exit(code);
}

function fail(message: string): never {
  console.error(`validate: ${message}`);
  process.exit(2);
}

function loadTools(path: string): ToolDefinition[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`cannot read the tool set ${path}: ${(e as Error).message}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { tools?: unknown }).tools;
  if (!Array.isArray(list)) fail(`${path} should hold a JSON array of tool definitions`);
  return list as ToolDefinition[];
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
  const countTokens = opts.tokenizerDir ? loadTokenCounter(opts.tokenizerDir) : undefined;
  let bad = 0;
  for (const file of opts.files) {
    if (!existsSync(file) || !statSync(file).isFile()) {
      console.log(`${file}: no such file`);
      bad++;
      continue;
    }
    const stream = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
    const { report } = await readDatasetStream(stream, { tools, maxTokens: opts.maxTokens, countTokens });
    for (const line of reportLines(file, report, opts.maxProblems)) console.log(line);
    if (report.problems.length > 0 || report.invalid > 0) bad++;
  }
  if (opts.files.length > 1) console.log(`${opts.files.length - bad} of ${opts.files.length} files clean`);
  process.exit(bad > 0 ? 1 : 0);
}

void main();
