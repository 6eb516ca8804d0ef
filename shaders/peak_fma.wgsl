// Peak f32 arithmetic of the device: each invocation runs 8 independent vec4 multiply-add chains
// (x = x * a + b) for `iters` rounds, so the ALUs, not memory, set the time. The benchmark divides the
// matmul's GFLOP/s by this one's to report "% of measured peak". Each chain writes its final sum so the
// compiler cannot drop the work; the CPU check in tests/unit/engine/peak-fma.test.ts replays it.
// Bindings:
//   0: params  uniform  { iters: u32, a: f32, b: f32 }
//   1: out     storage  read_write  array<f32>, one value per invocation
struct Params { iters: u32, a: f32, b: f32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= arrayLength(&out)) { return; }
  // Start values differ per invocation and per chain, so no two chains are the same expression.
  let s = f32(i % 1024u) * 0.0009765625;
  var x0 = vec4<f32>(s, s + 0.01, s + 0.02, s + 0.03);
  var x1 = x0 + vec4<f32>(0.1);
  var x2 = x0 + vec4<f32>(0.2);
  var x3 = x0 + vec4<f32>(0.3);
  var x4 = x0 + vec4<f32>(0.4);
  var x5 = x0 + vec4<f32>(0.5);
  var x6 = x0 + vec4<f32>(0.6);
  var x7 = x0 + vec4<f32>(0.7);
  let a = vec4<f32>(params.a);
  let b = vec4<f32>(params.b);
  for (var k = 0u; k < params.iters; k++) {
    x0 = fma(x0, a, b);
    x1 = fma(x1, a, b);
    x2 = fma(x2, a, b);
    x3 = fma(x3, a, b);
    x4 = fma(x4, a, b);
    x5 = fma(x5, a, b);
    x6 = fma(x6, a, b);
    x7 = fma(x7, a, b);
  }
  let t = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
  out[i] = t.x + t.y + t.z + t.w;
}
