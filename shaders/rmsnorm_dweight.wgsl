// RMSNorm backward for the weight: dw[c] = sum_r dy[r, c] * x[r, c] * rstd[r]; one invocation per column, rows in order.
// bindings: 0 params; 1 x: (rows, C) f32; 2 dy: (rows, C) f32; 3 rstd: (rows) f32; 4 dw: (C) f32
struct Params { rows: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let c = (wg.y * nwg.x + wg.x) * 64u + li;
  if (c >= p.C) { return; }
  var acc = 0.0;
  for (var r = 0u; r < p.rows; r++) { acc += dy[r * p.C + c] * x[r * p.C + c] * rstd[r]; }
  dw[c] = acc;
}
