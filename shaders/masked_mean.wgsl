// Weighted mean to a scalar: out = sum x w / sum w (0 when sum w = 0), e.g. a per-token loss averaged over
// the tokens a mask selects. One workgroup, fixed summation order (deterministic).
// bindings: 0 params; 1 x: (n) f32; 2 w: (n) f32; 3 out: (2) f32 (mean, sum of weights)
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> shX: array<f32, 64>;
var<workgroup> shW: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32) {
  var a = 0.0;
  var c = 0.0;
  for (var i = li; i < p.n; i += 64u) { a = fma(x[i], w[i], a); c += w[i]; }
  shX[li] = a;
  shW[li] = c;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) { shX[li] += shX[li + s]; shW[li] += shW[li + s]; }
    workgroupBarrier();
  }
  if (li == 0u) {
    var mean = 0.0;
    if (shW[0] != 0.0) { mean = shX[0] / shW[0]; }
    out[0] = mean;
    out[1] = shW[0];
  }
}
