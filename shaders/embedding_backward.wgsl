// Embedding scatter-add backward without atomics: the CPU groups token positions by id (CSR), and one
// invocation per (unique id, channel) sums its rows in order, so the result is deterministic.
// dTable must be zeroed before (rows of ids that do not occur stay zero).
// bindings: 0 params; 1 uniq: (U) u32 ids; 2 offsets: (U + 1) u32; 3 positions: (n) u32; 4 dy: (n, C) f32; 5 dTable: (V, C) f32
struct Params { U: u32, C: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> uniq: array<u32>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read> positions: array<u32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dTable: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.U * p.C) { return; }
  let u = i / p.C;
  let c = i % p.C;
  var acc = 0.0;
  for (var k = offsets[u]; k < offsets[u + 1u]; k++) { acc += dy[positions[k] * p.C + c]; }
  dTable[uniq[u] * p.C + c] = acc;
}
