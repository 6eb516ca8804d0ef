// npm run bench:decode -- [--model DIR[,DIR...]] [--batches 1,8] [--new-tokens 32] [--reps 3] [--port 4174] [--write] [--note TEXT]
// Decode tokens/s of our engine and of transformers.js running the exported ONNX model (onnxruntime-web's WebGPU
// backend), both in Chromium (SwiftShader here, the user's GPU elsewhere), same model, same LoRA adapter, same
// prompt, greedy, batch 1 and 8, in one page (src/bench/decode-page.ts). --write puts the table and the ratios into
// docs/benchmarks.md between its bench:decode markers.
import { cpus } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { build, preview } from 'vite';
import { CHROMIUM_WEBGPU } from '../../scripts/chromium-webgpu.ts';
import { buildOnnxFolder, readFolderWeights } from '../export/onnx/onnx-folder.ts';
import { readDatasetText } from '../data/read-dataset.ts';
import { promptOf } from '../data/conversation.ts';
import type { DecodeBenchOptions, DecodeBenchResult, DecodeRow } from '../bench/decode-page.ts';
import { OURS_MERGED, PEER_WASM, PEER_WEBGPU } from '../bench/decode-peers.ts';
import { folderProvider } from '../model/node-files.ts';
import { peftConfigJson, peftKey, saveAdapter, targetDims, type Adapter, type LoraConfig } from '../model/peft.ts';
import { ENTERPRISE_TOOLS } from '../tools/enterprise/tool-set.ts';
import { conversationToMessages } from '../tokenizer/chat-messages.ts';
import { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { Rng } from '../util/rng.ts';
import { parseFlags } from './flags.ts';

const USAGE = 'usage: npm run bench:decode -- [--model DIR[,DIR...]] [--batches 1,8] [--new-tokens 32] [--reps 3] [--port 4174] [--write] [--note TEXT]';
const OUT = 'dist-bench';
const START = '<!-- bench:decode:start -->';
const END = '<!-- bench:decode:end -->';

const FLAGS = { model: 'string', batches: 'string', 'new-tokens': 'int', reps: 'int', port: 'int', note: 'string', write: 'boolean' } as const;

function parseArgs(argv: string[]) {
  const { flags: f } = parseFlags('bench:decode', argv, FLAGS, USAGE);
  const o = {
    models: f.model?.split(',') ?? ['public/models/tiny'], batches: f.batches?.split(',').map(Number) ?? [1, 8], newTokens: f['new-tokens'] ?? 32,
    reps: f.reps ?? 3, port: f.port ?? Number(process.env.STUDIO_E2E_PORT ?? 4174), write: f.write, note: f.note ?? '',
  };
  if (o.batches.some((b) => !Number.isInteger(b) || b < 1) || !(o.newTokens >= 2) || !(o.reps >= 1)) throw new Error(`bench:decode: bad --batches, --new-tokens or --reps\n${USAGE}`);
  return o;
}

/** A seeded LoRA adapter on every projection (r 8, alpha 16), as PEFT files: the "same adapter" both engines run. */
function benchAdapter(cfg: Parameters<typeof targetDims>[0]): Adapter {
  const lora: LoraConfig = { r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
  const rng = new Rng(2026);
  const tensors: Adapter['tensors'] = new Map();
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const t of lora.targets) {
      const { inDim, outDim } = targetDims(cfg, t);
      tensors.set(peftKey(l, t, 'A'), { shape: [lora.r, inDim], values: rng.floats(lora.r * inDim, -0.1, 0.1), dtype: 'F32' });
      tensors.set(peftKey(l, t, 'B'), { shape: [outDim, lora.r], values: rng.floats(outDim * lora.r, -0.1, 0.1), dtype: 'F32' });
    }
  }
  return { lora, configJson: peftConfigJson(lora, 'bench-base', false), tensors };
}

