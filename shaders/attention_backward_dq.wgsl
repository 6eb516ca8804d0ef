// Attention backward, step 2: dQ for one (batch, head, query row) per invocation, recomputing the
// probabilities from the saved logsumexp: ds_j = p_j (dO·v_j - delta), dq = scale * sum_j ds_j k_j.
// Template: {{HEAD_DIM}} filled in by src/engine/kernels/attention-kernel.ts.
// bindings: 0 params; 1 q: (B, Tq, Hq, D); 2 k: (B, S, Hkv, D); 3 v: (B, S, Hkv, D); 4 mask: (B, S) u32;
//           5 dout: (B, Tq, Hq, D); 6 stats: (B, Hq, Tq, 2) (lse, delta); 7 dq: (B, Tq, Hq, D)
const D: u32 = {{HEAD_DIM}}u;
struct Params { B: u32, Tq: u32, Tk: u32, S: u32, Hq: u32, Hkv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;
@group(0) @binding(2) var<storage, read> k: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> mask: array<u32>;
@group(0) @binding(5) var<storage, read> dout: array<f32>;
@group(0) @binding(6) var<storage, read> stats: array<f32>;
@group(0) @binding(7) var<storage, read_write> dq: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let idx = (wg.y * nwg.x + wg.x) * 64u + li;
  if (idx >= p.B * p.Hq * p.Tq) { return; }
  let t = idx % p.Tq;
  let h = (idx / p.Tq) % p.Hq;
  let b = idx / (p.Tq * p.Hq);
  let kh = h / (p.Hq / p.Hkv);
  let qBase = ((b * p.Tq + t) * p.Hq + h) * D;
  let srow = ((b * p.Hq + h) * p.Tq + t) * 2u;
  let lse = stats[srow];
  let delta = stats[srow + 1u];
  var qs: array<f32, D>;
  var g: array<f32, D>;
  var acc: array<f32, D>;
  for (var d = 0u; d < D; d++) { qs[d] = q[qBase + d] * p.scale; g[d] = dout[qBase + d]; }
  let last = t + p.Tk - p.Tq;
  for (var j = 0u; j <= last; j++) {
    if (mask[b * p.S + j] == 0u) { continue; }
    let kBase = ((b * p.S + j) * p.Hkv + kh) * D;
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < D; d++) { s = fma(qs[d], k[kBase + d], s); dp = fma(g[d], v[kBase + d], dp); }
    let ds = exp(s - lse) * (dp - delta);
    for (var d = 0u; d < D; d++) { acc[d] = fma(ds, k[kBase + d], acc[d]); }
  }
  for (var d = 0u; d < D; d++) { dq[qBase + d] = acc[d] * p.scale; }
}
