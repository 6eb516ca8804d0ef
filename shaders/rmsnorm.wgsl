// RMSNorm forward over rows of C: y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps).
// Per-head RMSNorm (Qwen3 q_norm/k_norm) is the same kernel on (tokens * heads, head_dim) rows.
// Two layouts, by p.perRow (src/engine/ops/rmsnorm.ts picks): 0 = one workgroup of 64 per row (long rows);
// 1 = one invocation per row, 64 rows a workgroup (rows of up to 64 values, where a workgroup would leave most lanes
// idle and pay six barriers a row). rstd is saved for the backward pass.
// bindings: 0 params; 1 x: (rows, C) f32; 2 w: (C) f32; 3 y: (rows, C) f32; 4 rstd: (rows) f32
struct Params { rows: u32, C: u32, eps: f32, perRow: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;
var<workgroup> sh: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let group = wg.y * nwg.x + wg.x;
  if (p.perRow == 1u) {
    let row = group * 64u + li;
    if (row < p.rows) {
      let base = row * p.C;
      var acc = 0.0;
      for (var c = 0u; c < p.C; c++) { let v = x[base + c]; acc += v * v; }
      let r = inverseSqrt(acc / f32(p.C) + p.eps);
      for (var c = 0u; c < p.C; c++) { y[base + c] = x[base + c] * r * w[c]; }
      rstd[row] = r;
    }
    return;
  }
  let row = group;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var acc = 0.0;
  for (var c = li; c < p.C; c += 64u) { let v = x[base + c]; acc += v * v; }
  sh[li] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) { sh[li] += sh[li + s]; }
    workgroupBarrier();
  }
  let r = inverseSqrt(sh[0] / f32(p.C) + p.eps);
  for (var c = li; c < p.C; c += 64u) { y[base + c] = x[base + c] * r * w[c]; }
  if (li == 0u) { rstd[row] = r; }
}
