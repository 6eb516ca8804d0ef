// Affine map then clamp, elementwise: y = clamp(a * x + b, lo, hi) (lo / hi may be ±3.4e38: no bound).
// The building block of clipped objectives (PPO/GRPO ratio clipping, clipped value loss) and of x + constant.
// mode 0: forward y; mode 1: backward dx = a * dy where lo <= a * x + b <= hi (torch.clamp passes the gradient
// on the boundary too), else 0.
// bindings: 0 params; 1 x: (n) f32; 2 dy: (n) f32 (mode 1; mode 0 binds x again); 3 out: (n) f32
struct Params { n: u32, mode: u32, a: f32, b: f32, lo: f32, hi: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.n) { return; }
  let z = p.a * x[i] + p.b;
  if (p.mode == 0u) {
    out[i] = min(max(z, p.lo), p.hi);
  } else {
    out[i] = select(0.0, p.a * dy[i], z >= p.lo && z <= p.hi);
  }
}
