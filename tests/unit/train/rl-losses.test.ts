// The RL math against float64: GRPO's group advantages, GAE and returns, masked whitening, the k1 / k3 KL
// estimators, each GRPO loss type's token weights against TRL's formulas, and the GRPO and PPO objectives on the GPU
// (value and gradients) against float64 references whose gradients are checked by finite differences.
import { describe, expect, it } from 'vitest';
import { Tensor, startTape } from '../../../src/engine/index.ts';
import { gae, groupAdvantages, klEstimate, maskedWhiten } from '../../../src/train/advantages.ts';
import { grpoTokenWeights } from '../../../src/train/grpo.ts';
import type { GrpoConfig } from '../../../src/train/grpo-config.ts';
import { grpoObjective, ppoObjective } from '../../../src/train/policy-loss.ts';
import type { RlBatch, RolloutEpisode } from '../../../src/train/rl-batch.ts';
import { Rng } from '../../../src/util/rng.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { finiteDiffErr, relErr, testEngine } from '../engine/check.ts';

const rng = new Rng(77);
const normal = (n: number, s = 1) => Array.from({ length: n }, () => rng.normal() * s);

describe('advantages in float64', () => {
  it('group advantages: (r - group mean) / (std + 1e-4), with the group, batch or no std; zero-std groups flagged', () => {
    const r = [1, 0, 0, 1, 0.5, 0.5, 0.5, 0.5, 2, -1, 0.25, 3];
    const G = 4;
    for (const scale of ['group', 'batch', 'none'] as const) {
      const { advantages, std, zeroStd } = groupAdvantages(r, G, scale);
      const allMean = r.reduce((a, b) => a + b, 0) / r.length;
      const allStd = Math.sqrt(r.reduce((s, x) => s + (x - allMean) ** 2, 0) / (r.length - 1));
      for (let g = 0; g < r.length / G; g++) {
        const grp = r.slice(g * G, g * G + G);
        const m = grp.reduce((a, b) => a + b, 0) / G;
        const s = Math.sqrt(grp.reduce((acc, x) => acc + (x - m) ** 2, 0) / (G - 1));
        for (let i = 0; i < G; i++) {
          const want = scale === 'none' ? grp[i] - m : (grp[i] - m) / ((scale === 'group' ? s : allStd) + 1e-4);
          expect(advantages[g * G + i]).toBeCloseTo(want, 12);
          expect(std[g * G + i]).toBeCloseTo(scale === 'batch' ? allStd : s, 12);
        }
      }
      if (scale !== 'batch') expect(zeroStd).toEqual([false, false, false, false, true, true, true, true, false, false, false, false]);
    }
    expect(() => groupAdvantages([1, 2, 3], 2, 'group')).toThrow(/not groups of 2/);
  });

  it('GAE equals the direct sum A_t = Σ_l (γλ)^l δ_(t+l), and returns are A + V', () => {
    const n = 9;
    const rewards = normal(n);
    const values = normal(n);
    for (const [gamma, lam] of [[1, 0.95], [0.9, 0.5], [0.99, 1], [1, 0]]) {
      const { advantages, returns } = gae(rewards, values, gamma, lam);
      const delta = rewards.map((r, t) => r + gamma * (t + 1 < n ? values[t + 1] : 0) - values[t]);
      for (let t = 0; t < n; t++) {
        let a = 0;
        for (let l = 0; t + l < n; l++) a += (gamma * lam) ** l * delta[t + l];
        expect(advantages[t]).toBeCloseTo(a, 12);
        expect(returns[t]).toBeCloseTo(a + values[t], 12);
      }
    }
  });

  it('masked whitening: zero mean and unit (unbiased) variance over the mask, the mean kept when asked', () => {
    const x = normal(20, 3).map((v) => v + 5);
    const mask = x.map((_, i) => (i % 3 === 0 ? 0 : 1));
    const w = maskedWhiten(x, mask);
    const on = Array.from(w).filter((_, i) => mask[i]);
    const m = on.reduce((a, b) => a + b, 0) / on.length;
    const v = on.reduce((s, y) => s + (y - m) ** 2, 0) / (on.length - 1);
    expect(m).toBeCloseTo(0, 10);
    expect(v).toBeCloseTo(1, 6);
    expect(Array.from(w).filter((_, i) => !mask[i]).every((y) => y === 0)).toBe(true);
    const kept = Array.from(maskedWhiten(x, mask, false)).filter((_, i) => mask[i]);
    const xm = x.filter((_, i) => mask[i]).reduce((a, b) => a + b, 0) / on.length;
    expect(kept.reduce((a, b) => a + b, 0) / kept.length).toBeCloseTo(xm, 10);
  });

  it('k1 and k3 are unbiased estimators of KL(π || π_ref) under samples of π; k3 is never negative', () => {
    for (let trial = 0; trial < 5; trial++) {
      const soft = (z: number[]) => {
        const m = Math.max(...z);
        const e = z.map((v) => Math.exp(v - m));
        const s = e.reduce((a, b) => a + b, 0);
        return e.map((v) => v / s);
      };
      const p = soft(normal(7, 1.5));
      const q = soft(normal(7, 1.5));
      const kl = p.reduce((s, pi, i) => s + pi * Math.log(pi / q[i]), 0);
      const e1 = p.reduce((s, pi, i) => s + pi * klEstimate(Math.log(pi), Math.log(q[i]), 'k1'), 0);
      const e3 = p.reduce((s, pi, i) => s + pi * klEstimate(Math.log(pi), Math.log(q[i]), 'k3'), 0);
      expect(e1).toBeCloseTo(kl, 12);
      expect(e3).toBeCloseTo(kl, 12);
      for (let i = 0; i < 7; i++) expect(klEstimate(Math.log(p[i]), Math.log(q[i]), 'k3')).toBeGreaterThanOrEqual(0);
    }
  });
});

