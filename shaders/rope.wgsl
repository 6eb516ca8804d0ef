// Rotary embedding, Qwen's rotate-half layout: for i < D/2, with angle = pos * theta^(-2i/D),
//   out[i] = x[i] cos - x[i + D/2] sin,  out[i + D/2] = x[i + D/2] cos + x[i] sin.
// sign = -1 applies the inverse rotation (the backward pass). cos/sin come from a float64 table made on the CPU.
// bindings: 0 params; 1 x: (tokens, H, D) f32; 2 cosT: (P, D/2) f32; 3 sinT: (P, D/2) f32; 4 pos: (tokens) u32; 5 out: (tokens, H, D) f32
struct Params { tokens: u32, H: u32, D: u32, sign: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> cosT: array<f32>;
@group(0) @binding(3) var<storage, read> sinT: array<f32>;
@group(0) @binding(4) var<storage, read> pos: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let half = p.D / 2u;
  let i = (wg.y * nwg.x + wg.x) * 64u + li;
  if (i >= p.tokens * p.H * half) { return; }
  let j = i % half;
  let th = i / half; // token * H + head
  let t = th / p.H;
  let base = th * p.D;
  let c = cosT[pos[t] * half + j];
  let s = p.sign * sinT[pos[t] * half + j];
  let x1 = x[base + j];
  let x2 = x[base + j + half];
  out[base + j] = x1 * c - x2 * s;
  out[base + j + half] = x2 * c + x1 * s;
}
