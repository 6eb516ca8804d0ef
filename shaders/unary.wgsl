// Elementwise unary op: op 0: out = s * x (scale), 1: out = exp(x), 2: out = out + s * x (accumulate a gradient).
// bindings: 0 params; 1 x: (n) f32; 2 out: (n) f32
struct Params { n: u32, op: u32, s: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.n) { return; }
  switch p.op {
    case 0u: { out[i] = p.s * x[i]; }
    case 1u: { out[i] = exp(x[i]); }
    default: { out[i] = out[i] + p.s * x[i]; }
  }
}
