// The page `npm run bench:decode` drives in Chromium: decode tokens/s of our engine (WebGPU, as the studio's worker
// runs it) and of transformers.js running the exported ONNX model on onnxruntime-web's WebGPU backend, same model,
// same adapter, same prompts, greedy, the same number of new tokens, in one page. Built by vite.bench.config.ts
// into dist-bench/, never into the studio (transformers.js brings onnxruntime's wasm).
//
// Decode time is measured the same way for both: from the first generated token to the last (prefill and the
// first token excluded), over B x (newTokens - 1) tokens; each side is warmed up once, then runs `reps` times
// alternately with the other, and the best run of each is kept (the machine is shared).
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { Engine } from '../engine/index.ts';
import { openDevice } from '../gpu/device.ts';
import { BROWSER_HELP } from '../gpu/errors.ts';
import { generate, GREEDY } from '../model/generate.ts';
import { loadModel, urlFolderProvider } from '../model/load.ts';
import { loadAdapterFor } from '../model/peft.ts';
import { Rng } from '../util/rng.ts';
import { OURS_ATTACHED, OURS_MERGED, PEER_WASM, PEER_WEBGPU, type DecodeEngine } from './decode-peers.ts';

export interface DecodeBenchOptions {
  /** Folders under the page: the base model (ours), its adapter (ours), the exported ONNX folder (transformers.js). */
  model: string;
  adapter: string;
  onnx: string;
  prompt: number[];
  batches: number[];
  newTokens: number;
  reps: number;
}

export interface DecodeRow {
  engine: DecodeEngine;
  batch: number;
  tokensPerSecond: number;
  /** Milliseconds of the best run's decode phase and the tokens it produced. */
  decodeMs: number;
  tokens: number;
  /** The greedy tokens of row 0 (the two engines are compared on them). */
  firstRow: number[];
  /** Tokens/s of every timed run in order (a first run slower than the rest is one-time work: shader compiles). */
  everyRun: number[];
}

export interface DecodeBenchResult {
  adapter: string;
  /** The adapter onnxruntime-web's WebGPU backend opened its device on (proof the peer is not its wasm fallback). */
  ortAdapter: string;
  userAgent: string;
  rows: DecodeRow[];
}

/** Times a decode: `run` calls `onStep` once per generated token step (all rows), first step included. */
async function timeDecode(run: (onStep: () => void) => Promise<number[]>, batch: number, newTokens: number) {
  let first = 0;
  let last = 0;
  let steps = 0;
  const firstRow = await run(() => {
    const now = performance.now();
    if (steps === 0) first = now;
    last = now;
    steps++;
  });
  if (steps !== newTokens) throw new Error(`decode produced ${steps} steps, expected ${newTokens}`);
  const decodeMs = last - first;
  const tokens = batch * (newTokens - 1);
  return { decodeMs, tokens, tokensPerSecond: (tokens / decodeMs) * 1000, firstRow };
}

