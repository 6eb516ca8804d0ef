// Attention backward, step 3: dK and dV for one (batch, kv head, key row) per invocation, summing over the
// query heads of its group and the query rows that see it: dv = sum p dO, dk = scale * sum ds q.
// A masked key (padding) gets zero gradients. No atomics: each output row has exactly one writer.
// Template: {{HEAD_DIM}} filled in by src/engine/kernels/attention-kernel.ts.
// bindings: 0 params; 1 q: (B, Tq, Hq, D); 2 k: (B, S, Hkv, D); 3 v: (B, S, Hkv, D); 4 mask: (B, S) u32;
//           5 dout: (B, Tq, Hq, D); 6 stats: (B, Hq, Tq, 2) (lse, delta); 7 dk: (B, S, Hkv, D); 8 dv: (B, S, Hkv, D)
const D: u32 = {{HEAD_DIM}}u;
struct Params { B: u32, Tq: u32, Tk: u32, S: u32, Hq: u32, Hkv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read> dout: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read_write> dk: array<f32>;
@group(0) @binding(8) var<storage, read_write> dv: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let idx = (wg.y * nwg.x + wg.x) * 64u + li;
  if (idx >= p.B * p.Hkv * p.S) { return; }
  let j = idx % p.S;
  let kh = (idx / p.S) % p.Hkv;
  let b = idx / (p.S * p.Hkv);
  let kBase = ((b * p.S + j) * p.Hkv + kh) * D;
  var kk: array<f32, D>;
  var vv: array<f32, D>;
  var gk: array<f32, D>;
  var gv: array<f32, D>;
  let valid = j < p.Tk && mask[b * p.S + j] != 0u;
  if (valid) {
    for (var d = 0u; d < D; d++) { kk[d] = k[kBase + d]; vv[d] = v[kBase + d]; }
    let group = p.Hq / p.Hkv;
    // Query row i (absolute position i + Tk - Tq) sees key j when i + Tk - Tq >= j.
    let offset = p.Tk - p.Tq;
    var first = 0u;
    if (j > offset) { first = j - offset; }
    for (var h = kh * group; h < (kh + 1u) * group; h++) {
      for (var i = first; i < p.Tq; i++) {
        let qBase = ((b * p.Tq + i) * p.Hq + h) * D;
        let srow = ((b * p.Hq + h) * p.Tq + i) * 2u;
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < D; d++) { s = fma(q[qBase + d], kk[d], s); dp = fma(dout[qBase + d], vv[d], dp); }
        let pij = exp(s * p.scale - stats[srow]);
        let ds = pij * (dp - stats[srow + 1u]) * p.scale;
        for (var d = 0u; d < D; d++) {
          gv[d] = fma(pij, dout[qBase + d], gv[d]);
          gk[d] = fma(ds, q[qBase + d], gk[d]);
        }
      }
    }
  }
  for (var d = 0u; d < D; d++) { dk[kBase + d] = gk[d]; dv[kBase + d] = gv[d]; }
}
