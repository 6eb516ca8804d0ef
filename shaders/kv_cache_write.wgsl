// Writes new key (or value) rows into a static KV cache in one dispatch, for every batch row at once (a decode step
// would otherwise need one copy per batch row and tensor): cache[b, start + t] = fresh[b, t] for t < Tq.
// bindings: 0 params; 1 fresh: (B, Tq, W) f32; 2 cache: (B, S, W) f32  (W = kv heads * head_dim)
struct Params { B: u32, Tq: u32, S: u32, W: u32, start: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> fresh: array<f32>;
@group(0) @binding(2) var<storage, read_write> cache: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.B * p.Tq * p.W) { return; }
  let w = i % p.W;
  let bt = i / p.W;
  let t = bt % p.Tq;
  let b = bt / p.Tq;
  cache[(b * p.S + p.start + t) * p.W + w] = fresh[i];
}
