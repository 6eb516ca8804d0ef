// Same as sumsq.wgsl, reducing within subgroups first (used only when the device has the `subgroups` feature).
// bindings: 0 params; 1 x: (n) f32; 2 partials: (slots, 2) f32
enable subgroups;
struct Params { n: u32, slot0: u32, parts: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
var<workgroup> shS: array<f32, 64>;
var<workgroup> shB: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32,
        @builtin(subgroup_invocation_id) sgi: u32, @builtin(subgroup_size) sgs: u32) {
  var s = 0.0;
  var bad = 0.0;
  for (var i = wg.x * 64u + li; i < p.n; i += p.parts * 64u) {
    let v = x[i];
    if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u) { bad = 1.0; } else { s = fma(v, v, s); }
  }
  let ss = subgroupAdd(s);
  let sb = subgroupMax(bad);
  if (sgi == 0u) {
    shS[li / sgs] = ss;
    shB[li / sgs] = sb;
  }
  workgroupBarrier();
  if (li == 0u) {
    var ts = 0.0;
    var tb = 0.0;
    for (var g = 0u; g < (64u + sgs - 1u) / sgs; g++) { ts += shS[g]; tb = max(tb, shB[g]); }
    partials[(p.slot0 + wg.x) * 2u] = ts;
    partials[(p.slot0 + wg.x) * 2u + 1u] = tb;
  }
}
