// PPO's value loss never trains the policy (policy-loss.ts criticValues says why). On the tiny model with a LoRA
// adapter, the policy adapter's gradient of the PPO loss is the same with the value loss weighted 0.1 or 0, for both
// critics: the head on the policy's hidden states (critic: head), whose gradient is then the value loss's and not
// zero, and the head on its own LoRA adapter (critic: adapter), whose adapter and head get the value gradient.
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
  async function gradientsOf(critic: 'head' | 'adapter') {
    const e = new Engine(await gpuFor(adapter));
    const { model } = await loadPolicy(e, folderProvider('public/models/tiny'), { finetune: 'lora', lora: LORA, chatTemplate: 'model', seed: 5, critic });
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
    // The critic's tensors: the head, and (critic: adapter) its own LoRA factors.
    const isCritic = (p: Tensor) => p === model.scoreHead || p.label.startsWith('critic.');
    const policy = params.filter((p) => !isCritic(p));
    let policyNorm = 0;
    for (const p of policy) {
      const a = withValue.get(p)!, b = policyOnly.get(p)!;
      for (let i = 0; i < a.length; i++) {
        policyNorm += a[i] * a[i];
        expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(b[i]));
      }
    }
    expect(policyNorm).toBeGreaterThan(0); // the policy loss does reach the policy's adapter
    return { critic: params.filter(isCritic), withValue, policyOnly, policy };
  }

  it('critic: head: the value loss trains the head only', async () => {
    const { critic, withValue, policyOnly } = await gradientsOf('head');
    expect(critic).toHaveLength(1);
    expect(policyOnly.get(critic[0])!.every((x) => x === 0)).toBe(true);
    expect(withValue.get(critic[0])!.some((x) => Math.abs(x) > 1e-6)).toBe(true);
  }, 120_000);

  it('critic: adapter: the value loss trains the critic adapter and head, the policy loss the policy adapter', async () => {
    const { critic, withValue, policyOnly, policy } = await gradientsOf('adapter');
    // The head and one A and B per adapted projection, as many as the policy's.
    expect(critic).toHaveLength(policy.length + 1);
    for (const p of critic) expect(policyOnly.get(p)!.every((x) => x === 0), p.label).toBe(true);
    // B starts at zero (PEFT's init), so A's first gradient is zero; B's and the head's are not.
    for (const p of critic.filter((p) => !p.label.includes('lora_A'))) expect(withValue.get(p)!.some((x) => Math.abs(x) > 1e-7), p.label).toBe(true);
  }, 120_000);
});
