// Kernel benchmark: our WGSL kernels vs @tensorflow/tfjs-backend-webgpu on the same Dawn adapter, in one run.
// Prints a markdown table per adapter (GFLOP/s, GB/s, time ratio, dispatches per training step).
// Ours and tfjs run alternately and the best time of each is kept (the CI machines are shared and noisy).
// Flags: USAGE below (read by the CLI's one parser, src/cli/flags.ts).
// Each adapter runs in its own child process: tfjs binds one WebGPU device per process.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { create, globals } from 'webgpu';
import { startTape } from '../engine/autograd/tape.ts';
import { attention } from '../engine/autograd/functions.ts';
import { initTfjs, tf, tfAttention, tfCausalMask, TfToyTransformer } from '../engine/bench/tfjs-peer.ts';
import { measurePeakFma } from '../engine/bench/peak-fma.ts';
import { Engine } from '../engine/engine.ts';
import { attentionDims, attentionForward } from '../engine/ops/attention.ts';
import { matmulForward } from '../engine/ops/matmul.ts';
import { AdamW } from '../engine/optim/adamw.ts';
import { toyBatch, toyInitWeights, toyParamShapes, type ToyConfig } from '../engine/toy/toy-config.ts';
import { ToyTransformer } from '../engine/toy/toy-transformer.ts';
import { availableCpuAdapters, ICD_FILES, openNodeDevice, type NodeGpuChoice } from '../gpu/node-gpu.ts';
import { Rng } from '../util/rng.ts';
import { FlagError, parseFlags } from './flags.ts';

interface Row {
  name: string;
  flops: number;
  bytes: number;
  oursMs: number;
  tfjsMs: number;
  dispatches?: number;
}

const USAGE = 'usage: npm run bench:kernels -- [--adapters lavapipe,swiftshader|gpu] [--quick] [--only matmul|attention|toy|peak[,...]] [--print-all]';
const FLAGS = { adapters: 'string', quick: 'boolean', only: 'string', 'print-all': 'boolean' } as const;
const args = process.argv.slice(2);
/** Shorter timing (fewer rounds): a smoke run, not figures. Set by main() from --quick. */
let quick = false;
const GROUPS = ['matmul', 'attention', 'toy', 'peak'] as const;
/** Row groups to run (all without --only): a change to one kernel family is measured without the others. Set by main(). */
let only: string[] | null = null;
const runs = (group: (typeof GROUPS)[number]): boolean => only === null || only.includes(group);

/**
 * Times ours and tfjs alternately (one repetition each per round, after one warm-up each) and returns the best
 * time of each: the machine is shared, and interleaving plus the minimum keeps load spikes out of the ratio.
 */
async function compare(ours: () => Promise<void>, theirs: () => Promise<void>, minMs = quick ? 600 : 4000, minRounds = quick ? 2 : 5): Promise<[number, number]> {
  await ours();
  await theirs();
  const best: [number, number] = [Infinity, Infinity];
  const t0 = performance.now();
  for (let round = 0; round < minRounds || performance.now() - t0 < minMs; round++) {
    for (const [k, rep] of [ours, theirs].entries()) {
      const t = performance.now();
      await rep();
      best[k] = Math.min(best[k], performance.now() - t);
    }
  }
  return best;
}

function randn(rng: Rng, n: number, s = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * s);
}

