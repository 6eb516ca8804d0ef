// Picks the next token of every row on the GPU, so a decode step reads back 8 bytes per row instead of V logits.
// One workgroup of 64 invocations per row of logits z (V values):
//   greedy (temperature 0): the first index of max z; its log-prob under softmax(z).
//   sampling: s = (z - max z) / temperature; keep the top-k tokens (all ties of the k-th value kept, as
//     transformers' TopKLogitsWarper does), then the top-p nucleus over the renormalised kept set (a token stays
//     while the mass of tokens above it is < top_p, as TopPLogitsWarper does; ties of one value stay or go
//     together); draw by Gumbel-max (argmax of s + Gumbel noise) with noise from a counter-based hash of
//     (seed, counter, row, token), so the same seed and counter give the same token on any device.
//   The log-prob returned is that of the chosen token under the full temperature-scaled distribution
//   log softmax(s) (what a teacher-forced recompute with logits / temperature gives, as TRL computes it).
// Thresholds are found exactly by building the threshold's 32-bit order key bit by bit (32 counting passes).
// bindings: 0 params; 1 logits: (rows, V) f32; 2 out: (rows, 2) u32 = (token id, bitcast f32 log-prob)
struct Params { rows: u32, V: u32, topK: u32, greedy: u32, invTemp: f32, topP: f32, seed: u32, counter: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
var<workgroup> shF: array<f32, 64>;
var<workgroup> shG: array<f32, 64>;
var<workgroup> shU: array<u32, 64>;

/** Order-preserving map of f32 to u32: a < b as floats iff key(a) < key(b) (no NaNs in logits). */
fn orderKey(z: f32) -> u32 {
  let b = bitcast<u32>(z);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

/** PCG hash (Jarzynski & Olano 2020, "Hash Functions for GPU Rendering"). */
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

fn gumbel(row: u32, i: u32) -> f32 {
  let h = pcg(i + pcg(row + pcg(p.counter + pcg(p.seed))));
  let u = (f32(h >> 8u) + 0.5) / 16777216.0; // in (0, 1)
  return -log(-log(u));
}

fn sumF(li: u32, v: f32) -> f32 {
  shF[li] = v;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (li < w) { shF[li] = shF[li] + shF[li + w]; }
    workgroupBarrier();
  }
  // A uniform value: the caller may branch on it around barriers.
  let r = workgroupUniformLoad(&shF[0]);
  workgroupBarrier();
  return r;
}

fn sumU(li: u32, v: u32) -> u32 {
  shU[li] = v;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (li < w) { shU[li] = shU[li] + shU[li + w]; }
    workgroupBarrier();
  }
  let r = workgroupUniformLoad(&shU[0]);
  workgroupBarrier();
  return r;
}

/** Max of v over the workgroup, with the lowest index on ties. */
fn argmaxF(li: u32, v: f32, idx: u32) -> u32 {
  shG[li] = v;
  shU[li] = idx;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w >>= 1u) {
    if (li < w) {
      let a = shG[li];
      let b = shG[li + w];
      if (b > a || (b == a && shU[li + w] < shU[li])) {
        shG[li] = b;
        shU[li] = shU[li + w];
      }
    }
    workgroupBarrier();
  }
  let r = shU[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.y * nwg.x + wg.x;
  if (row >= p.rows) { return; } // whole workgroups leave together: barriers stay uniform
  let base = row * p.V;
  let scale = select(p.invTemp, 1.0, p.greedy == 1u);

  // Max of z (and its first index, the greedy choice).
  var m = -3.0e38;
  var mi = 0xffffffffu;
  for (var c = li; c < p.V; c += 64u) {
    let z = logits[base + c];
    if (z > m) { m = z; mi = c; }
  }
  let best = argmaxF(li, m, mi);
  let zmax = logits[base + best];
  // log-sum-exp of s = (z - max) · scale over the whole vocabulary: the log-prob's normaliser.
  var part = 0.0;
  for (var c = li; c < p.V; c += 64u) { part += exp((logits[base + c] - zmax) * scale); }
  let lse = log(sumF(li, part));
  if (p.greedy == 1u) {
    if (li == 0u) {
      out[row * 2u] = best;
      out[row * 2u + 1u] = bitcast<u32>(-lse);
    }
    return;
  }

  // Top-k: the order key of the k-th largest logit, built from the most significant bit down.
  var kKey = 0u;
  if (p.topK > 0u && p.topK < p.V) {
    for (var bit = 31i; bit >= 0i; bit--) {
      let cand = kKey | (1u << u32(bit));
      var n = 0u;
      for (var c = li; c < p.V; c += 64u) { n += select(0u, 1u, orderKey(logits[base + c]) >= cand); }
      if (sumU(li, n) >= p.topK) { kKey = cand; }
    }
  }

  // Top-p over the kept set, renormalised: the largest key M with mass(key > M) >= top_p; keep key > M.
  // (If rounding leaves no such M, pKey stays 0 and every top-k token is kept.)
  var pKey = 0u;
  let pActive = p.topP < 1.0;
  if (pActive) {
    var zk = 0.0;
    for (var c = li; c < p.V; c += 64u) {
      let z = logits[base + c];
      if (orderKey(z) >= kKey) { zk += exp((z - zmax) * scale); }
    }
    let need = p.topP * sumF(li, zk);
    for (var bit = 31i; bit >= 0i; bit--) {
      let cand = pKey | (1u << u32(bit));
      var mass = 0.0;
      for (var c = li; c < p.V; c += 64u) {
        let z = logits[base + c];
        let k = orderKey(z);
        if (k >= kKey && k > cand) { mass += exp((z - zmax) * scale); }
      }
      if (sumF(li, mass) >= need) { pKey = cand; }
    }
  }

  // Gumbel-max over the kept tokens.
  var g = -3.0e38;
  var gi = 0xffffffffu;
  for (var c = li; c < p.V; c += 64u) {
    let z = logits[base + c];
    let k = orderKey(z);
    if (k >= kKey && (!pActive || k > pKey)) {
      let v = (z - zmax) * scale + gumbel(row, c);
      if (v > g) { g = v; gi = c; }
    }
  }
  let tok = argmaxF(li, g, gi);
  if (li == 0u) {
    out[row * 2u] = tok;
    out[row * 2u + 1u] = bitcast<u32>((logits[base + tok] - zmax) * scale - lse);
  }
}
