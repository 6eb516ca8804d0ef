// E2E helper: puts finished SFT runs with a checkpoint into the studio's IndexedDB, in the layout the run and
// checkpoint stores write (src/store/runs.ts, src/store/checkpoints.ts), from a model folder's safetensors, so a test
// can evaluate or chat with "a run's checkpoint" without training in the browser first.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';

export interface SeedRun {
  id: string;
  name: string;
  /** A full-model safetensors file whose tensors become the checkpoint's weights (full fine-tuning labels = HF names). */
  weights: string;
  step: number;
}

export async function seedRuns(page: Page, runs: SeedRun[]): Promise<void> {
  const payload = runs.map((r) => ({ ...r, weights: readFileSync(r.weights).toString('base64') }));
  await page.evaluate(async (runs) => {
    const open = (db: string, store: string) => new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(db);
      req.onupgradeneeded = () => req.result.createObjectStore(store);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const put = (db: IDBDatabase, store: string, key: string, value: unknown) => new Promise<void>((resolve, reject) => {
      const tx = db.transaction(store, 'readwrite');
      tx.objectStore(store).put(value, key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    const runsDb = await open('tool-use-studio-runs', 'runs');
    const ckptDb = await open('tool-use-studio-checkpoints', 'checkpoints');
    for (const r of runs) {
      const bytes = Uint8Array.from(atob(r.weights), (c) => c.charCodeAt(0));
      const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
      const weights: Record<string, { shape: number[]; data: Float32Array }> = {};
      for (const [name, t] of Object.entries(header)) {
        if (name === '__metadata__') continue;
        if (t.dtype !== 'F32') throw new Error(`seedRuns: ${name} is ${t.dtype}, expected F32`);
        const start = 8 + headerLen + t.data_offsets[0];
        weights[name] = { shape: t.shape, data: new Float32Array(bytes.slice(start, 8 + headerLen + t.data_offsets[1]).buffer) };
      }
      const now = Date.now();
      const config = {
        model_name: 'builtin:tiny', finetune: 'full', chat_template: 'model', prompt_tools: 'none',
        lora: { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
        tools_file: 'tools/enterprise_tools.json', train_file: ['data/sft_data.jsonl'], eval_file: '', output_dir: 'out/sft', seed: 42,
      };
      await put(runsDb, 'runs', `run:${r.id}`, { id: r.id, method: 'sft', name: r.name, config, status: 'done', createdAt: now, updatedAt: now, totalSteps: r.step, step: r.step });
      const ckpt = { runId: r.id, step: r.step, weights, optimizer: { step: r.step, m: {}, v: {} }, rng: [1, 2, 3, 4], data: { epoch: 0, batch: 0 }, nonFiniteStreak: 0, createdAt: now };
      await put(ckptDb, 'checkpoints', `ckpt:${r.id}:${r.step}`, ckpt);
      await put(ckptDb, 'checkpoints', `index:${r.id}`, [{ runId: r.id, step: r.step, createdAt: now, bytes: bytes.length }]);
    }
    runsDb.close();
    ckptDb.close();
  }, payload);
}
