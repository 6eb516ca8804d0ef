// RMSNorm backward for the input: with g = w * dy and xh = x * rstd, dx = rstd * (g - xh * mean(g * xh)).
// With acc = 1 the result is added to dx (the input's gradient from its other uses, e.g. the residual stream).
// Two layouts, by p.perRow, as the forward (rmsnorm.wgsl): 0 = one workgroup of 64 per row; 1 = one invocation per
// row, 64 rows a workgroup (rows of up to 64 values: the tiny model's hidden rows and Qwen3's per-head q/k norms).
// bindings: 0 params; 1 x: (rows, C) f32; 2 w: (C) f32; 3 dy: (rows, C) f32; 4 rstd: (rows) f32; 5 dx: (rows, C) f32
struct Params { rows: u32, C: u32, acc: u32, perRow: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
var<workgroup> sh: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let group = wg.y * nwg.x + wg.x;
  if (p.perRow == 1u) {
    let row = group * 64u + li;
    if (row < p.rows) {
      let base = row * p.C;
      let r = rstd[row];
      var acc = 0.0;
      for (var c = 0u; c < p.C; c++) { acc += w[c] * dy[base + c] * x[base + c] * r; }
      let m = acc / f32(p.C);
      for (var c = 0u; c < p.C; c++) {
        var v = r * (w[c] * dy[base + c] - x[base + c] * r * m);
        if (p.acc != 0u) { v += dx[base + c]; }
        dx[base + c] = v;
      }
    }
    return;
  }
  let row = group;
  if (row >= p.rows) { return; }
  let base = row * p.C;
  let r = rstd[row];
  var acc = 0.0;
  for (var c = li; c < p.C; c += 64u) { acc += w[c] * dy[base + c] * x[base + c] * r; }
  sh[li] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) { sh[li] += sh[li + s]; }
    workgroupBarrier();
  }
  let m = sh[0] / f32(p.C);
  for (var c = li; c < p.C; c += 64u) {
    var v = r * (w[c] * dy[base + c] - x[base + c] * r * m);
    if (p.acc != 0u) { v += dx[base + c]; }
    dx[base + c] = v;
  }
}
