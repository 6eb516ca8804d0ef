// Statistics of a batch of preference pairs' rewards, with TRL's RewardTrainer names: accuracy = mean(r_c > r_r)
// (a tie counts as wrong), margin = mean(r_c − r_r), and min / mean / max over all 2n rewards. Not differentiable:
// they are logged with the loss. One workgroup, fixed summation order (deterministic).
// bindings: 0 params; 1 chosen: (n) f32; 2 rejected: (n) f32; 3 out: (5) f32 [accuracy, margin, min, mean, max]
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> chosen: array<f32>;
@group(0) @binding(2) var<storage, read> rejected: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
var<workgroup> shWins: array<f32, 64>;
var<workgroup> shDiff: array<f32, 64>;
var<workgroup> shSum: array<f32, 64>;
var<workgroup> shMin: array<f32, 64>;
var<workgroup> shMax: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) li: u32) {
  var wins = 0.0;
  var diff = 0.0;
  var sum = 0.0;
  var lo = 3.4028234663852886e38;
  var hi = -3.4028234663852886e38;
  for (var i = li; i < p.n; i += 64u) {
    let c = chosen[i];
    let r = rejected[i];
    wins += select(0.0, 1.0, c > r);
    diff += c - r;
    sum += c + r;
    lo = min(lo, min(c, r));
    hi = max(hi, max(c, r));
  }
  shWins[li] = wins;
  shDiff[li] = diff;
  shSum[li] = sum;
  shMin[li] = lo;
  shMax[li] = hi;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s >>= 1u) {
    if (li < s) {
      shWins[li] += shWins[li + s];
      shDiff[li] += shDiff[li + s];
      shSum[li] += shSum[li + s];
      shMin[li] = min(shMin[li], shMin[li + s]);
      shMax[li] = max(shMax[li], shMax[li + s]);
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    let n = f32(p.n);
    out[0] = shWins[0] / n;
    out[1] = shDiff[0] / n;
    out[2] = shMin[0];
    out[3] = shSum[0] / (2.0 * n);
    out[4] = shMax[0];
  }
}
