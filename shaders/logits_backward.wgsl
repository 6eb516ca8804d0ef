// Gradient of a logits loss, streamed over (rows, V) from the saved statistics (no softmax is stored):
//   mode 0 (mean cross-entropy): dz = g / count * (softmax - onehot(t)), zero for ignored rows; g = gout[0], count = info[1]
//   mode 1 (target log-prob):    dz = g_r * (onehot(t) - softmax)
//   mode 2 (entropy):            dz = -g_r * softmax * (z - (lse - H))
// bindings: 0 params; 1 logits: (rows, V); 2 targets: (rows) u32; 3 stats: (rows, 3); 4 gout: (rows) or (1);
//           5 info: (2) (loss, count; any buffer in modes 1-2); 6 dlogits: (rows, V)
struct Params { rows: u32, V: u32, mode: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> gout: array<f32>;
@group(0) @binding(5) var<storage, read> info: array<f32>;
@group(0) @binding(6) var<storage, read_write> dlogits: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  // x walks the vocabulary in chunks of 64; y and z together index the row.
  let c = wg.x * 64u + li;
  let r = wg.z * nwg.y + wg.y;
  if (c >= p.V || r >= p.rows) { return; }
  let i = r * p.V + c;
  let z = logits[i];
  let lse = stats[r * 3u];
  let pr = exp(z - lse);
  let tgt = targets[r];
  var onehot = 0.0;
  if (c == tgt) { onehot = 1.0; }
  var g: f32;
  switch p.mode {
    case 0u: {
      if (tgt < p.V) { g = gout[0] / max(info[1], 1.0) * (pr - onehot); } else { g = 0.0; }
    }
    case 1u: {
      if (tgt < p.V) { g = gout[r] * (onehot - pr); } else { g = 0.0; }
    }
    default: {
      g = -gout[r] * pr * (z - (lse - stats[r * 3u + 2u]));
    }
  }
  dlogits[i] = g;
}