async function runBench(o: DecodeBenchOptions): Promise<DecodeBenchResult> {
  const status = document.getElementById('status')!;
  const ctx = await openDevice(navigator.gpu, { help: BROWSER_HELP });
  const e = new Engine(ctx);
  const files = urlFolderProvider(o.model);
  const attached = await loadModel(e, files, { storage: 'f32', trainable: false });
  const adapter = await loadAdapterFor(urlFolderProvider(o.adapter), attached.folder.config, { baseModel: null });
  attached.model.addLora(adapter.lora, new Rng(0), adapter);
  const merged = await loadModel(e, files, { storage: 'f32', trainable: false });
  merged.model.addLora(adapter.lora, new Rng(0), adapter);
  merged.model.mergeLora();

  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${location.origin}/`;
  // onnxruntime-web's own wasm, served beside the page (transformers.js would fetch it from a CDN).
  const wasm = env.backends.onnx.wasm as { wasmPaths?: unknown; numThreads?: number };
  wasm.wasmPaths = { mjs: '/ort/ort-wasm-simd-threaded.asyncify.mjs', wasm: '/ort/ort-wasm-simd-threaded.asyncify.wasm' };
  const theirs = await AutoModelForCausalLM.from_pretrained(o.onnx, { device: 'webgpu', dtype: 'fp32' });
  // onnxruntime-web exposes the device its WebGPU backend opened; without one the 'webgpu' rows would not be WebGPU.
  const ortGpu = (env.backends.onnx as { webgpu?: { device?: Promise<GPUDevice> | GPUDevice; adapter?: GPUAdapter } }).webgpu;
  const ortDevice = await ortGpu?.device;
  if (!ortDevice) throw new Error('onnxruntime-web opened no WebGPU device: the transformers.js model is not on its WebGPU backend');
  const ortAdapter = ortGpu?.adapter?.info ? `${ortGpu.adapter.info.vendor} ${ortGpu.adapter.info.architecture} ${ortGpu.adapter.info.description}`.trim() : 'WebGPU device opened (adapter info not exposed)';
  // The same folder on onnxruntime-web's CPU backend (wasm SIMD, one thread: the page is not cross-origin isolated).
  const theirsWasm = await AutoModelForCausalLM.from_pretrained(o.onnx, { device: 'wasm', dtype: 'fp32' });

  const ours = (model: typeof attached.model, B: number, n: number) => (onStep: () => void) => {
    let seen = 0;
    return generate(model, Array.from({ length: B }, () => o.prompt), { ...GREEDY, maxNewTokens: n }, {
      onToken: (row) => {
        if (row !== 0) return;
        seen++;
        onStep();
      },
    }).then((r) => {
      if (seen !== n) throw new Error(`ours: ${seen} steps`);
      return r.tokens[0];
    });
  };
  const tjs = (model: typeof theirs, B: number, n: number) => async (onStep: () => void) => {
    const T = o.prompt.length;
    const ids = new Tensor('int64', BigInt64Array.from(Array.from({ length: B }, () => o.prompt).flat().map(BigInt)), [B, T]);
    const mask = new Tensor('int64', new BigInt64Array(B * T).fill(1n), [B, T]);
    let puts = 0;
    const streamer = {
      put: () => {
        // The first put is the prompt; each later one is one generated step.
        if (puts++ > 0) onStep();
      },
      end: () => {},
    };
    const out = (await model.generate({ input_ids: ids, attention_mask: mask, max_new_tokens: n, min_new_tokens: n, do_sample: false, streamer } as never)) as Tensor;
    const row = Array.from((out.tolist() as bigint[][])[0].slice(T), Number);
    return row;
  };

  const rows: DecodeRow[] = [];
  for (const B of o.batches) {
    const sides: { engine: DecodeRow['engine']; run: (n: number) => (onStep: () => void) => Promise<number[]> }[] = [
      { engine: OURS_ATTACHED, run: (n: number) => ours(attached.model, B, n) },
      { engine: OURS_MERGED, run: (n: number) => ours(merged.model, B, n) },
      { engine: PEER_WEBGPU, run: (n: number) => tjs(theirs, B, n) },
      { engine: PEER_WASM, run: (n: number) => tjs(theirsWasm, B, n) },
    ];
    const best = new Map<string, DecodeRow>();
    for (const s of sides) {
      status.textContent = `warm-up ${s.engine}, batch ${B}`;
      await timeDecode(s.run(4), B, 4);
    }
    for (let r = 0; r < o.reps; r++) {
      for (const s of sides) {
        status.textContent = `${s.engine}, batch ${B}, run ${r + 1}/${o.reps}`;
        const t = await timeDecode(s.run(o.newTokens), B, o.newTokens);
        const prev = best.get(s.engine);
        const everyRun = [...(prev?.everyRun ?? []), t.tokensPerSecond];
        if (!prev || t.tokensPerSecond > prev.tokensPerSecond) best.set(s.engine, { engine: s.engine, batch: B, ...t, everyRun });
        else prev.everyRun = everyRun;
      }
    }
    rows.push(...best.values());
  }
  status.textContent = 'done';
  return { adapter: ctx.report.name, ortAdapter, userAgent: navigator.userAgent, rows };
}

declare global {
  interface Window {
    runDecodeBench: (o: DecodeBenchOptions) => Promise<DecodeBenchResult>;
  }
}
window.runDecodeBench = runBench;
document.getElementById('status')!.textContent = 'ready';
