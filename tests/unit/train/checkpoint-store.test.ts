// Checkpoints on disk: exact round trip, keep-last-K, and an interrupted write never hides the previous checkpoint.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsCheckpointStore } from '../../../src/cli/fs-checkpoint-store.ts';
import type { Checkpoint } from '../../../src/train/checkpoint.ts';
import { Rng } from '../../../src/util/rng.ts';

function fakeCheckpoint(step: number, seed: number): Checkpoint {
  const rng = new Rng(seed);
  const t = (shape: number[]) => ({ shape, data: rng.floats(shape.reduce((a, b) => a * b, 1)) });
  return {
    runId: 'run/1',
    step,
    weights: { 'layers.0.q_proj.lora_A': t([4, 7]), 'layers.0.q_proj.lora_B': t([9, 4]) },
    optimizer: { step, m: { 'layers.0.q_proj.lora_A': t([4, 7]) }, v: { 'layers.0.q_proj.lora_A': t([4, 7]) } },
    rng: rng.getState(),
    data: { epoch: 1, batch: step },
    nonFiniteStreak: 1,
    createdAt: 1_700_000_000_000 + step,
  };
}

let root = '';
beforeEach(async () => (root = await mkdtemp(join(tmpdir(), 'ckpt-'))));
afterEach(async () => rm(root, { recursive: true, force: true }));

describe('FsCheckpointStore', () => {
  it('loads back exactly what it saved', async () => {
    const store = new FsCheckpointStore(root);
    const c = fakeCheckpoint(5, 1);
    await store.save(c, 3);
    expect(await store.latest('run/1')).toEqual(c);
  });

  it('keeps only the newest K checkpoints', async () => {
    const store = new FsCheckpointStore(root);
    for (const step of [10, 20, 30, 40]) await store.save(fakeCheckpoint(step, step), 2);
    expect((await store.list('run/1')).map((i) => i.step)).toEqual([30, 40]);
    expect((await store.latest('run/1'))?.step).toBe(40);
  });

  it('ignores a half-written checkpoint folder and still returns the previous one', async () => {
    const store = new FsCheckpointStore(root);
    await store.save(fakeCheckpoint(10, 1), 2);
    // A crash in the middle of writing step 20 leaves only the temporary folder behind.
    const tmp = join(root, 'run_1', 'step-20.tmp');
    await mkdir(tmp, { recursive: true });
    await writeFile(join(tmp, 'tensors.safetensors'), new Uint8Array([1, 2, 3]));
    expect((await store.latest('run/1'))?.step).toBe(10);
  });
});
