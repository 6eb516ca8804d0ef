// PPO's fresh critic starts at zero (load-policy.ts says why): the score head loadPolicy adds is all zeros beside a
// random LoRA A, and a policy loaded without a critic has no head at all.
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { loadPolicy } from '../../../src/train/load-policy.ts';
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
});
