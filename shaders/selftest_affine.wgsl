// Self-test kernel: y[i] = a * x[i] + b * i, proving the WebGPU path end to end (studio shell, GPU tests).
// Bindings:
//   0: params  uniform  { n: u32, a: f32, b: f32 }
//   1: x       storage  read        array<f32>, length n
//   2: y       storage  read_write  array<f32>, length n
struct Params { n: u32, a: f32, b: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) { return; }
  y[i] = params.a * x[i] + params.b * f32(i);
}
