// Log-sigmoid, elementwise, in the numerically stable form log σ(x) = min(x, 0) − log1p(exp(−|x|)) (no overflow
// for large |x|, full precision near 0). The reward model's pairwise loss is −log σ(r_chosen − r_rejected − margin).
// mode 0: forward y = log σ(x); mode 1: backward dx = dy · σ(−x) (= dy · (1 − σ(x))), written stably.
// bindings: 0 params; 1 x: (n) f32; 2 dy: (n) f32 (mode 1; mode 0 binds x again); 3 out: (n) f32
struct Params { n: u32, mode: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

// log(1 + z) for z in (0, 1] without calling log (WGSL has no log1p, and CPU adapters' log near 1 has an absolute,
// not relative, error of ~2^-21: at z = 6e-6 that is 1% of the answer). log1p(z) = 2 atanh(s), s = z / (2 + z) <= 1/3,
// = 2 (s + s^3/3 + s^5/5 + ...): ten terms leave a relative error below (1/9)^10 / 21, under 1e-10.
fn log1p_unit(z: f32) -> f32 {
  let s = z / (2.0 + z);
  let s2 = s * s;
  var acc = 1.0 / 19.0;
  for (var k = 8; k >= 0; k--) { acc = 1.0 / f32(2 * k + 1) + s2 * acc; }
  return 2.0 * s * acc;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.n) { return; }
  let v = x[i];
  let t = exp(-abs(v)); // in (0, 1]: never overflows
  if (p.mode == 0u) {
    out[i] = min(v, 0.0) - log1p_unit(t);
  } else {
    // σ(−v) = t / (1 + t) for v >= 0, 1 / (1 + t) for v < 0.
    out[i] = dy[i] * select(1.0, t, v >= 0.0) / (1.0 + t);
  }
}
