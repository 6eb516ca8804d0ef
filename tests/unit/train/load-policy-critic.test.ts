// PPO's fresh critic starts at zero (load-policy.ts says why): the score head loadPolicy adds is all zeros beside a
// random LoRA A, and a policy loaded without a critic has no head at all. critic_learning_rate scales exactly the
// critic's tensors (head, critic adapter).
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { loadPolicy } from '../../../src/train/load-policy.ts';
import { validatePpoConfig } from '../../../src/train/ppo-config.ts';
import { criticLrScale } from '../../../src/train/ppo.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

const LORA = { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj'] };

describe.each(testAdapters())('loadPolicy critic on %s', (adapter) => {
  it('a fresh critic head is zero; without critic: no head', async () => {
    const e = new Engine(await gpuFor(adapter));
    const withCritic = await loadPolicy(e, folderProvider('public/models/tiny'), { finetune: 'lora', lora: LORA, chatTemplate: 'model', seed: 5, critic: 'head' });
    const head = withCritic.model.scoreHead!;
    expect(head.shape).toEqual([1, withCritic.model.cfg.hiddenSize]);
    const w = await head.read();
    expect(w.length).toBe(withCritic.model.cfg.hiddenSize);
    expect(Array.from(w).every((x) => x === 0)).toBe(true);
    // The LoRA factors beside it are not zero-initialised (A is random), so the zero above is the head's own init.
    const lora = withCritic.model.trainableParams().filter((t) => t !== head);
    expect(lora.length).toBeGreaterThan(0);
    const a = await lora[0].read();
    expect(Array.from(a).some((x) => x !== 0)).toBe(true);
    const without = await loadPolicy(e, folderProvider('public/models/tiny'), { finetune: 'lora', lora: LORA, chatTemplate: 'model', seed: 5 });
    expect(without.model.scoreHead).toBeNull();
  }, 120_000);

  it('critic_learning_rate scales the critic head and adapter, nothing else', async () => {
    const e = new Engine(await gpuFor(adapter));
    const { model } = await loadPolicy(e, folderProvider('public/models/tiny'), { finetune: 'lora', lora: LORA, chatTemplate: 'model', seed: 5, critic: 'adapter' });
    const params = model.trainableParams();
    const scale = criticLrScale(model, validatePpoConfig({ learning_rate: 1e-4, critic_learning_rate: 1e-3, critic: 'adapter' }));
    const scaled = params.filter((p) => scale.has(p));
    expect(scaled.map((p) => p.label).sort()).toEqual(params.filter((p) => p.label === 'score.weight' || p.label.startsWith('critic.lora_')).map((p) => p.label).sort());
    expect(scaled.length).toBe((params.length - 1) / 2 + 1); // the head, and as many critic factors as policy factors
    for (const p of scaled) expect(scale.get(p)).toBeCloseTo(10, 12);
    expect(criticLrScale(model, validatePpoConfig({ learning_rate: 1e-4, critic: 'adapter' })).size).toBe(0);
  }, 120_000);
});
