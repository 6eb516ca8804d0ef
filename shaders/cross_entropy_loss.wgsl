// Mean cross-entropy over the rows whose target is not ignored: loss = sum (lse - z_t) / count.
// One workgroup; each invocation sums a strided slice in order, then a fixed tree: deterministic.
// bindings: 0 params; 1 stats: (rows, 3) f32; 2 targets: (rows) u32; 3 out: (2) f32 (loss, count)
struct Params { rows: u32, V: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> shL: array<f32, 64>;
var<workgroup> shC: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32) {
  var l = 0.0;
  var c = 0.0;
  for (var r = li; r < p.rows; r += 64u) {
    if (targets[r] < p.V) {
      l += stats[r * 3u] - stats[r * 3u + 1u];
      c += 1.0;
    }
  }
  shL[li] = l;
  shC[li] = c;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (li < w) { shL[li] += shL[li + w]; shC[li] += shC[li + w]; }
    workgroupBarrier();
  }
  if (li == 0u) {
    out[0] = shL[0] / max(shC[0], 1.0);
    out[1] = shC[0];
  }
}