function writeAll(dir: string, files: Record<string, string | Uint8Array>): void {
  for (const [name, data] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), data);
  }
}

/** The first sample prompt rendered with the model's template and the sample tools (what the Chat page sends). */
function benchPrompt(tok: ChatTokenizer): number[] {
  const [ex] = readDatasetText(readFileSync('public/data/ppo_data.jsonl', 'utf8'), { tools: [...ENTERPRISE_TOOLS] }).examples;
  const { messages } = conversationToMessages(promptOf(ex));
  return tok.encode(tok.render(messages, { tools: [...ENTERPRISE_TOOLS], addGenerationPrompt: true }));
}

function table(rows: DecodeRow[], batches: number[]): string[] {
  const lines = ['| engine | batch | decode tokens/s (best) | ours / transformers.js (webgpu) | / transformers.js (wasm) | every run |', '|---|---:|---:|---:|---:|---|'];
  for (const B of batches) {
    const at = rows.filter((x) => x.batch === B);
    const gpu = at.find((r) => r.engine === PEER_WEBGPU)!;
    const cpu = at.find((r) => r.engine === PEER_WASM)!;
    for (const r of at) lines.push(`| ${r.engine} | ${B} | ${r.tokensPerSecond.toFixed(1)} | ${(r.tokensPerSecond / gpu.tokensPerSecond).toFixed(2)} | ${(r.tokensPerSecond / cpu.tokensPerSecond).toFixed(2)} | ${r.everyRun.map((x) => x.toFixed(1)).join(', ')} |`);
  }
  return lines;
}

interface ModelRun {
  model: string;
  config: Awaited<ReturnType<typeof readFolderWeights>>['config'];
  adapter: Adapter;
  prompt: number[];
  result: DecodeBenchResult;
}

/** Writes one model's fixture (model, adapter, ONNX export) under dist-bench/fixture-<i>/ (transformers.js takes a two-part model id) and runs the page on it. */
async function benchModel(page: Page, i: number, model: string, o: ReturnType<typeof parseArgs>): Promise<ModelRun> {
  const files = folderProvider(model);
  const { config, weights } = await readFolderWeights(files);
  const tok = await ChatTokenizer.fromFiles(files);
  const adapter = benchAdapter(config);
  const prompt = benchPrompt(tok);
  console.log(`model ${model}: ${config.arch}, ${config.numLayers} layers, hidden ${config.hiddenSize}, vocab ${config.vocabSize}; LoRA r ${adapter.lora.r} on ${adapter.lora.targets.join(', ')}; prompt ${prompt.length} tokens`);
  const dir = join(OUT, `fixture-${i}`);
  writeAll(join(dir, 'model'), Object.fromEntries(['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((f) => [f, readFileSync(join(model, f))])));
  writeAll(join(dir, 'adapter'), saveAdapter(adapter));
  writeAll(join(dir, 'onnx-model'), buildOnnxFolder({
    config, weights, adapter, tokenizerJson: readFileSync(join(model, 'tokenizer.json'), 'utf8'),
    tokenizerConfig: JSON.parse(readFileSync(join(model, 'tokenizer_config.json'), 'utf8')),
  }));
  await page.goto(`http://127.0.0.1:${o.port}/bench/decode.html`);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', undefined, { timeout: 120_000 });
  const opts: DecodeBenchOptions = { model: `/fixture-${i}/model`, adapter: `/fixture-${i}/adapter`, onnx: `fixture-${i}/onnx-model`, prompt, batches: o.batches, newTokens: o.newTokens, reps: o.reps };
  const result = await page.evaluate((x) => window.runDecodeBench(x), opts);
  return { model, config, adapter, prompt, result };
}

/** Per batch: how many greedy tokens of row 0 agree between ours (merged) and transformers.js. */
function agreement(r: DecodeBenchResult, batches: number[]): string {
  return batches.map((B) => {
    const merged = r.rows.find((x) => x.batch === B && x.engine === OURS_MERGED)!.firstRow;
    const theirs = r.rows.find((x) => x.batch === B && x.engine === PEER_WEBGPU)!.firstRow;
    const k = merged.findIndex((t, j) => t !== theirs[j]);
    return k < 0 ? `batch ${B}: all ${merged.length}` : `batch ${B}: the first ${k} of ${merged.length}`;
  }).join('; ');
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  await build({ configFile: 'vite.bench.config.ts', logLevel: 'warn' });
  writeAll(join(OUT, 'ort'), Object.fromEntries(['mjs', 'wasm'].map((x) => [`ort-wasm-simd-threaded.asyncify.${x}`, readFileSync(`node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.${x}`)])));
  const server = await preview({ configFile: 'vite.bench.config.ts', preview: { port: o.port }, logLevel: 'warn' });
  const browser = await chromium.launch({ ...CHROMIUM_WEBGPU, headless: true });
  const version = browser.version();
  const runs: ModelRun[] = [];
  let poll: ReturnType<typeof setInterval> | undefined;
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(0);
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('404')) console.error(`[page] ${m.text()}`);
    });
    // The page's status line every 30 s: a slow side on a slow machine shows where it is.
    const t0 = Date.now();
    poll = setInterval(() => {
      void page.evaluate(() => document.getElementById('status')?.textContent ?? '').then((s) => console.log(`  [${Math.round((Date.now() - t0) / 1000)} s] ${s}`), () => {});
    }, 30_000);
    for (const [i, model] of o.models.entries()) {
      const run = await benchModel(page, i, model, o);
      runs.push(run);
      console.log(table(run.result.rows, o.batches).join('\n'));
      console.log(`greedy tokens of row 0 equal (ours merged vs transformers.js): ${agreement(run.result, o.batches)}`);
      // Written after each model, so a run stopped later keeps what it measured (the section names the models it has).
      if (o.write) writeSection(o, runs, version);
    }
  } finally {
    clearInterval(poll);
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}