/** A rollout of `lens` episodes' policy-token counts (their tokens do not matter to the weights). */
function fakeRollout(lens: number[], truncated: boolean[]): RolloutEpisode[] {
  return lens.map((n, i) => ({ tokens: new Int32Array(n + 1), positions: Int32Array.from({ length: n }, (_, k) => k + 1), oldLogp: new Float32Array(n), advantages: new Float32Array(n), truncated: truncated[i] }));
}

describe('GRPO loss types: token weights reproduce TRL\'s aggregation', () => {
  const lens = [3, 5, 1, 4, 2, 6];
  const truncated = [false, true, false, false, true, false];
  const plan = [[0, 1], [2, 3], [4, 5]];
  const losses = lens.map((n) => normal(n));
  /** Σ over micro-batches of (their weighted loss / gas): what the shared loop's accumulation gives. */
  function viaWeights(lossType: GrpoConfig['loss_type'], gas: number, maskTrunc: boolean): number[] {
    const c = { loss_type: lossType, mask_truncated_completions: maskTrunc, max_completion_length: 8, max_turns: 2, gradient_accumulation_steps: gas };
    const rollout = fakeRollout(lens, truncated);
    const perStep: number[] = [];
    plan.forEach((mb, k) => {
      const w = grpoTokenWeights(c, rollout, plan, k);
      const mbLoss = mb.reduce((s, e) => s + losses[e].reduce((a, l, t) => a + w(e, t) * l, 0), 0);
      const step = Math.floor(k / gas);
      perStep[step] = (perStep[step] ?? 0) + mbLoss / gas;
    });
    return perStep;
  }
  /** TRL's formulas per micro-batch (grpo, bnpo, dr_grpo, averaged by accumulation) or per step (dapo). */
  function trl(lossType: string, gas: number, maskTrunc: boolean): number[] {
    const m = (e: number) => (maskTrunc && truncated[e] ? 0 : 1);
    const perStep: number[] = [];
    for (let s = 0; s * gas < plan.length; s++) {
      const mbs = plan.slice(s * gas, s * gas + gas);
      if (lossType === 'dapo') {
        let num = 0, den = 0;
        for (const mb of mbs) for (const e of mb) (num += m(e) * losses[e].reduce((a, b) => a + b, 0)), (den += m(e) * lens[e]);
        perStep[s] = num / Math.max(den, 1);
        continue;
      }
      let acc = 0;
      for (const mb of mbs) {
        const sums = mb.map((e) => m(e) * losses[e].reduce((a, b) => a + b, 0));
        const counts = mb.map((e) => m(e) * lens[e]);
        if (lossType === 'grpo') acc += sums.reduce((a, x, i) => a + x / Math.max(counts[i], 1), 0) / mb.length;
        else if (lossType === 'bnpo') acc += sums.reduce((a, b) => a + b, 0) / Math.max(counts.reduce((a, b) => a + b, 0), 1);
        else acc += sums.reduce((a, b) => a + b, 0) / (mb.length * 8 * 2);
      }
      perStep[s] = acc / gas;
    }
    return perStep;
  }
  for (const lossType of ['grpo', 'bnpo', 'dr_grpo', 'dapo'] as const)
    for (const gas of [1, 3])
      for (const maskTrunc of [false, true])
        it(`${lossType}, gradient_accumulation_steps ${gas}, mask_truncated_completions ${maskTrunc}`, () => {
          const got = viaWeights(lossType, gas, maskTrunc);
          const want = trl(lossType, gas, maskTrunc);
          expect(got.length).toBe(want.length);
          got.forEach((g, i) => expect(g).toBeCloseTo(want[i], 12));
        });
});

