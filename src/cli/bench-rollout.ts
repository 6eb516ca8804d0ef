// npm run bench:rollout -- [--model DIR (default out/sft-chains2, the chain-trained SFT demo stage, else the built-in tiny model)] [--data FILE.jsonl] [--episodes 16] [--reps 3] [--lora-r 16]
// Wall time of an RL rollout phase (the episode runner: prefill, decode steps, tool results prefilled onto the KV
// cache) with LoRA adapters attached as RL trains them, as shipped and with each decode-speed choice undone, in one
// run, variants interleaved rep by rep so a shared machine's load falls on all of them alike:
//   as shipped                        adapters merged for the session, few-row attention as the engine picks it;
//   adapters unmerged                 3 matmuls per adapted projection (DecodeSession's mergeMaxBytes 0);
//   subgroup decode attention         the engine's attentionFewRows 'subgroups' (what it was before lavapipe's 'rows').
// Every variant samples the same episodes (same seed); the token counts printed beside the times say so.
import { Engine, type EngineOptions } from '../engine/index.ts';
import { openNodeDevice } from '../gpu/node-gpu.ts';
import { folderProvider } from '../model/node-files.ts';
import { loadTrainableModel } from '../train/load-model.ts';
import { median, RL_BENCH_FLAGS, RL_BENCH_USAGE, rlBenchInputs, ROLLOUT_SETTINGS, rolloutSpecs, sampleRollout } from './bench-rl.ts';
import { parseFlags } from './flags.ts';

const USAGE = `usage: npm run bench:rollout -- ${RL_BENCH_USAGE}`;

interface Variant {
  name: string;
  engine: EngineOptions;
  mergeMaxBytes?: number;
}

const VARIANTS: Variant[] = [
  { name: 'as shipped', engine: {} },
  { name: 'adapters unmerged', engine: {}, mergeMaxBytes: 0 },
  { name: 'subgroup decode attention', engine: { attentionFewRows: 'subgroups' } },
];

const { flags: f } = parseFlags('bench:rollout', process.argv.slice(2), RL_BENCH_FLAGS, USAGE);
const { model, data, episodes: B, reps, lora, prompts } = rlBenchInputs('bench:rollout', f);
const ctx = await openNodeDevice();
console.log(`rollout of ${B} episodes (${data}), ${ROLLOUT_SETTINGS}, LoRA r ${lora.r} on every projection; ${model} on ${ctx.report.name}`);

const runs = new Map<string, Array<{ ms: number; tokens: number }>>(VARIANTS.map((v) => [v.name, []]));
const engines = new Map<string, Awaited<ReturnType<typeof loadTrainableModel>>>();
for (const v of VARIANTS) {
  const e = new Engine(ctx, v.engine);
  // The same seeded adapter in every variant; B = 0 at PEFT's init, so it is given values that change the model.
  const loaded = await loadTrainableModel(e, folderProvider(model), { finetune: 'lora', lora, chatTemplate: 'model', seed: 1 });
  let k = 0;
  for (const b of loaded.model.lora!.B.values()) e.batch.upload(Float32Array.from({ length: b.size }, (_, i) => 0.02 * Math.sin(++k + i)), b.buffer);
  engines.set(v.name, loaded);
}
for (let rep = 0; rep <= reps; rep++) {
  for (const v of VARIANTS) {
    const { model: m, tokenizer } = engines.get(v.name)!;
    const specs = rolloutSpecs(prompts);
    const t0 = performance.now();
    const eps = await sampleRollout(m, tokenizer, specs, 7 + rep, { mergeMaxBytes: v.mergeMaxBytes });
    const ms = performance.now() - t0;
    // Rep 0 warms the pipelines and the pool, and is not counted.
    if (rep > 0) runs.get(v.name)!.push({ ms, tokens: eps.reduce((s, x) => s + x.policyMask.reduce((a, y) => a + y, 0), 0) });
  }
}
const shipped = median(runs.get('as shipped')!.map((x) => x.ms));
console.log('| variant | rollout wall time (median) | / as shipped | sampled tokens per rep | every rep (ms) |');
console.log('|---|---|---|---|---|');
for (const v of VARIANTS) {
  const xs = runs.get(v.name)!;
  const med = median(xs.map((x) => x.ms));
  console.log(`| ${v.name} | ${(med / 1000).toFixed(2)} s | ${(med / shipped).toFixed(2)}x | ${xs.map((x) => x.tokens).join(', ')} | ${xs.map((x) => x.ms.toFixed(0)).join(', ')} |`);
}
