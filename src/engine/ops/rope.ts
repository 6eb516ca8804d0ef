// Launcher and cos/sin tables for rotary position embedding (Qwen's rotate-half layout).
import ropePairSrc from '../../../shaders/rope_pair.wgsl?raw';
import ropeSrc from '../../../shaders/rope.wgsl?raw';
import type { Engine } from '../engine.ts';
import { words } from '../engine.ts';
import type { Tensor } from '../tensor.ts';
import { assertDtype, fmt } from './shape.ts';

export interface RopeTables {
  /** (maxPositions, headDim / 2) */
  cos: Tensor;
  sin: Tensor;
  headDim: number;
  maxPositions: number;
}

/** cos/sin of pos * theta^(-2i/D), computed in float64 on the CPU and rounded once to f32. */
export function ropeTableData(maxPositions: number, headDim: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  if (headDim % 2 !== 0) throw new Error(`rope: head_dim=${headDim} must be even`);
  const half = headDim / 2;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let p = 0; p < maxPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * Math.pow(theta, (-2 * i) / headDim);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

export function ropeTables(e: Engine, maxPositions: number, headDim: number, theta: number): RopeTables {
  const { cos, sin } = ropeTableData(maxPositions, headDim, theta);
  return { cos: e.tensor(cos, [maxPositions, headDim / 2], 'f32', 'rope.cos'), sin: e.tensor(sin, [maxPositions, headDim / 2], 'f32', 'rope.sin'), headDim, maxPositions };
}

/** x (…, H, D) with one position per (…) row: positions (…) u32. sign -1 is the inverse rotation (backward). */
/** Heads and token count of x (…, H, D), checked against the tables and the positions. */
function ropeShape(x: Tensor, positions: Tensor, tables: RopeTables): { H: number; D: number; tokens: number } {
  assertDtype('rope', 'positions', positions.dtype, 'u32');
  if (x.shape.length < 2) throw new Error(`rope: x must be (…, heads, head_dim), got ${fmt(x.shape)}`);
  const D = x.shape[x.shape.length - 1];
  const H = x.shape[x.shape.length - 2];
  const tokens = x.size / (H * D);
  if (D !== tables.headDim) throw new Error(`rope: x head_dim ${D} but the tables were made for ${tables.headDim}`);
  if (positions.size !== tokens) throw new Error(`rope: ${positions.size} positions for ${tokens} tokens of x ${fmt(x.shape)}`);
  if (positions.host && !checked.has(positions.host)) {
    for (let i = 0; i < positions.host.length; i++) {
      if (positions.host[i] >= tables.maxPositions) throw new Error(`rope: position ${positions.host[i]} at index ${i} exceeds the table size ${tables.maxPositions}`);
    }
    checked.add(positions.host); // u32 host copies are never changed after upload: each is checked once
  }
  return { H, D, tokens };
}
const checked = new WeakSet<Uint32Array>();

export function ropeApply(e: Engine, x: Tensor, positions: Tensor, tables: RopeTables, sign: 1 | -1): Tensor {
  const { H, D, tokens } = ropeShape(x, positions, tables);
  const out = e.empty(x.shape, 'f32', 'rope');
  e.run(ropeSrc, words({ u: tokens }, { u: H }, { u: D }, { f: sign }), [x, tables.cos, tables.sin, positions, out], e.grid(Math.ceil((tokens * H * (D / 2)) / 64)), 'rope');
  return out;
}

/** Rotates a (…, Ha, D) and b (…, Hb, D) at the same positions in one dispatch (a layer's queries and keys). */
export function ropePairApply(e: Engine, a: Tensor, b: Tensor, positions: Tensor, tables: RopeTables, sign: 1 | -1): [Tensor, Tensor] {
  const sa = ropeShape(a, positions, tables);
  const sb = ropeShape(b, positions, tables);
  const outA = e.empty(a.shape, 'f32', 'rope');
  const outB = e.empty(b.shape, 'f32', 'rope');
  const n = sa.tokens * (sa.H + sb.H) * (sa.D / 2);
  e.run(ropePairSrc, words({ u: sa.tokens }, { u: sa.H }, { u: sb.H }, { u: sa.D }, { f: sign }), [a, b, tables.cos, tables.sin, positions, outA, outB], e.grid(Math.ceil(n / 64)), 'ropePair');
  return [outA, outB];
}
