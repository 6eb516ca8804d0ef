// Picks a per-row value from the logit statistics: mode 0: log-probability of the target (z_t - lse, 0 if ignored);
// mode 1: entropy.
// bindings: 0 params; 1 stats: (rows, 3) f32; 2 targets: (rows) u32; 3 out: (rows) f32
struct Params { rows: u32, V: u32, mode: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let r = (wg.y * nwg.x + wg.x) * 64u + li;
  if (r >= p.rows) { return; }
  if (p.mode == 0u) {
    if (targets[r] < p.V) { out[r] = stats[r * 3u + 1u] - stats[r * 3u]; } else { out[r] = 0.0; }
  } else {
    out[r] = stats[r * 3u + 2u];
  }
}