async function benchAdapter(choice: NodeGpuChoice): Promise<void> {
  const ctx = await openNodeDevice(choice);
  const e = new Engine(ctx);
  // tfjs gets its own Dawn instance; VK_ICD_FILENAMES (set by the parent) limits both to the same driver.
  const tfGpu = create([]) as unknown as GPU;
  await initTfjs(tfGpu);
  const rng = new Rng(1);
  const rows: Row[] = [];

  // ---- matmuls: (name, M, N, K, transA, transB, f16 weight)
  const mm: Array<[string, number, number, number, boolean, boolean, boolean]> = [
    ['matmul 512x512x512 (A·B)', 512, 512, 512, false, false, false],
    ['matmul x·Wᵀ q_proj 0.5B (128 tok, 896→896)', 128, 896, 896, false, true, false],
    ['matmul x·Wᵀ gate_proj 0.5B (64 tok, 896→4864)', 64, 4864, 896, false, true, false],
    ['matmul Xᵀ·dY weight grad (128 tok, 896x896)', 896, 896, 128, true, false, false],
    ['matmul x·Wᵀ, W packed f16 (128 tok, 896→896)', 128, 896, 896, false, true, true],
  ];
  // A GPU finishes 512³ in well under a millisecond; the "large matmul" target needs a size that fills it.
  const onGpu = ctx.report.kind === 'gpu';
  if (onGpu) mm.push(['matmul 4096x4096x4096 (A·B)', 4096, 4096, 4096, false, false, false]);
  for (const [name, M, N, K, transA, transB, f16] of runs('matmul') ? mm : []) {
    const a = randn(rng, M * K);
    const b = randn(rng, K * N, 0.05);
    const ta = e.keep(e.tensor(a, transA ? [K, M] : [M, K]));
    const tb = e.keep(f16 ? e.f16Weights(b, transB ? [N, K] : [K, N]) : e.tensor(b, transB ? [N, K] : [K, N]));
    const oursMsRep = async (): Promise<void> => {
      const c = matmulForward(e, ta, tb, { transA, transB });
      const p = c.readLater();
      c.release();
      e.flush();
      await p;
    };
    const xa = tf.tensor(a, transA ? [K, M] : [M, K]) as tf.Tensor2D;
    const xb = tf.tensor(b, transB ? [N, K] : [K, N]) as tf.Tensor2D;
    const tfjsMsRep = async (): Promise<void> => {
      const c = tf.matMul(xa, xb, transA, transB);
      await c.data();
      c.dispose();
    };
    const [oursMs, tfjsMs] = await compare(oursMsRep, tfjsMsRep);
    xa.dispose();
    xb.dispose();
    ta.release();
    tb.release();
    rows.push({ name: f16 ? `${name} (tfjs: f32 W)` : name, flops: 2 * M * N * K, bytes: 4 * (M * K + M * N) + (f16 ? 2 : 4) * K * N, oursMs, tfjsMs });
  }

  // ---- attention forward, Qwen2.5-0.5B heads (14 q, 2 kv, head_dim 64)
  if (runs('attention')) {
    const [B, T, Hq, Hkv, D] = [1, 256, 14, 2, 64];
    const q = randn(rng, B * T * Hq * D);
    const k = randn(rng, B * T * Hkv * D);
    const v = randn(rng, B * T * Hkv * D);
    const tq = e.keep(e.tensor(q, [B, T, Hq, D]));
    const tk = e.keep(e.tensor(k, [B, T, Hkv, D]));
    const tv = e.keep(e.tensor(v, [B, T, Hkv, D]));
    const tm = e.keep(e.tensor(new Uint32Array(B * T).fill(1), [B, T]));
    const dims = attentionDims(tq, tk, tv, tm);
    const oursMsRep = async (): Promise<void> => {
      const { out, stats } = attentionForward(e, tq, tk, tv, tm, dims);
      const p = out.readLater();
      out.release();
      stats.release();
      e.flush();
      await p;
    };
    const xq = tf.tensor(q, [B, T, Hq, D]) as tf.Tensor4D;
    const xk = tf.tensor(k, [B, T, Hkv, D]) as tf.Tensor4D;
    const xv = tf.tensor(v, [B, T, Hkv, D]) as tf.Tensor4D;
    const maskAdd = tfCausalMask(T);
    const tfjsMsRep = async (): Promise<void> => {
      const o = tf.tidy(() => tfAttention(xq, xk, xv, maskAdd, Hq, Hkv));
      await o.data();
      o.dispose();
    };
    const [oursMs, tfjsMs] = await compare(oursMsRep, tfjsMsRep);
    tf.dispose([xq, xk, xv, maskAdd]);
    for (const t of [tq, tk, tv, tm]) t.release();
    // Causal: half of the T x T scores, each 2D flops for q·k and 2D for p·v.
    rows.push({ name: `attention fwd causal GQA (T=${T}, 14/2 heads, D=64)`, flops: 2 * 2 * D * Hq * ((T * (T + 1)) / 2), bytes: 4 * (2 * q.length + k.length + v.length), oursMs, tfjsMs });

    // forward + backward
    const gq = e.keep(e.tensor(q, [B, T, Hq, D]));
    const gk = e.keep(e.tensor(k, [B, T, Hkv, D]));
    const gv = e.keep(e.tensor(v, [B, T, Hkv, D]));
    const gm = e.keep(e.tensor(new Uint32Array(B * T).fill(1), [B, T]));
    for (const t of [gq, gk, gv]) t.needsGrad = t.requiresGrad = true;
    const dOut = e.keep(e.tensor(randn(rng, q.length), [B, T, Hq, D]));
    const oursBwdRep = async (): Promise<void> => {
      const tape = startTape(e);
      const o = attention(gq, gk, gv, gm);
      tape.backward(o, { gradOutput: dOut });
      const p = gq.grad!.readLater();
      tape.dispose();
      for (const t of [gq, gk, gv]) {
        t.grad?.release();
        t.grad = null;
      }
      e.flush();
      await p;
    };
    const yq = tf.tensor(q, [B, T, Hq, D]) as tf.Tensor4D;
    const yk = tf.tensor(k, [B, T, Hkv, D]) as tf.Tensor4D;
    const yv = tf.tensor(v, [B, T, Hkv, D]) as tf.Tensor4D;
    const ydo = tf.tensor(randn(rng, q.length), [B, T, Hq, D]);
    const mask2 = tfCausalMask(T);
    const gradFn = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tfAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, mask2, Hq, Hkv));
    const tfjsBwdRep = async (): Promise<void> => {
      const gs = gradFn([yq, yk, yv], ydo);
      await gs[0].data();
      tf.dispose(gs);
    };
    const [oursBwd, tfjsBwd] = await compare(oursBwdRep, tfjsBwdRep);
    tf.dispose([yq, yk, yv, ydo, mask2]);
    rows.push({ name: `attention fwd+bwd (same shape)`, flops: 3.5 * 2 * 2 * D * Hq * ((T * (T + 1)) / 2), bytes: 4 * 3 * (2 * q.length + k.length + v.length), oursMs: oursBwd, tfjsMs: tfjsBwd });
  }

  // ---- full toy training step: forward + backward + optimizer, one submit
  if (runs('toy')) {
    const cfg: ToyConfig = { vocab: 2048, hidden: 128, layers: 2, heads: 4, kvHeads: 2, headDim: 32, ffn: 352, ropeTheta: 1e6, eps: 1e-6, qkNorm: true, qkvBias: true };
    const [B, T] = [2, 64];
    const weights = toyInitWeights(cfg, 3, 0.05);
    const batch = toyBatch(cfg, B, T, 5);
    const model = new ToyTransformer(e, cfg, weights, T);
    const opt = new AdamW(e, [...model.params.values()], { lr: 1e-3 });
    const tb = model.upload(batch);
    for (const t of Object.values(tb)) if (typeof t === 'object') e.keep(t);
    let dispatches = 0;
    const oursMsRep = async (): Promise<void> => {
      e.resetCounters();
      const tape = startTape(e);
      const loss = model.loss(tb);
      tape.backward(loss);
      const info = opt.step();
      const p = loss.readLater();
      tape.dispose();
      info.release();
      opt.zeroGrad();
      e.flush();
      dispatches = e.stats.dispatches;
      await p;
    };
    const tfModel = new TfToyTransformer(cfg, weights, toyParamShapes(cfg), T);
    const ids = tf.tensor(Int32Array.from(batch.ids), [B * T], 'int32');
    const valid = Float32Array.from(batch.targets, (t) => (t === 0xffffffff ? 0 : 1));
    const oneHot = tf.oneHot(tf.tensor(Int32Array.from(batch.targets, (t) => (t === 0xffffffff ? 0 : t)), [B * T], 'int32'), cfg.vocab);
    const w = tf.tensor(valid, [B * T]);
    const maskAdd = tfCausalMask(T, batch.mask, B, cfg.heads);
    const tfjsMsRep = async (): Promise<void> => {
      await tfModel.step(batch, ids, oneHot, w, maskAdd);
    };
    const [oursMs, tfjsMs] = await compare(oursMsRep, tfjsMsRep);
    const nParams = toyParamShapes(cfg).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
    const tokens = B * T;
    const attnFlops = cfg.layers * 3 * 2 * 2 * cfg.headDim * cfg.heads * B * ((T * (T + 1)) / 2);
    rows.push({ name: `toy training step (2 layers, C=128, V=2048, B=2, T=64, AdamW)`, flops: 6 * nParams * tokens + attnFlops, bytes: 16 * nParams, oursMs, tfjsMs, dispatches });
  }

  const peakLines = runs('peak') ? await peakShare(e, onGpu ? 4096 : 512, rng) : [];

  const report = ctx.report;
  const lines = [
    `### ${report.name} (${report.kind}; ${report.description || report.vendor}; features: ${report.features.join(', ') || 'none'})`,
    '',
    '| operation | ours ms | ours GFLOP/s | ours GB/s | tfjs ms | tfjs GFLOP/s | ours/tfjs time | dispatches/step |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.name} | ${r.oursMs.toFixed(1)} | ${(r.flops / r.oursMs / 1e6).toFixed(2)} | ${(r.bytes / r.oursMs / 1e6).toFixed(2)} | ${r.tfjsMs.toFixed(1)} | ${(r.flops / r.tfjsMs / 1e6).toFixed(2)} | ${(r.oursMs / r.tfjsMs).toFixed(2)} | ${r.dispatches ?? ''} |`),
    '',
    ...peakLines,
    '',
  ];
  console.log('BENCH-TABLE-BEGIN');
  console.log(lines.join('\n'));
  console.log('BENCH-TABLE-END');
  ctx.device.destroy();
  process.exit(0);
}

