// Rotary embedding of two tensors at the same positions in one dispatch (a layer's queries and keys), Qwen's
// rotate-half layout as in rope.wgsl: for i < D/2, with angle = pos * theta^(-2i/D),
//   out[i] = x[i] cos - x[i + D/2] sin,  out[i + D/2] = x[i + D/2] cos + x[i] sin;  sign = -1: the inverse (backward).
// Invocations 0 .. tokens*Ha*D/2 - 1 rotate a, the rest rotate b.
// bindings: 0 params; 1 a: (tokens, Ha, D) f32; 2 b: (tokens, Hb, D) f32; 3 cosT: (P, D/2) f32; 4 sinT: (P, D/2) f32;
//           5 pos: (tokens) u32; 6 outA: (tokens, Ha, D) f32; 7 outB: (tokens, Hb, D) f32
struct Params { tokens: u32, Ha: u32, Hb: u32, D: u32, sign: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> cosT: array<f32>;
@group(0) @binding(4) var<storage, read> sinT: array<f32>;
@group(0) @binding(5) var<storage, read> pos: array<u32>;
@group(0) @binding(6) var<storage, read_write> outA: array<f32>;
@group(0) @binding(7) var<storage, read_write> outB: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let half = p.D / 2u;
  let na = p.tokens * p.Ha * half;
  var i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= na + p.tokens * p.Hb * half) { return; }
  let inA = i < na;
  if (!inA) { i -= na; }
  let H = select(p.Hb, p.Ha, inA);
  let j = i % half;
  let th = i / half; // token * H + head
  let t = th / H;
  let base = th * p.D;
  let c = cosT[pos[t] * half + j];
  let s = p.sign * sinT[pos[t] * half + j];
  if (inA) {
    let x1 = a[base + j];
    let x2 = a[base + j + half];
    outA[base + j] = x1 * c - x2 * s;
    outA[base + j + half] = x2 * c + x1 * s;
  } else {
    let x1 = b[base + j];
    let x2 = b[base + j + half];
    outB[base + j] = x1 * c - x2 * s;
    outB[base + j + half] = x2 * c + x1 * s;
  }
}
