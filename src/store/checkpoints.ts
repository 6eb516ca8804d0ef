// Training checkpoints in IndexedDB: one transaction writes a checkpoint and its run index together
// (so a crash or a quota error leaves the previous checkpoint intact), then old ones are pruned.
import { createStore, del, get, getMany, type UseStore } from 'idb-keyval';
import { freeStorageBytes, isQuotaError, promisify, StorageQuotaError, storageQuotaMessage } from './idb.ts';
import { checkpointBytes, type Checkpoint, type CheckpointInfo, type CheckpointStore } from '../train/checkpoint.ts';

const indexKey = (runId: string) => `index:${runId}`;
const dataKey = (runId: string, step: number) => `ckpt:${runId}:${step}`;

export class IdbCheckpointStore implements CheckpointStore {
  private store: UseStore;

  constructor(dbName = 'tool-use-studio-checkpoints') {
    this.store = createStore(dbName, 'checkpoints');
  }

  async save(ckpt: Checkpoint, keep: number): Promise<void> {
    const info: CheckpointInfo = { runId: ckpt.runId, step: ckpt.step, createdAt: ckpt.createdAt, bytes: checkpointBytes(ckpt) };
    let previous: CheckpointInfo[] = [];
    try {
      await this.store('readwrite', async (os) => {
        previous = ((await promisify(os.get(indexKey(ckpt.runId)))) as CheckpointInfo[] | undefined) ?? [];
        const index = [...previous.filter((p) => p.step !== ckpt.step), info].sort((a, b) => a.step - b.step);
        os.put(ckpt, dataKey(ckpt.runId, ckpt.step));
        os.put(index, indexKey(ckpt.runId));
        return promisify(os.transaction);
      });
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      throw new StorageQuotaError(
        storageQuotaMessage(`the checkpoint at step ${ckpt.step} of run ${ckpt.runId}`, info.bytes, await freeStorageBytes(), 'The previous checkpoint is intact; lowering save_total_limit also helps.'),
      );
    }
    // Pruning runs after the new checkpoint is committed: at every moment one complete checkpoint exists.
    const index = [...previous.filter((p) => p.step !== ckpt.step), info].sort((a, b) => a.step - b.step);
    const drop = index.slice(0, Math.max(0, index.length - keep));
    if (drop.length) {
      await this.store('readwrite', (os) => {
        os.put(index.slice(drop.length), indexKey(ckpt.runId));
        for (const d of drop) os.delete(dataKey(d.runId, d.step));
        return promisify(os.transaction);
      });
    }
  }

  async list(runId: string): Promise<CheckpointInfo[]> {
    return ((await get(indexKey(runId), this.store)) as CheckpointInfo[] | undefined) ?? [];
  }

  async load(runId: string, step: number): Promise<Checkpoint | null> {
    return ((await get(dataKey(runId, step), this.store)) as Checkpoint | undefined) ?? null;
  }

  async latest(runId: string): Promise<Checkpoint | null> {
    const index = await this.list(runId);
    // Newest first; an entry whose data is missing (should not happen) is skipped, not fatal.
    const data = await getMany(index.map((i) => dataKey(runId, i.step)).reverse(), this.store);
    return (data.find(Boolean) as Checkpoint | undefined) ?? null;
  }

  async removeRun(runId: string): Promise<void> {
    const index = await this.list(runId);
    for (const i of index) await del(dataKey(runId, i.step), this.store);
    await del(indexKey(runId), this.store);
  }
}
