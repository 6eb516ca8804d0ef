// Model benchmark, `npm run bench:model` (its flags: USAGE below, read by the CLI's one parser, src/cli/flags.ts).
// The CPU side of a training step and of a decode step, per step: dispatches, bind groups created, pipelines
// compiled, bytes written to the GPU (uploads + uniforms) and read back, JavaScript recording time (record + encode +
// submit: median and best of --steps by the clock, and on the null device the process's CPU time, which other work on
// a shared machine does not inflate), and GPU time from timestamp queries where the adapter has them.
// Shapes too big for the CPU adapters run on the null device (src/gpu/null-device.ts: counts calls, runs nothing);
// the tiny model runs on the real adapter. The decode benchmark runs generate() at each batch size and reports
// tokens/s and the bytes read back per decode step and sequence.
import { openNodeDevice, type NodeGpuChoice } from '../gpu/node-gpu.ts';
import { openNullDevice } from '../gpu/null-device.ts';
import type { GpuContext } from '../gpu/device.ts';
import { AdamW, Engine, IGNORE_TARGET, startTape, type EngineStats } from '../engine/index.ts';
import { expectedParams, paramCount, parseQwenConfig, type QwenConfig } from '../model/config.ts';
import { generate, GREEDY } from '../model/generate.ts';
import type { LoraTarget } from '../model/peft.ts';
import { QwenModel } from '../model/qwen.ts';
import { Rng } from '../util/rng.ts';
import { FlagError, parseFlags, type Flags } from './flags.ts';

const SHAPES: Record<string, Record<string, unknown>> = {
  'qwen2.5-0.5b': {
    architectures: ['Qwen2ForCausalLM'], hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
    num_key_value_heads: 2, vocab_size: 151936, rope_theta: 1000000.0, rms_norm_eps: 1e-6, tie_word_embeddings: true,
    max_position_embeddings: 32768, model_type: 'qwen2',
  },
  'qwen3-0.6b': {
    architectures: ['Qwen3ForCausalLM'], hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28, num_attention_heads: 16,
    num_key_value_heads: 8, head_dim: 128, vocab_size: 151936, rope_theta: 1000000.0, rms_norm_eps: 1e-6, tie_word_embeddings: true,
    max_position_embeddings: 40960, model_type: 'qwen3',
  },
};

const USAGE = `usage: npm run bench:model -- [--shape tiny|qwen2.5-0.5b|qwen3-0.6b|all] [--device auto|null|gpu|lavapipe|swiftshader]
  [--batch 4] [--seq 256] [--lora q,k,v,o] [--r 16] [--dropout 0] [--checkpoint] [--steps 20] [--decode 1,8,32,64]
  [--prompt 16] [--gen 16] [--no-train] [--no-decode] [--by-op]`;

