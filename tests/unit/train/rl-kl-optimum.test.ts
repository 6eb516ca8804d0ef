// With a KL term, where should the policy settle? On a categorical policy (free logits z over 6 actions, reward 1
// for action a), the trainers' objectives, as implemented (GPU sampling, group advantages / KL-penalised rewards,
// the GPU objectives, AdamW), must drive π(a) to the analytic KL-regularised optimum:
//   PPO, k1 penalty in the reward: maximises E[r] - β KL(π || π_ref), so π*(y) ∝ π_ref(y) e^(r(y)/β):
//     π*(a) = ref_a e^(1/β) / (ref_a e^(1/β) + 1 - ref_a).
//   GRPO, k3 term in the loss: its gradient is (1 - 1/G) ∇E[r] against β ∇KL(π_ref || π) (the k3 estimator's
//     gradient through log π is that of the reverse KL), stationary where c π_a² - (c - β) π_a - β ref_a = 0,
//     c = 1 - 1/G (scale_rewards: none, so no std rescaling).
import { describe, expect, it } from 'vitest';
import { AdamW, embedding, reshape, sampleTokens, startTape, tokenLogprobs, unpackSamples, type Engine, type Tensor } from '../../../src/engine/index.ts';
import { gae, groupAdvantages, klEstimate, maskedWhiten } from '../../../src/train/advantages.ts';
import { grpoObjective, ppoObjective } from '../../../src/train/policy-loss.ts';
import type { RlBatch } from '../../../src/train/rl-batch.ts';
import { testAdapters } from '../../helpers/gpu.ts';
import { testEngine } from '../engine/check.ts';

const V = 6;
const TARGET = 2;
const BETA = 0.5;
// Reference logits with π_ref(a) = 0.1 and the rest spread unevenly.
const REF_Z = (() => {
  const rest = [1.0, 0.2, 0, -0.3, 0.6];
  const wRest = rest.reduce((s, x) => s + Math.exp(x), 0);
  const za = Math.log((0.1 / 0.9) * wRest);
  return [rest[0], rest[1], za, rest[2], rest[3], rest[4]];
})();
const refProbs = (() => {
  const e = REF_Z.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
})();

function batchOf(ids: Uint32Array, oldLogp: Float32Array, advantages: Float64Array, extra: Partial<RlBatch> = {}): RlBatch {
  const B = ids.length;
  return {
    B, T: 1, ids: new Int32Array(B), attention: new Uint8Array(B), rows: Uint32Array.from({ length: B }, (_, i) => i), targets: ids,
    oldLogp, advantages: Float32Array.from(advantages), weights: new Float32Array(B).fill(1 / B), episodes: [], realTokens: B, ...extra,
  };
}

/** One training run of the bandit; returns π(a) averaged over the last quarter of the steps. */
async function train(e: Engine, method: 'grpo' | 'ppo', steps: number): Promise<number> {
  const B = 256;
  const G = 8;
  const z = e.param(Float32Array.from(REF_Z), [1, V], 'z'); // the policy starts at the reference
  const v = e.param(new Float32Array([0]), [1, 1], 'v');
  const opt = new AdamW(e, method === 'ppo' ? [z, v] : [z], { lr: 0.02, maxGradNorm: 0 });
  const zeros = e.keep(e.tensor(new Uint32Array(B), [B], 'u32', 'rows0'));
  const logitsOf = (): Tensor => embedding(z, zeros); // (B, V): the same logits for every episode
  const history: number[] = [];
  for (let step = 0; step < steps; step++) {
    const raw = await e.scope(() => sampleTokens(e, logitsOf(), { temperature: 1, topK: 0, topP: 1, seed: 5, counter: step })).readU32();
    const { ids, logprobs } = unpackSamples(raw);
    const rewards = Array.from(ids, (id) => (id === TARGET ? 1 : 0));
    const refLogp = Float32Array.from(ids, (id) => Math.log(refProbs[id]));
    let batch: RlBatch;
    if (method === 'grpo') {
      batch = batchOf(ids, logprobs, groupAdvantages(rewards, G, 'none').advantages, { refLogp });
    } else {
      // One-token episodes: the reward with its k1 penalty at the only token; GAE gives A = r - V, R = r.
      const vOld = (await v.read())[0];
      const r = rewards.map((s, i) => s - BETA * klEstimate(logprobs[i], refLogp[i], 'k1'));
      const adv = new Float64Array(B);
      const ret = new Float32Array(B);
      r.forEach((ri, i) => {
        const g = gae([ri], [vOld], 1, 0.95);
        adv[i] = g.advantages[0];
        ret[i] = g.returns[0];
      });
      batch = batchOf(ids, logprobs, maskedWhiten(adv, new Uint8Array(B).fill(1)), { oldValues: new Float32Array(B).fill(vOld), returns: ret });
    }
    const tape = startTape(e);
    const logits = logitsOf();
    const lp = tokenLogprobs(logits, e.tensor(ids, [B], 'u32'));
    const loss = method === 'grpo'
      ? grpoObjective(e, lp, batch, { epsilonLow: 0.2, epsilonHigh: 0.2, beta: BETA, temperature: 1 })
      : ppoObjective(e, lp, reshape(embedding(v, zeros), [B]), batch, { cliprange: 0.2, cliprangeValue: 0.2, vfCoef: 0.1, temperature: 1 }).loss;
    tape.backward(loss);
    tape.dispose();
    opt.step(0.02).release();
    opt.zeroGrad();
    e.flush();
    if (step >= (3 * steps) / 4) {
      const zz = await z.read();
      const m = Math.max(...zz);
      const ex = Array.from(zz, (x) => Math.exp(x - m));
      history.push(ex[TARGET] / ex.reduce((a, b) => a + b, 0));
    }
  }
  opt.dispose();
  return history.reduce((a, b) => a + b, 0) / history.length;
}

// Where training settles is a property of the objectives and the optimizer, not of the adapter (every kernel in
// them is checked against float64 on both CPU adapters elsewhere): one adapter suffices, the faster one (400 steps
// x 2 trainers took 20-30 s on lavapipe and over 240 s on SwiftShader under load).
describe.each(testAdapters().slice(0, 1))('KL-regularised optimum on %s', (adapter) => {
  it('PPO with the k1 penalty settles at π*(a) = ref_a e^(1/β) / Z', async () => {
    const e = await testEngine(adapter);
    const ra = refProbs[TARGET];
    const want = (ra * Math.exp(1 / BETA)) / (ra * Math.exp(1 / BETA) + 1 - ra); // 0.451
    const got = await train(e, 'ppo', 400);
    expect(Math.abs(got - want)).toBeLessThan(0.02);
    // Far from the unregularised optimum (1) and from the start (0.1): the KL term decides where it stops.
    expect(got).toBeLessThan(0.6);
  }, 240_000);

  it('GRPO with the k3 term settles at the root of c π² - (c - β) π - β ref_a', async () => {
    const e = await testEngine(adapter);
    const ra = refProbs[TARGET];
    const c = 1 - 1 / 8;
    const want = ((c - BETA) + Math.sqrt((c - BETA) ** 2 + 4 * c * BETA * ra)) / (2 * c); // 0.535
    const got = await train(e, 'grpo', 400);
    expect(Math.abs(got - want)).toBeLessThan(0.02);
    expect(got).toBeLessThan(0.7);
  }, 240_000);
});
