// RMSNorm forward with one invocation per row, for short rows (C <= 64, see src/engine/ops/rmsnorm.ts): the same
// y = x * rstd * w, rstd = 1 / sqrt(mean(x^2) + eps) as rmsnorm.wgsl, whose workgroup per row leaves most of its 64
// lanes idle on such rows (Qwen3's per-head q/k norms at head_dim 16) and pays six barriers a row.
// bindings: 0 params; 1 x: (rows, C) f32; 2 w: (C) f32; 3 y: (rows, C) f32; 4 rstd: (rows) f32
struct Params { rows: u32, C: u32, eps: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = (wg.y * nwg.x + wg.x) * 64u + li;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  var acc = 0.0;
  for (var c = 0u; c < p.C; c++) { let v = x[base + c]; acc += v * v; }
  let r = inverseSqrt(acc / f32(p.C) + p.eps);
  for (var c = 0u; c < p.C; c++) { y[base + c] = x[base + c] * r * w[c]; }
  rstd[row] = r;
}
