// Which runs an import's removal takes the model from (src/store/imports.ts runsUsingImport): the Models page lists
// them and asks before removing. Direct uses (start model, reward model), runs started from those to any depth, and
// nothing else: other imports, other runs, and a loop of runs naming each other.
import { describe, expect, it } from 'vitest';
import { runsUsingImport } from '../../../src/store/imports.ts';
import type { RunRecord } from '../../../src/train/metrics.ts';

const run = (id: string, method: RunRecord['method'], config: Record<string, unknown>): RunRecord => ({
  id, method, name: `${method} ${id}`, config, status: 'done', createdAt: 1, updatedAt: 1, totalSteps: 2, step: 2,
});

describe('runsUsingImport', () => {
  const runs = [
    run('a', 'sft', { model_name: 'import:imp-1' }),
    run('b', 'grpo', { model_name: 'run:a' }),
    run('c', 'ppo', { model_name: 'run:b', reward_model: 'run:r' }),
    run('d', 'grpo', { model_name: 'builtin:tiny', reward_model: 'import:imp-1' }),
    run('e', 'sft', { model_name: 'import:imp-2' }),
    run('f', 'grpo', { model_name: 'run:e', reward_model: 'import:imp-10' }),
    run('r', 'rm', { model_name: 'builtin:tiny' }),
    run('x', 'grpo', { model_name: 'run:y' }),
    run('y', 'grpo', { model_name: 'run:x' }),
  ];

  it('lists the start and reward-model uses and the runs started from them, to any depth', () => {
    expect(runsUsingImport('imp-1', runs).map((u) => [u.run.id, u.as])).toEqual([
      ['a', 'start model'],
      ['d', 'reward model'],
      ['b', 'start model (through run sft a)'],
      ['c', 'start model (through run grpo b)'],
    ]);
    expect(runsUsingImport('imp-2', runs).map((u) => u.run.id)).toEqual(['e', 'f']);
    expect(runsUsingImport('imp-10', runs).map((u) => [u.run.id, u.as])).toEqual([['f', 'reward model']]);
  });

  it('is empty for an import no run names, also with runs that name each other in a loop', () => {
    expect(runsUsingImport('imp-3', runs)).toEqual([]);
    expect(runsUsingImport('imp-1', [])).toEqual([]);
  });
});
