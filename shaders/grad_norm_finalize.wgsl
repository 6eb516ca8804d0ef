// Global gradient norm from the partial sums of squares, the clip coefficient and the step's non-finite flag.
// Stays on the GPU: AdamW reads info to scale gradients and to skip a step whose gradients hold NaN/Inf.
// bindings: 0 params; 1 partials: (count, 2) f32; 2 info: (4) f32 (norm, clip coefficient, non-finite flag, 0)
struct Params { count: u32, maxNorm: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> info: array<f32>;
var<workgroup> shS: array<f32, 64>;
var<workgroup> shB: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32) {
  var s = 0.0;
  var bad = 0.0;
  for (var i = li; i < p.count; i += 64u) { s += partials[i * 2u]; bad = max(bad, partials[i * 2u + 1u]); }
  shS[li] = s;
  shB[li] = bad;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (li < w) { shS[li] += shS[li + w]; shB[li] = max(shB[li], shB[li + w]); }
    workgroupBarrier();
  }
  if (li == 0u) {
    let total = shS[0];
    var flag = shB[0];
    // A sum of finite squares can still overflow f32: that step is flagged too.
    if ((bitcast<u32>(total) & 0x7f800000u) == 0x7f800000u) { flag = 1.0; }
    let norm = sqrt(total);
    var clip = 1.0;
    if (p.maxNorm > 0.0 && norm > p.maxNorm) { clip = p.maxNorm / (norm + 1e-6); }
    info[0] = norm;
    info[1] = clip;
    info[2] = flag;
    info[3] = 0.0;
  }
}
