// Backward of the weighted mean: dx[i] = g * w[i] / sum w (0 when sum w = 0).
// bindings: 0 params; 1 w: (n) f32; 2 gout: (1) f32; 3 info: (2) f32 (mean, sum of weights); 4 dx: (n) f32
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> gout: array<f32>;
@group(0) @binding(3) var<storage, read> info: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.n) { return; }
  var g = 0.0;
  if (info[1] != 0.0) { g = gout[0] * w[i] / info[1]; }
  dx[i] = g;
}