/**
 * The matmul target on a GPU is a share of the device's measured peak: times `reps` n³ matmuls recorded in one
 * submit (no readback in the timed region, unlike the table's rows) against shaders/peak_fma.wgsl.
 */
async function peakShare(e: Engine, n: number, rng: Rng): Promise<string[]> {
  const peak = await measurePeakFma(e, quick ? { minMs: 10, repeats: 2 } : {});
  const a = e.keep(e.tensor(randn(rng, n * n), [n, n]));
  const b = e.keep(e.tensor(randn(rng, n * n, 0.05), [n, n]));
  const reps = n >= 2048 ? 10 : 3;
  let best = Infinity;
  for (let round = 0; round < (quick ? 2 : 4); round++) {
    const t = performance.now();
    for (let r = 0; r < reps; r++) matmulForward(e, a, b).release();
    await e.sync();
    if (round > 0) best = Math.min(best, (performance.now() - t) / reps); // round 0 compiles and warms up
  }
  a.release();
  b.release();
  const gflops = (2 * n ** 3) / best / 1e6;
  return [
    `Measured f32 peak (shaders/peak_fma.wgsl, ${peak.invocations} threads x ${peak.iters} rounds): **${peak.gflops.toFixed(1)} GFLOP/s**.`,
    `matmul ${n}x${n}x${n} (A·B), ${reps} per submit, no readback: ${best.toFixed(2)} ms each, ${gflops.toFixed(1)} GFLOP/s = **${((100 * gflops) / peak.gflops).toFixed(1)}% of the measured peak**.`,
  ];
}