/** --model is the older name of --shape. */
const FLAGS = {
  shape: 'string', model: 'string', device: 'string', batch: 'int', seq: 'int', steps: 'int', lora: 'string', r: 'int', dropout: 'number',
  checkpoint: 'boolean', decode: 'string', prompt: 'int', gen: 'int', 'no-train': 'boolean', 'no-decode': 'boolean', 'by-op': 'boolean',
} as const;
type BenchFlags = Flags<typeof FLAGS>;

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const kib = (b: number) => (b >= 2 ** 20 ? mib(b) : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${Math.round(b)} B`);
const rate = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(2));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Random (or, on the null device, constant) weights uploaded one tensor at a time. */
function syntheticModel(e: Engine, cfg: QwenConfig, seed: number, random: boolean): QwenModel {
  const rng = new Rng(seed);
  const shapes = new Map(expectedParams(cfg).map((p) => [p.name, p.shape]));
  return QwenModel.fromArrays(e, cfg, new Map(), { storage: 'f16', trainable: false, maxPositions: 4096 }, shapes, (name, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    if (name.endsWith('norm.weight')) v.fill(1);
    else if (random) for (let i = 0; i < n; i++) v[i] = (rng.next() - 0.5) * 0.04;
    else v.fill(0.01);
    e.flush();
    return v;
  });
}

interface StepCounts {
  dispatches: number;
  bindGroups: number;
  pipelines: number;
  bytesWritten: number;
  bytesRead: number;
  submits: number;
}

function countsOf(s: EngineStats, pipelinesBefore: number): StepCounts {
  return { dispatches: s.dispatches, bindGroups: s.bindGroups, pipelines: s.pipelinesCompiled - pipelinesBefore, bytesWritten: s.bytesUploaded + s.bytesUniform, bytesRead: s.bytesRead, submits: s.submits };
}

function countsLine(c: StepCounts): string {
  return `${c.dispatches} dispatches, ${c.bindGroups} bind groups, ${c.pipelines} pipelines compiled, ${kib(c.bytesWritten)} written, ${kib(c.bytesRead)} read back, ${c.submits} submit${c.submits === 1 ? '' : 's'}`;
}

async function trainBench(e: Engine, model: QwenModel, B: number, T: number, steps: number, real: boolean, byOp: boolean): Promise<void> {
  const cfg = model.cfg;
  const rng = new Rng(1);
  const N = B * T;
  const ids = Int32Array.from({ length: N }, () => rng.int(Math.min(cfg.vocabSize, 2000)));
  const mask = new Uint8Array(N).fill(1);
  const targets = Uint32Array.from({ length: N }, (_, i) => (i % T === T - 1 ? IGNORE_TARGET : ids[i + 1]));
  const batch = { ids, mask, B, T };
  const opt = new AdamW(e, model.trainableParams(), { lr: 1e-4 });
  model.training = true;
  // One optimizer step as the training loop records it: forward, chunked LM loss, backward, AdamW, one submit.
  const step = async (): Promise<{ jsMs: number; cpuMs: number; wallMs: number }> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const tape = startTape(e);
    const loss = model.lmLoss(model.forward(batch, { logits: false }).hidden, targets);
    tape.backward(loss);
    const info = opt.step();
    const v = loss.readLater();
    const iv = info.readLater();
    tape.dispose([loss]);
    opt.zeroGrad();
    info.release();
    e.flush();
    const jsMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    await Promise.all([v, iv]);
    loss.release();
    return { jsMs, cpuMs: (c.user + c.system) / 1000, wallMs: performance.now() - t0 };
  };
  // Warm-up: pipelines compiled, pool filled, and (on the null device, where a step is cheap) the JIT settled: V8 was
  // still optimising the recording code after 10 steps (medians of 40 steps after 10 warm-up steps were 2-3x those of
  // 200), a training run's steady state is what the figure is for.
  for (let w = 0; w < (real ? 2 : 60); w++) await step();
  await e.sync();
  const js: number[] = [];
  const cpu: number[] = [];
  const wall: number[] = [];
  const gpu: number[] = [];
  let counts: StepCounts | null = null;
  const ops = new Map<string, number>();
  e.batch.timing = real;
  for (let s = 0; s < steps; s++) {
    const before = e.stats.pipelinesCompiled;
    e.resetCounters();
    if (byOp && s === 0) e.batch.byLabel = ops;
    const r = await step();
    e.batch.byLabel = null;
    js.push(r.jsMs);
    cpu.push(r.cpuMs);
    wall.push(r.wallMs);
    if (e.batch.timing) gpu.push((await e.batch.gpuTime()) / 1e6);
    counts ??= countsOf(e.stats, before);
  }
  e.batch.timing = false;
  model.training = false;
  opt.dispose();
  const lora = model.lora!.config;
  console.log(`  training step (batch ${B} x seq ${T}, LoRA r=${lora.r} on ${lora.targets.join(',')}, dropout ${lora.dropout}, checkpointing ${model.checkpointLayers ? 'on' : 'off'}):`);
  console.log(`    per step: ${countsLine(counts!)}`);
  console.log(`    JavaScript (record + encode + submit): ${median(js).toFixed(1)} ms median, ${Math.min(...js).toFixed(1)} ms best of ${steps} by the clock` +
    (real ? '' : `; ${median(cpu).toFixed(1)} ms median CPU time of the process (unaffected by other work on the machine)`));
  if (real) {
    console.log(`    wall time: ${median(wall).toFixed(1)} ms median (${rate((N / median(wall)) * 1000)} tokens/s)` + (gpu.length ? `; GPU time (timestamps): ${median(gpu).toFixed(1)} ms median` : '; no timestamp queries on this adapter'));
  }
  if (byOp) {
    const top = [...ops].sort((a, b) => b[1] - a[1]);
    console.log(`    dispatches by op: ${top.map(([k, n]) => `${k || '(unlabelled)'} ${n}`).join(', ')}`);
  }
}

async function decodeBench(e: Engine, model: QwenModel, batches: number[], promptLen: number, gen: number, real: boolean): Promise<void> {
  const rng = new Rng(5);
  const rows: string[] = [];
  const perToken: number[] = [];
  for (const B of batches) {
    const prompts = Array.from({ length: B }, () => Array.from({ length: promptLen }, () => rng.int(Math.min(model.cfg.vocabSize, 2000))));
    const run = async (n: number) => {
      const before = e.stats.pipelinesCompiled;
      e.resetCounters();
      e.batch.timing = real;
      const r = await generate(model, prompts, { ...GREEDY, maxNewTokens: n });
      const gpuMs = e.batch.timing ? (await e.batch.gpuTime()) / 1e6 : NaN;
      e.batch.timing = false;
      return { r, c: countsOf(e.stats, before), gpuMs };
    };
    await run(1 + gen); // warm-up: pipelines and pooled buffers for this batch size and cache length
    // A run of 1 new token is prefill + one sample; the difference to 1 + gen is gen decode steps exactly.
    const one = await run(1);
    const full = await run(1 + gen);
    const per = (k: keyof StepCounts) => (full.c[k] - one.c[k]) / gen;
    const jsPerStep = (full.r.decodeMs - one.r.decodeMs) / gen;
    const tps = (B * gen) / Math.max(1e-9, (full.r.decodeMs - one.r.decodeMs) / 1000);
    const gpuPerStep = (full.gpuMs - one.gpuMs) / gen;
    perToken.push(jsPerStep / B);
    rows.push(
      `| ${B} | ${real ? rate(tps) : '-'} | ${jsPerStep.toFixed(2)} | ${Number.isFinite(gpuPerStep) ? gpuPerStep.toFixed(2) : '-'} | ${Math.max(0, Math.round(per('dispatches')))} | ${Math.max(0, Math.round(per('bindGroups')))} | ${kib(per('bytesWritten'))} | ${kib(per('bytesRead'))} | ${(per('bytesRead') / B).toFixed(0)} |`,
    );
  }
  console.log(`  decode (generate(), greedy, prompt ${promptLen} tokens, ${gen} decode steps after the first token):`);
  console.log(`    | batch | tokens/s | ms per step${real ? '' : ' (JS only)'} | GPU ms per step | dispatches/step | bind groups/step | written/step | read back/step | read back bytes/step/sequence |`);
  console.log('    |---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`    ${r}`);
  if (batches.length > 1) {
    const first = perToken[0];
    const last = perToken[perToken.length - 1];
    console.log(`    batch ${batches[batches.length - 1]} vs batch ${batches[0]}: ${(first / last).toFixed(1)}x the tokens per unit of step time`);
  }
}

function loraTargets(spec: string): LoraTarget[] {
  const short: Record<string, LoraTarget> = { q: 'q_proj', k: 'k_proj', v: 'v_proj', o: 'o_proj', gate: 'gate_proj', up: 'up_proj', down: 'down_proj' };
  return spec.split(',').map((s) => {
    const t = short[s] ?? (s as LoraTarget);
    if (!Object.values(short).includes(t)) throw new Error(`--lora: unknown target "${s}" (use q,k,v,o,gate,up,down)`);
    return t;
  });
}

async function benchShape(shape: string, f: BenchFlags): Promise<void> {
  const device = f.device ?? 'auto';
  const isTiny = shape === 'tiny';
  if (!isTiny && !SHAPES[shape]) throw new Error(`--shape ${shape}: use tiny, ${Object.keys(SHAPES).join(', ')} or all`);
  const gpuErrors: string[] = [];
  let ctx: GpuContext;
  if (device === 'null') ctx = openNullDevice();
  else {
    ctx = await openNodeDevice(device as NodeGpuChoice, { onUncapturedError: (m) => gpuErrors.push(m) });
    // A real model shape on a CPU adapter takes hours per step (and lavapipe cannot bind its embedding): count instead.
    if (!isTiny && ctx.report.kind === 'cpu' && device === 'auto') {
      ctx.device.destroy();
      ctx = openNullDevice();
    }
  }
  const real = ctx.report.name !== 'null device';
  const e = new Engine(ctx);
  const B = f.batch ?? 4;
  const T = f.seq ?? 256;
  const steps = f.steps ?? (real ? 5 : 20);
  let model: QwenModel;
  const t0 = performance.now();
  if (isTiny) {
    // Loaded on demand: the tokenizer it brings needs @huggingface/transformers, which a lent GPU machine lacks.
    const { loadModel } = await import('../model/load.ts');
    const { folderProvider } = await import('../model/node-files.ts');
    model = (await loadModel(e, folderProvider('public/models/tiny'), { storage: 'f32', trainable: false })).model;
  }
  else model = syntheticModel(e, parseQwenConfig(SHAPES[shape]), 3, real);
  await e.sync();
  const cfg = model.cfg;
  console.log(`\n${shape}: ${paramCount(cfg).toLocaleString('en')} params on ${ctx.report.name} (${ctx.report.kind}${real ? '' : ': counts, runs nothing'}), weights ${mib(model.baseBytes())} (${((performance.now() - t0) / 1000).toFixed(1)} s to build)`);
  const r = f.r ?? (isTiny ? 8 : 16);
  model.addLora({ r, alpha: 2 * r, dropout: f.dropout ?? 0, targets: loraTargets(f.lora ?? 'q,k,v,o') }, new Rng(2));
  model.checkpointLayers = f.checkpoint;
  if (!f['no-train']) await trainBench(e, model, B, T, steps, real, f['by-op']);
  if (!f['no-decode']) {
    const batches = (f.decode ?? '1,8,32,64').split(',').map(Number);
    await decodeBench(e, model, batches, f.prompt ?? 16, f.gen ?? 16, real);
  }
  const peak = model.baseBytes() + e.stats.bytesLive;
  console.log(`  GPU memory: weights ${mib(model.baseBytes())}, weights + pool after the runs ${mib(peak)}`);
  if (gpuErrors.length > 0) throw new Error(`the GPU reported ${gpuErrors.length} errors; the figures above are invalid. First: ${gpuErrors[0]}`);
  ctx.device.destroy();
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const { flags } = parseFlags('bench:model', argv, FLAGS, USAGE);
  const shape = flags.shape ?? flags.model ?? 'all';
  console.log(`bench:model ${argv.join(' ')} (Node ${process.version}, ${new Date().toISOString()})`);
  for (const s of shape === 'all' ? ['tiny', 'qwen2.5-0.5b'] : [shape]) await benchShape(s, flags);
  process.exit(0);
}

main().catch((err: unknown) => {
  // A usage error says what was wrong and the usage (as every CLI does); anything else keeps its stack.
  console.error(err instanceof FlagError ? err.message : err);
  process.exit(1);
});