/** Replaces docs/benchmarks.md's bench:decode section with the models measured so far. */
function writeSection(o: ReturnType<typeof parseArgs>, runs: ModelRun[], version: string): void {
  const cpu = cpus();
  const section = [
    START,
    `**Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC** with \`npm run bench:decode -- ${process.argv.slice(2).map((a) => (/[\s']/.test(a) ? `"${a}"` : a)).join(' ')}\`${runs.length < o.models.length ? ` (${runs.length} of ${o.models.length} models measured)` : ''}:`,
    `Chromium ${version}, WebGPU adapter: ${runs[0].result.adapter} (onnxruntime-web's WebGPU backend: ${runs[0].result.ortAdapter}); ${cpu.length} cores (${cpu[0]?.model.trim()}); ${o.newTokens} new tokens, best of ${o.reps}; LoRA r 8 on all seven projections.${o.note ? ` ${o.note}` : ''}`,
    ...runs.flatMap((r) => [
      '',
      `\`${r.model}\` (${r.config.arch}, ${r.config.numLayers} layers, hidden ${r.config.hiddenSize}, intermediate ${r.config.intermediateSize}, vocab ${r.config.vocabSize}), a ${r.prompt.length}-token prompt:`,
      '',
      ...table(r.result.rows, o.batches),
      '',
      `Greedy tokens of row 0, ours (merged) vs transformers.js: equal for ${agreement(r.result, o.batches)}.`,
    ]),
    END,
  ].join('\n');
  const doc = readFileSync('docs/benchmarks.md', 'utf8');
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a < 0 || b < 0) throw new Error(`docs/benchmarks.md has no ${START} ... ${END} section to write into`);
  writeFileSync('docs/benchmarks.md', doc.slice(0, a) + section + doc.slice(b + END.length));
  console.log('docs/benchmarks.md: decode section written');
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? e);
  process.exit(1);
});
