// Node checkpoints on disk: output_dir/checkpoints/step-<N>/ holds state.json, tensors.safetensors and, for
// trainers with their own state (RL), trainer-state.json.
// A checkpoint is written to a temporary folder and renamed into place, so a crash never leaves a half one.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readAllSafetensors, writeSafetensors, type RawTensor } from '../model/safetensors.ts';
import { memorySource } from '../model/byte-source.ts';
import { checkpointBytes, parseTrainerState, stringifyTrainerState, type Checkpoint, type CheckpointInfo, type CheckpointStore, type HostTensor } from '../train/checkpoint.ts';

export class FsCheckpointStore implements CheckpointStore {
  constructor(private readonly root: string) {}

  private dir(runId: string): string {
    return join(this.root, runId.replace(/[^\w.-]/g, '_'));
  }

  async save(ckpt: Checkpoint, keep: number): Promise<void> {
    const base = this.dir(ckpt.runId);
    await mkdir(base, { recursive: true });
    const final = join(base, `step-${ckpt.step}`);
    const tmp = `${final}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
    const tensors: RawTensor[] = [];
    const add = (prefix: string, group: Record<string, HostTensor>) => {
      for (const [name, t] of Object.entries(group)) {
        tensors.push({ name: prefix + name, dtype: 'F32', shape: t.shape, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) });
      }
    };
    add('weights/', ckpt.weights);
    add('adam_m/', ckpt.optimizer.m);
    add('adam_v/', ckpt.optimizer.v);
    const { weights: _w, optimizer, trainerState, ...rest } = ckpt;
    const state = { ...rest, optimizerStep: optimizer.step, bytes: checkpointBytes(ckpt) };
    await writeFile(join(tmp, 'tensors.safetensors'), writeSafetensors(tensors));
    if (trainerState !== undefined) await writeFile(join(tmp, 'trainer-state.json'), stringifyTrainerState(trainerState));
    await writeFile(join(tmp, 'state.json'), JSON.stringify(state, null, 2));
    if (existsSync(final)) await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
    const all = await this.list(ckpt.runId);
    for (const old of all.slice(0, Math.max(0, all.length - keep))) {
      await rm(join(base, `step-${old.step}`), { recursive: true, force: true });
    }
  }

  async list(runId: string): Promise<CheckpointInfo[]> {
    const base = this.dir(runId);
    if (!existsSync(base)) return [];
    const out: CheckpointInfo[] = [];
    for (const name of await readdir(base)) {
      const m = /^step-(\d+)$/.exec(name);
      if (!m || !existsSync(join(base, name, 'state.json'))) continue; // *.tmp: an interrupted write
      const st = await stat(join(base, name, 'state.json'));
      const state = JSON.parse(await readFile(join(base, name, 'state.json'), 'utf8'));
      out.push({ runId, step: Number(m[1]), createdAt: state.createdAt ?? st.mtimeMs, bytes: state.bytes ?? 0 });
    }
    return out.sort((a, b) => a.step - b.step);
  }

  async load(runId: string, step: number): Promise<Checkpoint | null> {
    const dir = join(this.dir(runId), `step-${step}`);
    if (!existsSync(join(dir, 'state.json'))) return null;
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8'));
    const file = await readFile(join(dir, 'tensors.safetensors'));
    const { tensors } = await readAllSafetensors(memorySource(join(dir, 'tensors.safetensors'), new Uint8Array(file.buffer, file.byteOffset, file.byteLength)));
    const groups: Record<string, Record<string, HostTensor>> = { weights: {}, adam_m: {}, adam_v: {} };
    for (const t of tensors) {
      const slash = t.name.indexOf('/');
      const data = new Float32Array(t.data.byteLength / 4);
      new Uint8Array(data.buffer).set(t.data);
      groups[t.name.slice(0, slash)][t.name.slice(slash + 1)] = { shape: t.shape, data };
    }
    return {
      runId: state.runId,
      step: state.step,
      weights: groups.weights,
      optimizer: { step: state.optimizerStep, m: groups.adam_m, v: groups.adam_v },
      rng: state.rng,
      data: state.data,
      nonFiniteStreak: state.nonFiniteStreak ?? 0,
      createdAt: state.createdAt,
      ...(existsSync(join(dir, 'trainer-state.json')) ? { trainerState: parseTrainerState(await readFile(join(dir, 'trainer-state.json'), 'utf8')) } : {}),
    };
  }

  async latest(runId: string): Promise<Checkpoint | null> {
    const all = await this.list(runId);
    return all.length ? this.load(runId, all[all.length - 1].step) : null;
  }
}
