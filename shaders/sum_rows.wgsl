// Column sums of a row-major matrix: out[c] = sum_r x[r, c] (the gradient of a broadcast bias add).
// One invocation per column, rows summed in order (deterministic).
// bindings: 0 params; 1 x: (rows, cols) f32; 2 out: (cols) f32
struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let c = (wg.y * nwg.x + wg.x) * 64u + li;
  if (c >= p.cols) { return; }
  var acc = 0.0;
  for (var r = 0u; r < p.rows; r++) { acc += x[r * p.cols + c]; }
  out[c] = acc;
}
