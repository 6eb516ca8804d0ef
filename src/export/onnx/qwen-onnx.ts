// A Qwen2 / Qwen3 decoder (adapter merged) as an ONNX graph in the layout transformers.js loads for text generation:
// inputs input_ids, attention_mask (past + new tokens), position_ids and past_key_values.<l>.key/value
// (batch, kv_heads, past, head_dim); outputs logits and present.<l>.key/value. Opset 17, float32, every weight an
// initializer in PyTorch layout transposed once to (in, out) for MatMul; a tied LM head reuses the embedding (Gemm transB).
//
// The graph follows src/model/qwen.ts: RMSNorm, q/k/v (+bias on Qwen2), q/k RMSNorm per head (Qwen3), rotate-half RoPE
// from the same float64 cos/sin table gathered by position id, causal attention over past + new keys that a 0 in
// attention_mask hides, GQA by repeating key/value heads, SwiGLU, final RMSNorm, LM head.

import { expectedParams, qwenConfigToJson, type QwenConfig } from '../../model/config.ts';
import { ropeTableData } from '../../engine/ops/rope.ts';
import { DT, encodeModel, f32Tensor, i64Tensor, type AttrValue, type OnnxNode, type OnnxTensor } from './proto.ts';

/** f32 weights by HF name (base model with the adapter already merged). */
export type WeightMap = Map<string, { shape: number[]; values: Float32Array }>;

export class OnnxExportError extends Error {
  override name = 'OnnxExportError';
}

class GraphBuilder {
  nodes: OnnxNode[] = [];
  inits: OnnxTensor[] = [];
  private n = 0;
  private consts = new Map<string, string>();
  op(op: string, inputs: string[], attrs?: Record<string, AttrValue>, outName?: string): string {
    const out = outName ?? `${op.toLowerCase()}_${this.n++}`;
    this.nodes.push({ op, inputs, outputs: [out], name: `${op}_${this.n++}`, attrs });
    return out;
  }
  init(t: OnnxTensor): string {
    this.inits.push(t);
    return t.name;
  }
  i64(values: number[], scalar = false): string {
    const key = `${scalar ? 's' : 'v'}:${values.join(',')}`;
    let name = this.consts.get(key);
    if (!name) {
      name = `const_i64_${this.consts.size}`;
      this.init(i64Tensor(name, scalar ? [] : [values.length], values));
      this.consts.set(key, name);
    }
    return name;
  }
  f32(value: number): string {
    const key = `f:${value}`;
    let name = this.consts.get(key);
    if (!name) {
      name = `const_f32_${this.consts.size}`;
      this.init(f32Tensor(name, [], [value]));
      this.consts.set(key, name);
    }
    return name;
  }
}

function transpose2d(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
  return out;
}

