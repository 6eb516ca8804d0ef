// npm run bench:model -- [--adapter auto|gpu|lavapipe|swiftshader] [--model tiny|qwen2.5-0.5b|all]
//                          [--batch 4] [--seq 512] [--gen 32] [--steps 2]
// Forward, forward+backward (+AdamW) and generation throughput, and GPU memory, for the built-in tiny model
// and for a Qwen2.5-0.5B-shaped model with random weights (f16-packed frozen base, LoRA r=16 on all targets,
// layer checkpointing, chunked LM loss). On a CPU adapter the 0.5B run defaults to a short sequence (a full
// 512 x 4 step takes hours there); the shape used is printed with every figure.
import { Rng } from '../util/rng.ts';
import { openNodeDevice, type NodeGpuChoice } from '../gpu/node-gpu.ts';
import { AdamW, Engine, IGNORE_TARGET, startTape } from '../engine/index.ts';
import { expectedParams, paramCount, parseQwenConfig, type QwenConfig } from '../model/config.ts';
import { generate, GREEDY } from '../model/generate.ts';
import { loadModel } from '../model/load.ts';
import { folderProvider } from '../model/node-files.ts';
import { LORA_TARGETS } from '../model/peft.ts';
import { QwenModel } from '../model/qwen.ts';

const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'], hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
  num_key_value_heads: 2, vocab_size: 151936, rope_theta: 1000000.0, rms_norm_eps: 1e-6, tie_word_embeddings: true,
  max_position_embeddings: 32768, model_type: 'qwen2',
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
/** Rates keep two significant digits when small (a CPU adapter runs a 0.5B model at under 1 token/s). */
const rate = (x: number) => (x >= 100 ? x.toFixed(0) : x.toPrecision(2));

/** Random weights, uploaded one tensor at a time (the 0.5B model never exists whole in JS memory). */
function randomModel(e: Engine, cfg: QwenConfig, seed: number): QwenModel {
  const rng = new Rng(seed);
  const shapes = new Map(expectedParams(cfg).map((p) => [p.name, p.shape]));
  const model = QwenModel.fromArrays(e, cfg, new Map(), { storage: 'f16', trainable: false, maxPositions: 4096 }, shapes, (name, shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    if (name.endsWith('norm.weight')) v.fill(1);
    else for (let i = 0; i < n; i++) v[i] = (rng.next() - 0.5) * 0.04;
    e.flush();
    return v;
  });
  return model;
}

async function bench(e: Engine, name: string, model: QwenModel, B: number, T: number, genTokens: number, steps: number) {
  const cfg = model.cfg;
  const rng = new Rng(1);
  const N = B * T;
  const ids = Int32Array.from({ length: N }, () => rng.int(Math.min(cfg.vocabSize, 2000)));
  const mask = new Uint8Array(N).fill(1);
  const targets = Uint32Array.from({ length: N }, (_, i) => (i % T === T - 1 ? IGNORE_TARGET : ids[i + 1]));
  const batch = { ids, mask, B, T };
  model.addLora({ r: name === 'tiny' ? 8 : 16, alpha: 32, dropout: 0.05, targets: [...LORA_TARGETS] }, new Rng(2));
  model.checkpointLayers = name !== 'tiny';
  const chunk = name === 'tiny' ? N : 256;
  await e.sync();
  const base = model.baseBytes();
  const weightsBytes = base + e.stats.bytesLive;

  const time = async (fn: () => Promise<void>) => {
    await fn(); // warm-up (pipelines, pool)
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) await fn();
    return (performance.now() - t0) / steps;
  };
  const fwdMs = await time(async () => {
    const loss = e.scope(() => model.lmLoss(model.forward(batch, { logits: false }).hidden, targets, chunk));
    await loss.read();
    loss.release();
  });
  const afterFwd = e.stats.bytesLive;
  const opt = new AdamW(e, model.trainableParams(), { lr: 1e-4 });
  // One training step: forward, chunked LM loss, backward, AdamW; one submit.
  const trainStep = async () => {
    const tape = startTape(e);
    const loss = model.lmLoss(model.forward(batch, { logits: false }).hidden, targets, chunk);
    tape.backward(loss);
    const info = opt.step();
    const v = loss.readLater();
    tape.dispose([loss]);
    opt.zeroGrad();
    e.flush();
    await v;
    loss.release();
    info.release();
  };
  model.training = true;
  const stepMs = await time(trainStep);
  model.training = false;
  const afterStep = e.stats.bytesLive;
  e.resetCounters();
  // One more step, counted: dispatches and submits per training step.
  model.training = true;
  await trainStep();
  model.training = false;
  const perStep = e.stats;
  const prompts = Array.from({ length: B }, (_, b) => Array.from(ids.subarray(b * T, b * T + Math.min(T, 64))));
  const gen = await generate(model, prompts, { ...GREEDY, maxNewTokens: genTokens });
  await e.sync();
  const peak = base + Math.max(afterFwd, afterStep, e.stats.bytesLive);
  console.log(
    [
      `${name}: ${paramCount(cfg).toLocaleString('en')} params, batch ${B} x seq ${T}, LoRA r=${model.lora!.config.r} on ${model.lora!.config.targets.length} targets`,
      `  forward         ${fwdMs.toFixed(1)} ms/batch  ${rate((N / fwdMs) * 1000)} tokens/s`,
      `  fwd+bwd+AdamW   ${stepMs.toFixed(1)} ms/step   ${rate((N / stepMs) * 1000)} tokens/s  (${perStep.dispatches} dispatches, ${perStep.submits} submit${perStep.submits === 1 ? '' : 's'} per step)`,
      `  generation      ${rate(gen.tokensPerSecond)} tokens/s (batch ${B}, ${genTokens} new tokens, prefill ${gen.prefillMs.toFixed(0)} ms)`,
      `  GPU memory      weights+adapters ${mb(weightsBytes)}, peak ${mb(peak)} (${peak <= 3 * 2 ** 30 ? 'within' : 'over'} the 3 GiB target)`,
    ].join('\n'),
  );
  opt.dispose();
}

