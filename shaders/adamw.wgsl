// AdamW update (decoupled weight decay, bias correction, f32 moments), reading the clip coefficient and the
// non-finite flag from info so clipping and skipping a bad step need no CPU round trip.
//   g = grad * clip; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2
//   w = w * (1 - lr wd) - lr * (m / bc1) / (sqrt(v / bc2) + eps), bc_i = 1 - b_i^t
// bindings: 0 params; 1 w: (n); 2 grad: (n); 3 m: (n); 4 v: (n); 5 info: (4) (norm, clip, flag, 0)
struct Params { n: u32, lr: f32, b1: f32, b2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> info: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.n || info[2] != 0.0) { return; }
  let g = grad[i] * info[1];
  let mi = p.b1 * m[i] + (1.0 - p.b1) * g;
  let vi = p.b2 * v[i] + (1.0 - p.b2) * g * g;
  m[i] = mi;
  v[i] = vi;
  w[i] = w[i] * (1.0 - p.lr * p.wd) - p.lr * (mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps);
}
