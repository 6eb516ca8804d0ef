// npm run bench:optimize -- [--model DIR (default out/sft-chains2, else the built-in tiny model)] [--data FILE.jsonl] [--episodes 16] [--micro-batch 4] [--reps 3] [--lora-r 16] [--profile]
// Wall time of a PPO optimisation phase: one epoch over a rollout of sampled episodes in micro-batches (the policy's
// forward, the critic adapter's forward, the clipped losses, one backward and an AdamW step per micro-batch), as RL
// trains with configs/experiments/ppo_chains_mixed*.yaml (LoRA r 16 on every projection, critic: adapter), as shipped
// and with the matmul's shape-fitted workgroups undone, variants interleaved rep by rep on the same episodes:
//   as shipped                   the register matmul kernel's workgroup fitted to each product's shape;
//   square matmul workgroups     8 x 8 invocations for every product (engine option matmulFitWorkgroups false).
// The episodes are sampled once, by the policy itself (seeded); their advantages and returns are fixed made-up
// values: they change no shape and no dispatch, so the time is the trainer's.
// --profile: one more epoch as shipped with every dispatch timed on the GPU (timestamp queries, a pass per dispatch),
// printed as GPU time per kernel label: where the phase goes.
import { Engine, startTape, type EngineOptions } from '../engine/index.ts';
import { AdamW } from '../engine/optim/adamw.ts';
import { openNodeDevice } from '../gpu/node-gpu.ts';
import { folderProvider } from '../model/node-files.ts';
import { loadPolicy } from '../train/load-policy.ts';
import { ppoLoss } from '../train/policy-loss.ts';
import { policyPositions, rlBatch, type RolloutEpisode } from '../train/rl-batch.ts';
import { median, RL_BENCH_FLAGS, RL_BENCH_USAGE, rlBenchInputs, rolloutSpecs, sampleRollout } from './bench-rl.ts';
import { parseFlags } from './flags.ts';

const USAGE = `usage: npm run bench:optimize -- ${RL_BENCH_USAGE} [--micro-batch 4] [--profile]`;
const FLAGS = { ...RL_BENCH_FLAGS, 'micro-batch': 'int', profile: 'boolean' } as const;

const VARIANTS: Array<{ name: string; engine: EngineOptions }> = [
  { name: 'as shipped', engine: {} },
  { name: 'square matmul workgroups', engine: { matmulFitWorkgroups: false } },
];

const { flags: f } = parseFlags('bench:optimize', process.argv.slice(2), FLAGS, USAGE);
const { model, data, episodes: n, reps, lora, prompts } = rlBenchInputs('bench:optimize', f);
const micro = f['micro-batch'] ?? 4;
const ctx = await openNodeDevice();
const policies = await Promise.all(VARIANTS.map((v) => loadPolicy(new Engine(ctx, v.engine), folderProvider(model), { finetune: 'lora', lora, chatTemplate: 'model', seed: 1, critic: 'adapter' })));

// One rollout, sampled by the first variant's policy (every variant starts from the same weights).
const { model: sampler, tokenizer } = policies[0];
const episodes = await sampleRollout(sampler, tokenizer, rolloutSpecs(prompts), 7);
const rollout: RolloutEpisode[] = episodes.map((ep, i) => {
  const positions = policyPositions(ep.policyMask);
  const k = positions.length;
  return {
    tokens: ep.tokens, positions, oldLogp: Float32Array.from(positions, (t) => ep.logprobs[t]), truncated: ep.end === 'truncated',
    advantages: Float32Array.from({ length: k }, (_, j) => Math.sin(i + j)), oldValues: new Float32Array(k), returns: Float32Array.from({ length: k }, (_, j) => Math.cos(j)),
  };
});
const tokens = rollout.reduce((s, x) => s + x.tokens.length, 0);
console.log(`PPO optimisation epoch over ${n} episodes of ${data} (${tokens} tokens, ${rollout.reduce((s, x) => s + x.positions.length, 0)} sampled), micro-batches of ${micro}, LoRA r ${lora.r} on every projection, critic adapter; ${model} on ${ctx.report.name}`);

const optimizers = policies.map(({ model: m }) => new AdamW(m.e, m.trainableParams(), { lr: 3e-4 }));
const runs = VARIANTS.map(() => [] as number[]);
/** One optimisation epoch of variant v; returns its wall time in ms. */
async function epoch(v: number): Promise<number> {
  const m = policies[v].model;
  const e = m.e;
  const t0 = performance.now();
  for (let b = 0; b < n; b += micro) {
    const batch = rlBatch(rollout, Array.from({ length: Math.min(micro, n - b) }, (_, i) => b + i), tokenizer.padId, (ep) => 1 / rollout[ep].positions.length / micro);
    const tape = startTape(e);
    const { loss } = ppoLoss(m, batch, { cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1, temperature: 1 });
    const read = loss.readLater();
    tape.backward(loss);
    tape.dispose();
    const info = optimizers[v].step(3e-4);
    optimizers[v].zeroGrad();
    info.release();
    e.flush();
    const [value] = await read;
    if (!Number.isFinite(value)) throw new Error(`bench:optimize: ${VARIANTS[v].name} gave a non-finite loss`);
  }
  await e.batch.done();
  return performance.now() - t0;
}
for (let rep = 0; rep <= reps; rep++) {
  for (let v = 0; v < VARIANTS.length; v++) {
    const ms = await epoch(v);
    // Rep 0 compiles the pipelines and fills the pool, and is not counted.
    if (rep > 0) runs[v].push(ms);
  }
}
const shipped = median(runs[0]);
console.log('| variant | optimisation epoch (median) | / as shipped | every rep (ms) |');
console.log('|---|---|---|---|');
for (const [v, { name }] of VARIANTS.entries()) {
  const med = median(runs[v]);
  console.log(`| ${name} | ${(med / 1000).toFixed(2)} s | ${(med / shipped).toFixed(2)}x | ${runs[v].map((x) => x.toFixed(0)).join(', ')} |`);
}

if (f.profile) {
  const batch = policies[0].model.e.batch;
  batch.timing = true;
  if (!batch.timing) throw new Error(`bench:optimize --profile: ${ctx.report.name} has no timestamp queries`);
  const byLabel = new Map<string, number>();
  const counts = new Map<string, number>();
  batch.gpuTimeByLabel = byLabel;
  batch.byLabel = counts;
  batch.resetCounters();
  await epoch(0);
  const total = await batch.gpuTime();
  batch.timing = false;
  console.log(`\nGPU time per kernel, one epoch as shipped (a pass per dispatch): ${(total / 1e6).toFixed(0)} ms in ${batch.stats.dispatches} dispatches`);
  console.log('| kernel | GPU ms | share | dispatches |');
  console.log('|---|---|---|---|');
  for (const [label, ns] of [...byLabel].sort((x, y) => y[1] - x[1]).slice(0, 16)) {
    console.log(`| ${label} | ${(ns / 1e6).toFixed(1)} | ${((100 * ns) / total).toFixed(1)}% | ${counts.get(label)} |`);
  }
}