/** A fixed batch of N policy tokens (no model: the objectives take the log-probs as input). */
function lossBatch(N: number): RlBatch {
  const f = (xs: number[]) => Float32Array.from(xs);
  return {
    B: 1, T: N + 1, ids: new Int32Array(N + 1), attention: new Uint8Array(N + 1).fill(1), rows: Uint32Array.from({ length: N }, (_, i) => i), targets: new Uint32Array(N),
    oldLogp: f(normal(N, 0.5).map((v) => v - 2)), refLogp: f(normal(N, 0.5).map((v) => v - 2)), advantages: f(normal(N)),
    oldValues: f(normal(N)), returns: f(normal(N)), weights: f(Array.from({ length: N }, (_, i) => (i % 5 === 4 ? 0 : 0.1 + (i % 3) * 0.05))),
    episodes: [0], realTokens: N + 1,
  };
}

/** float64 GRPO objective Σ w · (-min(r A, clip(r) A) + beta k3) and its gradient in logp. */
function grpoRef(logp: Float64Array, b: RlBatch, eLo: number, eHi: number, beta: number) {
  let loss = 0;
  const grad = new Float64Array(logp.length);
  logp.forEach((lp, i) => {
    const r = Math.exp(lp - b.oldLogp[i]);
    const A = b.advantages[i];
    const rc = Math.min(Math.max(r, 1 - eLo), 1 + eHi);
    const u = r * A;
    const c = rc * A;
    let per = -Math.min(u, c);
    // d/dlogp: the unclipped branch gives -A r; the clipped one -A r only inside the clip range; ties split (torch).
    const du = -A * r;
    const dc = r >= 1 - eLo && r <= 1 + eHi ? -A * r : 0;
    let d = u < c ? du : c < u ? dc : (du + dc) / 2;
    if (beta) {
      const x = b.refLogp![i] - lp;
      per += beta * (Math.exp(x) - x - 1);
      d += beta * (-Math.exp(x) + 1);
    }
    loss += b.weights[i] * per;
    grad[i] = b.weights[i] * d;
  });
  return { loss, grad };
}

/** float64 PPO objective: masked means of max(-A r, -A clip(r)) and ½ max((v - R)², (clip(v) - R)²), pg + vf_coef · vf. */
function ppoRef(logp: Float64Array, v: Float64Array, b: RlBatch, c: number, cv: number, vfCoef: number) {
  const N = logp.length;
  const wsum = b.weights.reduce((a, x) => a + x, 0);
  let pg = 0, vf = 0;
  const dlogp = new Float64Array(N);
  const dv = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const w = b.weights[i] / wsum;
    const r = Math.exp(logp[i] - b.oldLogp[i]);
    const A = b.advantages[i];
    const l1 = -A * r;
    const rc = Math.min(Math.max(r, 1 - c), 1 + c);
    const l2 = -A * rc;
    pg += w * Math.max(l1, l2);
    const d1 = -A * r;
    const d2 = r >= 1 - c && r <= 1 + c ? -A * r : 0;
    dlogp[i] = w * (l1 > l2 ? d1 : l2 > l1 ? d2 : (d1 + d2) / 2);
    const vo = b.oldValues![i];
    const R = b.returns![i];
    const vc = vo + Math.min(Math.max(v[i] - vo, -cv), cv);
    const s1 = (v[i] - R) ** 2;
    const s2 = (vc - R) ** 2;
    vf += 0.5 * w * Math.max(s1, s2);
    const g1 = 2 * (v[i] - R);
    const g2 = Math.abs(v[i] - vo) <= cv ? 2 * (vc - R) : 0;
    dv[i] = 0.5 * w * vfCoef * (s1 > s2 ? g1 : s2 > s1 ? g2 : (g1 + g2) / 2);
  }
  return { loss: pg + vfCoef * vf, pg, vf, dlogp, dv };
}

