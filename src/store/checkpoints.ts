// Training checkpoints in IndexedDB: one transaction writes a checkpoint and its run index together
// (so a crash, a killed tab or a quota error leaves the previous checkpoint intact), then, in a transaction
// of its own after that commit, old ones are pruned. Tested in tests/unit/store/checkpoints.test.ts.
import { createStore, get, getMany, type UseStore } from 'idb-keyval';
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
    await gateWriteForTests(ckpt.step);
    const info: CheckpointInfo = { runId: ckpt.runId, step: ckpt.step, createdAt: ckpt.createdAt, bytes: checkpointBytes(ckpt) };
    let index: CheckpointInfo[] = [];
    try {
      await this.store('readwrite', async (os) => {
        const previous = ((await promisify(os.get(indexKey(ckpt.runId)))) as CheckpointInfo[] | undefined) ?? [];
        index = [...previous.filter((p) => p.step !== ckpt.step), info].sort((a, b) => a.step - b.step);
        try {
          os.put(ckpt, dataKey(ckpt.runId, ckpt.step));
          os.put(index, indexKey(ckpt.runId));
          holdWriteOpenForTests(ckpt.step);
        } catch (e) {
          // A put that throws (quota, clone error) must not let the data put commit without its index entry.
          os.transaction.abort();
          throw e;
        }
        return promisify(os.transaction);
      });
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      throw new StorageQuotaError(
        storageQuotaMessage(`the checkpoint at step ${ckpt.step} of run ${ckpt.runId}`, info.bytes, await freeStorageBytes(), 'The previous checkpoint is intact; lowering save_total_limit also helps.'),
      );
    }
    // Pruning runs after the new checkpoint is committed: at every moment one complete checkpoint exists.
    // A failed prune loses nothing: the index still lists what it did not delete, and the next save retries.
    try {
      await this.prune(ckpt.runId, index, keep);
    } catch (e) {
      console.warn(`checkpoints of run ${ckpt.runId}: pruning old checkpoints failed (the next save retries): ${(e as Error).message}`);
    }
  }

  /** Keeps the newest `keep` entries of the index, and deletes the data of every other step of the run. */
  private async prune(runId: string, index: CheckpointInfo[], keep: number): Promise<void> {
    const kept = index.slice(Math.max(0, index.length - keep));
    const keptKeys = new Set(kept.map((k) => dataKey(runId, k.step)));
    const prefix = dataKey(runId, 0).slice(0, -1);
    await this.store('readwrite', async (os) => {
      // Every data key of the run, so data a failed write or prune left without an index entry goes too.
      const stored = (await promisify(os.getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`)))).map(String);
      const drop = stored.filter((k) => /^\d+$/.test(k.slice(prefix.length)) && !keptKeys.has(k));
      if (drop.length === 0 && kept.length === index.length) return;
      try {
        os.put(kept, indexKey(runId));
        for (const k of drop) os.delete(k);
      } catch (e) {
        os.transaction.abort(); // all or nothing: never an index without the deletes or the reverse
        throw e;
      }
      return promisify(os.transaction);
    });
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
    const prefix = dataKey(runId, 0).slice(0, -1);
    await this.store('readwrite', async (os) => {
      const stored = (await promisify(os.getAllKeys(IDBKeyRange.bound(prefix, `${prefix}\uffff`)))).map(String);
      os.delete(indexKey(runId)); // index first in the same transaction: all or nothing
      for (const k of stored) if (/^\d+$/.test(k.slice(prefix.length))) os.delete(k);
      return promisify(os.transaction);
    });
  }
}

/** Test fault points of the engine worker (`self.__studioFaults`, set by a test through the DevTools protocol). */
interface StudioFaults {
  holdCheckpointWrite?: boolean;
  gateCheckpointWrite?: { step: number; opened: Promise<void> };
}
const faultsSet = () => (globalThis as { __studioFaults?: StudioFaults }).__studioFaults;

/**
 * Fault point for tests/e2e/reliability-disk.spec.ts, inert unless a test sets
 * `self.__studioFaults = { gateCheckpointWrite: { step, opened } }` in the engine worker, `opened` a promise the test
 * settles later: the write of that step waits for it before it touches IndexedDB, and says so on the console, so
 * that the test can change the storage quota (and let Chromium's cached allowance lapse) in between, however fast
 * the steps run.
 */
async function gateWriteForTests(step: number): Promise<void> {
  const gate = faultsSet()?.gateCheckpointWrite;
  if (gate?.step !== step) return;
  console.log(`[fault] checkpoint write of step ${step} waits for the test`);
  await gate.opened;
}

/**
 * Fault point for tests/e2e/reliability-killed-tab.spec.ts, inert unless a test sets
 * `self.__studioFaults = { holdCheckpointWrite: true }` in the engine worker: the next write is held open with
 * its puts issued and not committed (the worker spins, so the transaction cannot commit) and says so on the
 * console, so that the test can kill the tab inside a checkpoint write. It lets go after 30 s.
 */
function holdWriteOpenForTests(step: number): void {
  const faults = faultsSet();
  if (!faults?.holdCheckpointWrite) return;
  faults.holdCheckpointWrite = false;
  console.log(`[fault] checkpoint write of step ${step} held open`);
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    // the test kills the tab here
  }
}