/**
 * GPU memory of one training step at the target shape, measured by recording the step without running it:
 * the engine takes every buffer from its pool while recording, so the pool's size after recording is the
 * step's peak. Nothing is submitted (the device is destroyed afterwards), so this works on slow CPU adapters.
 */
function memoryPlan(e: Engine, model: QwenModel, B: number, T: number, chunk: number): number {
  const N = B * T;
  const rng = new Rng(7);
  const ids = Int32Array.from({ length: N }, () => rng.int(2000));
  const targets = Uint32Array.from({ length: N }, (_, i) => (i % T === T - 1 ? IGNORE_TARGET : ids[i + 1]));
  const opt = new AdamW(e, model.trainableParams(), { lr: 1e-4 });
  model.training = true;
  const tape = startTape(e);
  const loss = model.lmLoss(model.forward({ ids, mask: new Uint8Array(N).fill(1), B, T }, { logits: false }).hidden, targets, chunk);
  tape.backward(loss);
  opt.step();
  return model.baseBytes() + e.stats.bytesLive;
}

/** Timings of commands the GPU rejected mean nothing: stop with the first error instead of printing them. */
function failOnGpuErrors(errors: string[]): void {
  if (errors.length > 0) throw new Error(`the GPU reported ${errors.length} errors; the figures above are invalid. First: ${errors[0]}`);
}

async function main() {
  const adapter = arg('adapter', 'auto') as NodeGpuChoice;
  const which = arg('model', 'all');
  const gpuErrors: string[] = [];
  const ctx = await openNodeDevice(adapter, { onUncapturedError: (m) => gpuErrors.push(m) });
  const e = new Engine(ctx);
  const isCpu = ctx.report.kind === 'cpu';
  console.log(`bench:model on ${ctx.report.name} (${ctx.report.kind})`);
  const steps = Number(arg('steps', '2'));
  if (which === 'tiny' || which === 'all') {
    const { model } = await loadModel(e, folderProvider('public/models/tiny'), { storage: 'f32', trainable: false });
    await bench(e, 'tiny', model, Number(arg('batch', '4')), Number(arg('seq', '128')), Number(arg('gen', '32')), steps);
    failOnGpuErrors(gpuErrors);
  }
  if (which === 'qwen2.5-0.5b' || which === 'all') {
    const cfg = parseQwenConfig(QWEN25_05B);
    // On a CPU adapter a 0.5B step takes hours: time it only when a shape is asked for explicitly.
    const timed = !isCpu || process.argv.includes('--seq');
    const B = Number(arg('batch', isCpu ? '1' : '4'));
    const T = Number(arg('seq', isCpu ? '16' : '512'));
    const t0 = performance.now();
    const model = randomModel(e, cfg, 3);
    await e.sync();
    console.log(`qwen2.5-0.5b: random f16 weights uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s (${mb(model.baseBytes())} on the GPU)`);
    if (timed) {
      await bench(e, 'qwen2.5-0.5b', model, B, T, Number(arg('gen', isCpu ? '4' : '32')), isCpu ? 1 : steps);
      failOnGpuErrors(gpuErrors);
    } else {
      model.addLora({ r: 16, alpha: 32, dropout: 0.05, targets: [...LORA_TARGETS] }, new Rng(2));
      model.checkpointLayers = true;
      console.log('  (throughput not timed on a CPU adapter; pass --seq N to time a short sequence)');
    }
    if (!timed || B !== 4 || T !== 512) {
      const bytes = memoryPlan(e, model, 4, 512, 256);
      console.log(`  GPU memory plan at batch 4 x seq 512, LoRA r=16 on 7 targets (one fwd+bwd+AdamW step recorded, not run): ${mb(bytes)} (${bytes <= 3 * 2 ** 30 ? 'within' : 'over'} the 3 GiB target)`);
    }
  }
  ctx.device.destroy();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
