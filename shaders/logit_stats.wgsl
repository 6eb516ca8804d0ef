// Per-row statistics of logits over a (possibly 152k) vocabulary in one streaming pass, without a softmax copy:
// lse = log sum exp z, the target's logit, and the entropy H = lse - sum softmax(z) z.
// Each of 64 invocations keeps an online (max, sum e^(z-max), sum z e^(z-max)) over a strided slice; the
// partial triples are then merged in workgroup memory. Targets equal to 0xFFFFFFFF are ignored (logit 0).
// bindings: 0 params; 1 logits: (rows, V) f32; 2 targets: (rows) u32; 3 stats: (rows, 3) f32 (lse, target logit, entropy)
struct Params { rows: u32, V: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
var<workgroup> shM: array<f32, 64>;
var<workgroup> shS: array<f32, 64>;
var<workgroup> shT: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.y * nwg.x + wg.x;
  if (row >= p.rows) { return; }
  let base = row * p.V;
  var m = -3.0e38;
  var s = 0.0;
  var tz = 0.0;
  for (var c = li; c < p.V; c += 64u) {
    let z = logits[base + c];
    if (z > m) {
      let f = exp(m - z);
      s = s * f;
      tz = tz * f;
      m = z;
    }
    let e = exp(z - m);
    s += e;
    tz = fma(z, e, tz);
  }
  shM[li] = m;
  shS[li] = s;
  shT[li] = tz;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (li < w) {
      let m1 = shM[li];
      let m2 = shM[li + w];
      let mm = max(m1, m2);
      let f1 = exp(m1 - mm);
      let f2 = exp(m2 - mm);
      shM[li] = mm;
      shS[li] = shS[li] * f1 + shS[li + w] * f2;
      shT[li] = shT[li] * f1 + shT[li + w] * f2;
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    let lse = shM[0] + log(shS[0]);
    let tgt = targets[row];
    var zt = 0.0;
    if (tgt < p.V) { zt = logits[base + tgt]; }
    stats[row * 3u] = lse;
    stats[row * 3u + 1u] = zt;
    stats[row * 3u + 2u] = lse - shT[0] / shS[0];
  }
}
