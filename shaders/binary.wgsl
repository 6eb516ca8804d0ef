// Elementwise binary op with the second operand broadcast over rows: out[i] = a[i] (op) b[i % bn].
// op 0: add (residual add, bias add), 1: sub, 2: mul.
// bindings: 0 params; 1 a: (n) f32; 2 b: (bn) f32; 3 out: (n) f32
struct Params { n: u32, bn: u32, op: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.n) { return; }
  let x = a[i];
  let y = b[i % p.bn];
  var r: f32;
  switch p.op {
    case 0u: { r = x + y; }
    case 1u: { r = x - y; }
    default: { r = x * y; }
  }
  out[i] = r;
}