async function main(): Promise<void> {
  const { flags } = parseFlags('bench:kernels', args, FLAGS, USAGE);
  quick = flags.quick;
  only = flags.only?.split(',') ?? null;
  const unknown = only?.filter((g) => !(GROUPS as readonly string[]).includes(g)) ?? [];
  if (unknown.length) throw new FlagError(`bench:kernels: --only takes ${GROUPS.join(', ')}; got ${unknown.join(', ')}\n${USAGE}`);
  const child = process.env.BENCH_CHILD as NodeGpuChoice | undefined;
  if (child) return benchAdapter(child);
  Object.assign(globalThis, globals);
  const adapters = (flags.adapters?.split(',') ?? (availableCpuAdapters().length ? availableCpuAdapters() : ['gpu'])) as NodeGpuChoice[];
  const out: string[] = [`Measured ${new Date().toISOString()} on ${process.platform}/${process.arch}, Node ${process.version}${quick ? ' (--quick)' : ''}.`, ''];
  for (const a of adapters) {
    const env: Record<string, string | undefined> = { ...process.env, BENCH_CHILD: a };
    if (a === 'lavapipe' || a === 'swiftshader') env.VK_ICD_FILENAMES = ICD_FILES[a];
    const r = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
    const m = /BENCH-TABLE-BEGIN\n([\s\S]*?)BENCH-TABLE-END/.exec(r.stdout ?? '');
    if (!m) {
      console.error(`bench on ${a} failed (exit ${r.status}):\n${r.stderr}\n${r.stdout}`);
      process.exitCode = 1;
      continue;
    }
    out.push(m[1]);
    console.log(m[1]);
  }
  if (flags['print-all']) console.log(out.join('\n'));
}

main().catch((err) => {
  // A usage error says what was wrong and the usage (as every CLI does); anything else keeps its stack.
  console.error(err instanceof FlagError ? err.message : err);
  process.exit(1);
});