/** The ONNX model bytes for `cfg` with `weights`. */
export function buildQwenOnnx(cfg: QwenConfig, weights: WeightMap, opts: { maxPositions?: number } = {}): Uint8Array {
  for (const p of expectedParams(cfg)) {
    const w = weights.get(p.name);
    if (!w) throw new OnnxExportError(`weight "${p.name}" is missing`);
    if (w.shape.join() !== p.shape.join()) throw new OnnxExportError(`weight "${p.name}" has shape [${w.shape}], expected [${p.shape}]`);
  }
  const g = new GraphBuilder();
  const { hiddenSize: C, numHeads: H, numKvHeads: Hkv, headDim: D, rmsNormEps: eps, vocabSize: V, numLayers: L } = cfg;
  const weight = (name: string) => weights.get(name)!;
  const linearW = (name: string) => {
    const w = weight(name);
    return g.init(f32Tensor(`${name}.T`, [w.shape[1], w.shape[0]], transpose2d(w.values, w.shape[0], w.shape[1])));
  };
  const vec = (name: string) => g.init(f32Tensor(name, weight(name).shape, weight(name).values));
  const rmsnorm = (x: string, w: string) => {
    const ms = g.op('ReduceMean', [g.op('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [ms, g.f32(eps)])])]);
    return g.op('Mul', [g.op('Mul', [x, inv]), w]);
  };

  // Dynamic sizes: T new tokens, S = past + T keys.
  const T = g.op('Gather', [g.op('Shape', ['input_ids']), g.i64([1], true)], { axis: 0 });
  const S = g.op('Gather', [g.op('Shape', ['attention_mask']), g.i64([1], true)], { axis: 0 });
  const past = g.op('Sub', [S, T]);
  // Mask (B, 1, T, S): key j is visible to query i when j <= past + i and attention_mask[b, j] = 1.
  const qIdx = g.op('Unsqueeze', [g.op('Range', [past, S, g.i64([1], true)]), g.i64([1])]); // (T, 1)
  const kIdx = g.op('Unsqueeze', [g.op('Range', [g.i64([0], true), S, g.i64([1], true)]), g.i64([0])]); // (1, S)
  const causal = g.op('LessOrEqual', [kIdx, qIdx]); // (T, S)
  const padOk = g.op('Unsqueeze', [g.op('Cast', ['attention_mask'], { to: DT.BOOL }), g.i64([1, 2])]); // (B, 1, 1, S)
  const allowed = g.op('And', [causal, padOk]);
  const bias = g.op('Where', [allowed, g.f32(0), g.f32(-3.4028234663852886e38)]);

  // RoPE cos/sin (B, 1, T, D) from the float64 table the engine uses, by position id.
  const maxPos = Math.min(opts.maxPositions ?? cfg.maxPositionEmbeddings, cfg.maxPositionEmbeddings);
  const table = ropeTableData(maxPos, D, cfg.ropeTheta);
  const half = (t: Float32Array, name: string) => {
    const x = g.op('Gather', [g.init(f32Tensor(name, [maxPos, D / 2], t)), 'position_ids'], { axis: 0 }); // (B, T, D/2)
    return g.op('Unsqueeze', [g.op('Concat', [x, x], { axis: -1 }), g.i64([1])]);
  };
  const cos = half(table.cos, 'rope.cos');
  const sin = half(table.sin, 'rope.sin');
  const rope = (x: string) => {
    // x (B, heads, T, D): x*cos + rotate_half(x)*sin, rotate_half(x) = [-x2, x1].
    const x1 = g.op('Slice', [x, g.i64([0]), g.i64([D / 2]), g.i64([-1])]);
    const x2 = g.op('Slice', [x, g.i64([D / 2]), g.i64([D]), g.i64([-1])]);
    const rot = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
    return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rot, sin])]);
  };

  let x = g.op('Gather', [vec('model.embed_tokens.weight'), 'input_ids'], { axis: 0 }); // (B, T, C)
  const repeat = H / Hkv;
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    const h = rmsnorm(x, vec(`${p}input_layernorm.weight`));
    const proj = (t: string, bias: boolean) => {
      const y = g.op('MatMul', [h, linearW(`${p}self_attn.${t}.weight`)]);
      return bias ? g.op('Add', [y, vec(`${p}self_attn.${t}.bias`)]) : y;
    };
    const heads = (y: string, n: number, norm?: string) => {
      let r = g.op('Reshape', [y, g.i64([0, 0, n, D])]); // (B, T, n, D)
      if (norm) r = rmsnorm(r, vec(norm));
      return g.op('Transpose', [r], { perm: [0, 2, 1, 3] }); // (B, n, T, D)
    };
    const q = rope(heads(proj('q_proj', cfg.attentionBias), H, cfg.qkNorm ? `${p}self_attn.q_norm.weight` : undefined));
    const k = rope(heads(proj('k_proj', cfg.attentionBias), Hkv, cfg.qkNorm ? `${p}self_attn.k_norm.weight` : undefined));
    const v = heads(proj('v_proj', cfg.attentionBias), Hkv);
    const presentK = g.op('Concat', [`past_key_values.${l}.key`, k], { axis: 2 }, `present.${l}.key`);
    const presentV = g.op('Concat', [`past_key_values.${l}.value`, v], { axis: 2 }, `present.${l}.value`);
    const expand = (t: string) =>
      repeat === 1 ? t : g.op('Reshape', [g.op('Tile', [g.op('Unsqueeze', [t, g.i64([2])]), g.i64([1, 1, repeat, 1, 1])]), g.i64([0, H, -1, D])]);
    const scores = g.op('Mul', [g.op('MatMul', [q, g.op('Transpose', [expand(presentK)], { perm: [0, 1, 3, 2] })]), g.f32(1 / Math.sqrt(D))]);
    const probs = g.op('Softmax', [g.op('Add', [scores, bias])], { axis: -1 });
    const o = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, expand(presentV)])], { perm: [0, 2, 1, 3] }), g.i64([0, 0, H * D])]);
    x = g.op('Add', [x, g.op('MatMul', [o, linearW(`${p}self_attn.o_proj.weight`)])]);
    const h2 = rmsnorm(x, vec(`${p}post_attention_layernorm.weight`));
    const gate = g.op('MatMul', [h2, linearW(`${p}mlp.gate_proj.weight`)]);
    const up = g.op('MatMul', [h2, linearW(`${p}mlp.up_proj.weight`)]);
    const act = g.op('Mul', [g.op('Mul', [gate, g.op('Sigmoid', [gate])]), up]);
    x = g.op('Add', [x, g.op('MatMul', [act, linearW(`${p}mlp.down_proj.weight`)])]);
  }
  const final = g.op('Reshape', [rmsnorm(x, vec('model.norm.weight')), g.i64([-1, C])]); // (B·T, C)
  const head = cfg.tieWordEmbeddings ? 'model.embed_tokens.weight' : vec('lm_head.weight');
  const flat = g.op('Gemm', [final, head], { transB: 1 }); // (B·T, V)
  const outShape = g.op('Concat', [g.op('Slice', [g.op('Shape', ['input_ids']), g.i64([0]), g.i64([2])]), g.i64([V])], { axis: 0 });
  g.op('Reshape', [flat, outShape], undefined, 'logits');

  const kv = (prefix: string, len: string) => Array.from({ length: L }, (_, l) => ['key', 'value'].map((kind) => ({
    name: `${prefix}.${l}.${kind}`, dataType: DT.FLOAT, dims: ['batch_size', Hkv, len, D] as (number | string)[],
  }))).flat();
  return encodeModel({
    name: `${cfg.arch}-decoder`,
    nodes: g.nodes,
    initializers: g.inits,
    inputs: [
      { name: 'input_ids', dataType: DT.INT64, dims: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', dataType: DT.INT64, dims: ['batch_size', 'total_sequence_length'] },
      { name: 'position_ids', dataType: DT.INT64, dims: ['batch_size', 'sequence_length'] },
      ...kv('past_key_values', 'past_sequence_length'),
    ],
    outputs: [{ name: 'logits', dataType: DT.FLOAT, dims: ['batch_size', 'sequence_length', V] }, ...kv('present', 'total_sequence_length')],
  });
}

/** config.json for transformers.js beside onnx/model.onnx: the HF config plus the cache layout it reads. */
export function onnxConfigJson(cfg: QwenConfig): Record<string, unknown> {
  return { ...qwenConfigToJson(cfg, 'float32'), use_cache: true, 'transformers.js_config': { dtype: 'fp32', kv_cache_dtype: 'float32' } };
}
