// Elementwise minimum / maximum of two tensors of one shape (the pessimistic bound of PPO/GRPO's clipped surrogate).
// mode 0: y = min(a, b); 1: y = max(a, b);
// mode 2 / 3: backward of min / max, for one operand: out = dy * w, w = 1 where that operand is the chosen one,
// 0.5 on ties (torch.minimum / torch.maximum split the gradient evenly), else 0. `a` is the operand whose
// gradient is wanted, `b` the other.
// bindings: 0 params; 1 a: (n) f32; 2 b: (n) f32; 3 dy: (n) f32 (modes 2/3; modes 0/1 bind a again); 4 out: (n) f32
struct Params { n: u32, mode: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.n) { return; }
  let x = a[i];
  let y = b[i];
  switch p.mode {
    case 0u: { out[i] = min(x, y); }
    case 1u: { out[i] = max(x, y); }
    default: {
      let chosen = select(x > y, x < y, p.mode == 2u);
      out[i] = dy[i] * select(select(0.0, 1.0, chosen), 0.5, x == y);
    }
  }
}
