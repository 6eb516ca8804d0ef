// A/B of the tiled attention backwards in one process: two engines on one lavapipe (or SwiftShader) device, 'split'
// vs 'fused' (EngineOptions.attentionBackward), Qwen2.5-0.5B heads (T 256, 14/2 heads, head_dim 64, causal), run
// alternately; prints best and median forward+backward and forward-only times and the relative difference of the
// gradients. The machine is shared: compare the two sides of one run, not runs.
// Usage: npx tsx --import ./scripts/raw-loader.mjs scripts/bench-attention-backward.ts [lavapipe|swiftshader] [reps]
import { loadavg } from 'node:os';
import { attention } from '../src/engine/autograd/functions.ts';
import { startTape } from '../src/engine/autograd/tape.ts';
import { Engine } from '../src/engine/engine.ts';
import { openNodeDevice } from '../src/gpu/node-gpu.ts';
import { Rng } from '../src/util/rng.ts';

const adapter = process.argv[2] === 'swiftshader' ? 'swiftshader' : 'lavapipe';
const reps = Number(process.argv[3] ?? 8);
const ctx = await openNodeDevice(adapter);
const [B, T, Hq, Hkv, D] = [1, 256, 14, 2, 64];
const rng = new Rng(1);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const q = randn(B * T * Hq * D);
const k = randn(B * T * Hkv * D);
const v = randn(B * T * Hkv * D);
const dOut = randn(B * T * Hq * D);

const sides = (['split', 'fused'] as const).map((backward) => {
  const e = new Engine(ctx, { attentionKernel: 'tiled', attentionBackward: backward });
  const [gq, gk, gv] = [e.tensor(q, [B, T, Hq, D]), e.tensor(k, [B, T, Hkv, D]), e.tensor(v, [B, T, Hkv, D])].map((t) => e.keep(t));
  const mask = e.keep(e.tensor(new Uint32Array(B * T).fill(1), [B, T]));
  const go = e.keep(e.tensor(dOut, [B, T, Hq, D]));
  for (const t of [gq, gk, gv]) t.needsGrad = t.requiresGrad = true;
  const rep = async (withBackward: boolean): Promise<Float32Array[]> => {
    const tape = startTape(e);
    const o = attention(gq, gk, gv, mask);
    let reads: Array<Promise<Float32Array>>;
    if (withBackward) {
      tape.backward(o, { gradOutput: go });
      reads = [gq, gk, gv].map((t) => t.grad!.readLater());
    } else reads = [o.readLater()];
    tape.dispose();
    for (const t of [gq, gk, gv]) {
      t.grad?.release();
      t.grad = null;
    }
    e.flush();
    return Promise.all(reads);
  };
  return { backward, rep, both: [] as number[], fwd: [] as number[] };
});

const grads: Float32Array[][] = [];
for (const s of sides) {
  grads.push(await s.rep(true)); // compiles
  await s.rep(false);
}
const rel = (a: Float32Array, b: Float32Array) => {
  let n = 0;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    n += (a[i] - b[i]) ** 2;
    d += b[i] ** 2;
  }
  return Math.sqrt(n / d);
};
console.log(`${ctx.report.name}: fused vs split, relative difference of dQ, dK, dV: ${grads[1].map((g, i) => rel(g, grads[0][i]).toExponential(1)).join(', ')}`);
const load0 = loadavg();
for (let r = 0; r < reps; r++) {
  for (const s of sides) {
    let t = performance.now();
    await s.rep(true);
    s.both.push(performance.now() - t);
    t = performance.now();
    await s.rep(false);
    s.fwd.push(performance.now() - t);
  }
}
const median = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
for (const s of sides) {
  console.log(`${s.backward}: forward+backward best ${Math.min(...s.both).toFixed(1)} ms, median ${median(s.both).toFixed(1)}; forward best ${Math.min(...s.fwd).toFixed(1)}, median ${median(s.fwd).toFixed(1)} (${reps} reps)`);
}
console.log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} -> ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
process.exit(0);