describe('float64 references of the RL objectives: gradients vs finite differences', () => {
  it('GRPO (with clipping on both sides and the k3 term) and PPO (policy and value clipping)', () => {
    const b = lossBatch(23);
    const logp = Float64Array.from(b.oldLogp, (v, i) => v + (i % 4 === 0 ? 0.5 : i % 4 === 1 ? -0.5 : 0.05 * rng.normal()));
    const g = grpoRef(logp, b, 0.2, 0.28, 0.04);
    expect(finiteDiffErr((x) => grpoRef(x, b, 0.2, 0.28, 0.04).loss, logp, g.grad, rng, 23)).toBeLessThan(1e-6);
    const v = Float64Array.from(b.oldValues!, (x, i) => x + (i % 3 === 0 ? 0.6 : 0.05));
    const p = ppoRef(logp, v, b, 0.2, 0.2, 0.1);
    expect(finiteDiffErr((x) => ppoRef(x, v, b, 0.2, 0.2, 0.1).loss, logp, p.dlogp, rng, 23)).toBeLessThan(1e-6);
    expect(finiteDiffErr((x) => ppoRef(logp, x, b, 0.2, 0.2, 0.1).loss, v, p.dv, rng, 23)).toBeLessThan(1e-6);
  });
});

describe.each(testAdapters())('RL objectives on %s', (adapter) => {
  async function run(fn: (e: Awaited<ReturnType<typeof testEngine>>, lp: Tensor, v: Tensor) => Tensor, logp: Float64Array, values: Float64Array) {
    const e = await testEngine(adapter);
    const lp = e.param(Float32Array.from(logp), [logp.length], 'logp');
    const v = e.param(Float32Array.from(values), [values.length], 'values');
    const tape = startTape(e);
    const loss = fn(e, lp, v);
    const lossP = loss.readLater();
    tape.backward(loss);
    const [gl, gv] = [lp.grad?.readLater(), v.grad?.readLater()];
    e.flush();
    const out = { loss: (await lossP)[0], dlogp: gl ? await gl : null, dv: gv ? await gv : null };
    tape.dispose();
    return out;
  }

  it('the GRPO objective and its gradient equal float64 (clipped low and high, k3 term, zero-weight tokens)', async () => {
    const b = lossBatch(37);
    const logp = Float64Array.from(b.oldLogp, (v, i) => Math.fround(v + (i % 4 === 0 ? 0.5 : i % 4 === 1 ? -0.5 : 0.05 * rng.normal())));
    for (const beta of [0, 0.04]) {
      const c = { epsilonLow: 0.2, epsilonHigh: 0.28, beta, temperature: 1 };
      const got = await run((e, lp) => grpoObjective(e, lp, b, c), logp, new Float64Array(37));
      const ref = grpoRef(logp, b, 0.2, 0.28, beta);
      expect(Math.abs(got.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-5);
      expect(relErr(got.dlogp!, ref.grad)).toBeLessThan(1e-5);
      expect(ref.grad.filter((x) => x === 0).length).toBeGreaterThan(5); // clipped and zero-weight tokens
    }
  });

  it('the PPO objective and its gradients in logp and values equal float64', async () => {
    const b = lossBatch(41);
    const logp = Float64Array.from(b.oldLogp, (v, i) => Math.fround(v + (i % 4 === 0 ? 0.5 : i % 4 === 1 ? -0.5 : 0.05 * rng.normal())));
    const values = Float64Array.from(b.oldValues!, (x, i) => Math.fround(x + (i % 3 === 0 ? 0.6 : i % 3 === 1 ? -0.45 : 0.05)));
    const c = { cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1, temperature: 1 };
    const got = await run((e, lp, v) => ppoObjective(e, lp, v, b, c).loss, logp, values);
    const ref = ppoRef(logp, values, b, 0.2, 0.2, 0.1);
    expect(Math.abs(got.loss - ref.loss) / Math.abs(ref.loss)).toBeLessThan(1e-5);
    expect(relErr(got.dlogp!, ref.dlogp)).toBeLessThan(1e-5);
    expect(relErr(got.dv!, ref.dv)).toBeLessThan(1e-5);
  });
});
