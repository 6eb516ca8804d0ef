// The RL losses' entropy statistic (TRL's `entropy` / `policy/entropy_avg`) comes from the same pass over the logits
// as the log-probs (policy-loss.ts policyForward). On the tiny model at a sampling temperature of 0.05, the fused
// log-probs and entropies at a batch's policy rows equal float64 ones computed from the model's full logits / 0.05.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/index.ts';
import { entropyRef, tokenLogprobsRef } from '../../../src/engine/cpu-reference/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { loadPolicy } from '../../../src/train/load-policy.ts';
import { policyForward } from '../../../src/train/policy-loss.ts';
import { rlBatch, type RolloutEpisode } from '../../../src/train/rl-batch.ts';
import { Rng } from '../../../src/util/rng.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { relErr } from '../engine/check.ts';

describe.each(testAdapters())('policy log-probs and entropies on %s', (adapter) => {
  it('equal float64 from the full logits at temperature 0.05, for two padded episodes', async () => {
    const e = new Engine(await gpuFor(adapter));
    const { model } = await loadPolicy(e, folderProvider('public/models/tiny'), { finetune: 'lora', lora: { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj'] }, chatTemplate: 'model', seed: 3 });
    const V = JSON.parse(readFileSync('public/models/tiny/config.json', 'utf8')).vocab_size as number;
    const rng = new Rng(19);
    const episode = (T: number, from: number): RolloutEpisode => {
      const positions = Int32Array.from({ length: T - from }, (_, i) => from + i);
      const zeros = new Float32Array(positions.length);
      return { tokens: Int32Array.from({ length: T }, () => rng.int(V)), positions, oldLogp: zeros, advantages: zeros, truncated: false };
    };
    const batch = rlBatch([episode(9, 3), episode(6, 1)], [0, 1], 0, () => 1);
    const temperature = 0.05; // the tiny model's random logits are near flat: sharpen them so that the entropies differ
    model.training = false;
    const [logp, entropy, logits] = await e.scope(() => {
      const fwd = policyForward(model, batch, temperature, { entropy: true });
      const full = model.forward({ ids: batch.ids, mask: batch.attention, B: batch.B, T: batch.T }).logits; // (B·T, V)
      return Promise.all([fwd.logp.readLater(), fwd.entropy!.readLater(), full.readLater(), e.flush()]);
    });
    const N = batch.rows.length;
    expect(N).toBe(6 + 5);
    const rows = new Float64Array(N * V);
    batch.rows.forEach((r, i) => {
      for (let v = 0; v < V; v++) rows[i * V + v] = logits[r * V + v] / temperature;
    });
    expect(relErr(entropy, entropyRef(rows, V))).toBeLessThan(1e-4);
    expect(relErr(logp, tokenLogprobsRef(rows, Uint32Array.from(batch.targets), V))).toBeLessThan(1e-4);
    // Not a flat distribution: the check above would not see rows swapped.
    expect(Math.max(...entropy) - Math.min(...entropy)).toBeGreaterThan(1e-3);
  });
});
