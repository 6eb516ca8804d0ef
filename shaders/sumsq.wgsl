// Sum of squares and a non-finite flag of one tensor, as partial results of P workgroups (global grad norm, NaN/Inf check).
// Non-finite values are detected from their bits (WGSL does not promise that NaN survives arithmetic).
// bindings: 0 params; 1 x: (n) f32; 2 partials: (slots, 2) f32; workgroup w writes slot (slot0 + w): (sum x^2, 1 if any non-finite)
struct Params { n: u32, slot0: u32, parts: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
var<workgroup> shS: array<f32, 64>;
var<workgroup> shB: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  var bad = 0.0;
  for (var i = wg.x * 64u + li; i < p.n; i += p.parts * 64u) {
    let v = x[i];
    if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u) { bad = 1.0; } else { s = fma(v, v, s); }
  }
  shS[li] = s;
  shB[li] = bad;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (li < w) { shS[li] += shS[li + w]; shB[li] = max(shB[li], shB[li + w]); }
    workgroupBarrier();
  }
  if (li == 0u) {
    partials[(p.slot0 + wg.x) * 2u] = shS[0];
    partials[(p.slot0 + wg.x) * 2u + 1u] = shB[0];
  }
}
