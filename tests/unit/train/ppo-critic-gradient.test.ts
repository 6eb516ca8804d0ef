// PPO's critic reads the policy's hidden states without training them (policy-loss.ts policyForward says why): on
// the tiny model with a LoRA adapter and the critic head, the adapter's gradient of the PPO loss is the same with the
// value loss weighted 0.1 or 0, while the head's gradient is vf_coef times the value loss's, and not zero.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine, startTape, type Tensor } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { loadPolicy } from '../../../src/train/load-policy.ts';
import { ppoLoss } from '../../../src/train/policy-loss.ts';
import { rlBatch, type RolloutEpisode } from '../../../src/train/rl-batch.ts';
import { Rng } from '../../../src/util/rng.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

const LORA = { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj'] };

describe.each(testAdapters())('PPO critic gradient on %s', (adapter) => {
  it('the value loss trains the head only: the adapter gradient does not depend on vf_coef', async () => {
    const e = new Engine(await gpuFor(adapter));
    const { model } = await loadPolicy(e, folderProvider('public/models/tiny'), { finetune: 'lora', lora: LORA, chatTemplate: 'model', seed: 5, critic: true });
    const V = JSON.parse(readFileSync('public/models/tiny/config.json', 'utf8')).vocab_size as number;
    // A non-zero head (a zero one would hide any path into the trunk) and two episodes of random tokens, 7 and 5
    // long, with random advantages, old log-probs, values and returns.
    const rng = new Rng(11);
    const C = model.cfg.hiddenSize;
    model.addScoreHead(rng, Float32Array.from({ length: C }, () => rng.normal() * 0.3));
    const episode = (T: number, from: number): RolloutEpisode => {
      const positions = Int32Array.from({ length: T - from }, (_, i) => from + i);
      const rand = (s: number, o = 0) => Float32Array.from(positions, () => o + rng.normal() * s);
      return {
        tokens: Int32Array.from({ length: T }, () => rng.int(V)), positions,
        oldLogp: rand(0.5, -3), advantages: rand(1), oldValues: rand(0.5), returns: rand(1, 2), truncated: false,
      };
    };
    const rollout = [episode(7, 2), episode(5, 1)];
    const batch = rlBatch(rollout, [0, 1], 0, () => 1);
    const params = model.trainableParams();
    const head = model.scoreHead!;
    const gradients = async (vfCoef: number) => {
      const tape = startTape(e);
      const { loss } = ppoLoss(model, batch, { cliprange: 0.2, cliprangeValue: 10, vfCoef, temperature: 1 });
      tape.backward(loss);
      tape.dispose();
      const out = new Map<Tensor, Float32Array>();
      for (const p of params) out.set(p, p.grad ? await p.grad.read() : new Float32Array(p.size));
      for (const p of params) p.grad?.release(), (p.grad = null);
      return out;
    };
    const withValue = await gradients(0.1);
    const policyOnly = await gradients(0);
    let adapterNorm = 0;
    for (const p of params) {
      if (p === head) continue;
      const a = withValue.get(p)!, b = policyOnly.get(p)!;
      for (let i = 0; i < a.length; i++) {
        adapterNorm += a[i] * a[i];
        expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(b[i]));
      }
    }
    expect(adapterNorm).toBeGreaterThan(0); // the policy loss does reach the adapter
    const headWith = withValue.get(head)!, headWithout = policyOnly.get(head)!;
    expect(headWithout.every((x) => x === 0)).toBe(true);
    expect(headWith.some((x) => Math.abs(x) > 1e-6)).toBe(true);
  }, 120_000);
});
