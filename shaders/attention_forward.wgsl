// Causal grouped-query self-attention forward, flash-style: one invocation per (batch, query head, query row)
// streams over the keys with an online softmax, so no T x T score matrix is ever stored.
// Template: {{HEAD_DIM}} is filled in by src/engine/kernels/attention-kernel.ts (private arrays need a constant size).
// Query row t sits at absolute position t + Tk - Tq (a KV cache holds the earlier ones); it sees keys j <= that
// position whose mask is 1 (padding is 0). A row that sees no key gets output 0.
// bindings: 0 params; 1 q: (B, Tq, Hq, D) f32; 2 k: (B, S, Hkv, D) f32; 3 v: (B, S, Hkv, D) f32; 4 mask: (B, S) u32;
//           5 out: (B, Tq, Hq, D) f32; 6 stats: (B, Hq, Tq, 2) f32 (logsumexp of the scaled scores; slot 1 is for the backward)
const D: u32 = {{HEAD_DIM}}u;
struct Params { B: u32, Tq: u32, Tk: u32, S: u32, Hq: u32, Hkv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let idx = (wg.y * nwg.x + wg.x) * 64u + li;
  if (idx >= p.B * p.Hq * p.Tq) { return; }
  let t = idx % p.Tq;
  let h = (idx / p.Tq) % p.Hq;
  let b = idx / (p.Tq * p.Hq);
  let kh = h / (p.Hq / p.Hkv);
  let qBase = ((b * p.Tq + t) * p.Hq + h) * D;
  var qs: array<f32, D>;
  var acc: array<f32, D>;
  for (var d = 0u; d < D; d++) { qs[d] = q[qBase + d] * p.scale; }
  var m = -3.0e38;
  var l = 0.0;
  let last = t + p.Tk - p.Tq;
  for (var j = 0u; j <= last; j++) {
    if (mask[b * p.S + j] == 0u) { continue; }
    let kBase = ((b * p.S + j) * p.Hkv + kh) * D;
    var s = 0.0;
    for (var d = 0u; d < D; d++) { s = fma(qs[d], k[kBase + d], s); }
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let pj = exp(s - mNew);
    l = l * corr + pj;
    for (var d = 0u; d < D; d++) { acc[d] = fma(acc[d], corr, pj * v[kBase + d]); }
    m = mNew;
  }
  let srow = ((b * p.Hq + h) * p.Tq + t) * 2u;
  if (l > 0.0) {
    let inv = 1.0 / l;
    for (var d = 0u; d < D; d++) { out[qBase + d] = acc[d] * inv; }
    stats[srow] = m + log(l);
  } else {
    for (var d = 0u; d < D; d++) { out[qBase + d] = 0.0; }
    stats[srow] = 0.0;
  }
}
