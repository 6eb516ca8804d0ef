// Attention backward, step 1: delta = rowsum(dO * O) per (batch, head, query row), stored in slot 1 of the stats.
// Template: {{HEAD_DIM}} filled in by src/engine/kernels/attention-kernel.ts.
// bindings: 0 params; 1 o: (B, Tq, Hq, D) f32; 2 dout: (B, Tq, Hq, D) f32; 3 stats: (B, Hq, Tq, 2) f32
const D: u32 = {{HEAD_DIM}}u;
struct Params { B: u32, Tq: u32, Tk: u32, S: u32, Hq: u32, Hkv: u32, scale: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> o: array<f32>;
@group(0) @binding(2) var<storage, read> dout: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let idx = (wg.y * nwg.x + wg.x) * 64u + li;
  if (idx >= p.B * p.Hq * p.Tq) { return; }
  let t = idx % p.Tq;
  let h = (idx / p.Tq) % p.Hq;
  let b = idx / (p.Tq * p.Hq);
  let base = ((b * p.Tq + t) * p.Hq + h) * D;
  var acc = 0.0;
  for (var d = 0u; d < D; d++) { acc = fma(o[base + d], dout[base + d], acc); }
  stats[((b * p.Hq + h) * p.Tq + t) * 2u + 1u] = acc;
}
