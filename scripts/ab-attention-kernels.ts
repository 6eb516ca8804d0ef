// A/B of the tiled attention kernels per dispatch in one process: an older generator (a copy of
// src/engine/kernels/attention-tiled-kernel.ts from another commit) vs the working tree's, on one engine, alternating;
// Qwen2.5-0.5B heads by default (B 1, T 256, 14/2 heads, head_dim 64, causal). Prints best/median ms of the forward
// and the fused backward pass (not dqReduce) and the relative difference of the outputs. The new side's forward
// broadcasts over subgroups of BROADCAST lanes (default 8, lavapipe's; 0 = the plain forward).
// Usage: git show REF:src/engine/kernels/attention-tiled-kernel.ts > /tmp/old-kernel.ts
//        OLD_KERNEL=/tmp/old-kernel.ts npx tsx --import ./scripts/raw-loader.mjs scripts/ab-attention-kernels.ts [lavapipe|swiftshader] [reps] [B,T,Hq,Hkv,D]
import { loadavg } from 'node:os';
import { Engine, words } from '../src/engine/engine.ts';
import { attentionTiledKernel, fusedTileRows, tileKeys, TILE_ROWS } from '../src/engine/kernels/attention-tiled-kernel.ts';
import { pathToFileURL } from 'node:url';
import { openNodeDevice } from '../src/gpu/node-gpu.ts';
import { Rng } from '../src/util/rng.ts';

if (!process.env.OLD_KERNEL) throw new Error('set OLD_KERNEL to a copy of attention-tiled-kernel.ts from another commit (see the usage line)');
const old = (await import(pathToFileURL(process.env.OLD_KERNEL).href)) as typeof import('../src/engine/kernels/attention-tiled-kernel.ts');
const adapter = process.argv[2] === 'swiftshader' ? 'swiftshader' : 'lavapipe';
const reps = Number(process.argv[3] ?? 10);
const [B, T, Hq, Hkv, D] = (process.argv[4] ?? '1,256,14,2,64').split(',').map(Number);
const ctx = await openNodeDevice(adapter);
const e = new Engine(ctx);
const rng = new Rng(1);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
const t = (n: number, s: number[]) => e.keep(e.tensor(randn(n), s));
const q = t(B * T * Hq * D, [B, T, Hq, D]);
const k = t(B * T * Hkv * D, [B, T, Hkv, D]);
const v = t(B * T * Hkv * D, [B, T, Hkv, D]);
const dout = t(B * T * Hq * D, [B, T, Hq, D]);
const mask = e.keep(e.tensor(new Uint32Array(B * T).fill(1), [B, T]));
const prm = words({ u: B }, { u: T }, { u: T }, { u: T }, { u: Hq }, { u: Hkv }, { f: 1 / Math.sqrt(D) });
const lim = e.device.limits.maxComputeWorkgroupStorageSize;
const KB = Math.ceil(T / TILE_ROWS);

type Gen = (w: never, d: number, bt: number, qb?: number) => string;
const broadcastLanes = Number(process.env.BROADCAST ?? 8);
const sides = [{ name: 'old', gen: old.attentionTiledKernel as unknown as Gen, tk: old.tileKeys, fr: old.fusedTileRows }, { name: 'new', gen: attentionTiledKernel as unknown as Gen, tk: tileKeys, fr: fusedTileRows }].map((s) => {
  const out = e.keep(e.empty([B, T, Hq, D], 'f32'));
  const stats = e.keep(e.empty([B, Hq, T, 2], 'f32'));
  const dk = e.keep(e.empty([B, T, Hkv, D], 'f32'));
  const dv = e.keep(e.empty([B, T, Hkv, D], 'f32'));
  const part = e.keep(e.empty([KB, B, T, Hq, D], 'f32'));
  const fwd = () => e.runKernel(`ab:${s.name}:fwd`, (a) => s.gen(...(a as [never, number, number, number])), ['forward', D, s.tk(D, lim), s.name === 'new' ? broadcastLanes : 0], prm, [q, k, v, mask, out, stats], [Math.ceil(T / TILE_ROWS), Hq, B]);
  const bwd = () => e.runKernel(`ab:${s.name}:bwd`, (a) => s.gen(...(a as [never, number, number, number])), ['backwardFused', D, s.fr(D, lim), 0], prm, [q, k, v, mask, dout, out, stats, dk, dv, part], [Math.ceil(T / TILE_ROWS), Hkv, B]);
  return { ...s, out, stats, dk, dv, part, fwd, bwd, ms: { fwd: [] as number[], bwd: [] as number[] } };
});
async function time(f: () => void): Promise<number> {
  await e.sync();
  const t0 = performance.now();
  f();
  await e.sync();
  return performance.now() - t0;
}
for (const s of sides) {
  await time(s.fwd);
  await time(s.bwd);
}
const rel = async (a: typeof sides[0]['out'], b: typeof sides[0]['out']) => {
  const [x, y] = [await a.read(), await b.read()];
  let n = 0;
  let d = 0;
  for (let i = 0; i < x.length; i++) {
    n += (x[i] - y[i]) ** 2;
    d += x[i] ** 2;
  }
  return Math.sqrt(n / d).toExponential(1);
};
console.log(`${ctx.report.name} B ${B} T ${T} Hq ${Hq} Hkv ${Hkv} D ${D}: new vs old relative difference out ${await rel(sides[0].out, sides[1].out)}, dK ${await rel(sides[0].dk, sides[1].dk)}, dV ${await rel(sides[0].dv, sides[1].dv)}, partial dQ ${await rel(sides[0].part, sides[1].part)}`);
const load0 = loadavg();
for (let r = 0; r < reps; r++) for (const s of sides) for (const w of ['fwd', 'bwd'] as const) s.ms[w].push(await time(s[w]));
const median = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1];
for (const w of ['fwd', 'bwd'] as const) console.log(`${w}: ${sides.map((s) => `${s.name} best ${Math.min(...s.ms[w]).toFixed(1)} median ${median(s.ms[w]).toFixed(1)}`).join('; ')}`);
console.log(`load average ${load0.map((x) => x.toFixed(2)).join(' ')} -> ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
process.exit(0);
