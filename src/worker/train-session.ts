// Worker side of studio training: loads the model, datasets and tools, runs the SFT trainer on the worker's
// GPU device, saves checkpoints and metrics to IndexedDB, and streams progress to the UI as events.
import type { DatasetExample } from '../data/conversation.ts';
import { readDatasetText } from '../data/read-dataset.ts';
import { Engine } from '../engine/index.ts';
import type { GpuContext } from '../gpu/device.ts';
import { downloadModel, type HubSettings } from '../model/hub.ts';
import { idbHubCache } from '../model/hub-cache.ts';
import { urlFolderProvider } from '../model/load.ts';
import type { FileProvider } from '../model/byte-source.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { DatasetStore } from '../store/datasets.ts';
import { StorageQuotaError } from '../store/idb.ts';
import type { CheckpointStore } from '../train/checkpoint.ts';
import { RunStore } from '../store/runs.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { checkpointFiles } from '../train/export.ts';
import { loadTrainableModel } from '../train/load-model.ts';
import type { RunRecord, StepMetrics } from '../train/metrics.ts';
import { runSft } from '../train/sft.ts';
import type { SftConfig } from '../train/sft-config.ts';
import type { DataSource, EngineEvent, EngineRequest } from './protocol.ts';
import { publicUrl } from './public-url.ts';

export function modelFiles(name: string, settings: HubSettings, onProgress: (done: number, total: number) => void): FileProvider | Promise<FileProvider> {
  if (name === 'builtin:tiny') return urlFolderProvider(publicUrl('models/tiny'));
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(name)) return downloadModel(name, { cache: idbHubCache(), settings, onProgress: (p) => onProgress(p.doneBytes, p.totalBytes ?? 0) }).then((r) => r.files);
  throw new Error(`model_name "${name}": in the studio use builtin:tiny or a Hugging Face id such as Qwen/Qwen2.5-0.5B-Instruct`);
}

async function readSource(src: DataSource, tools: ToolDefinition[]): Promise<DatasetExample[]> {
  if (src.kind === 'stored') {
    const store = new DatasetStore();
    const out: DatasetExample[] = [];
    for (const id of src.ids) out.push(...(await store.examples(id)));
    return out;
  }
  const out: DatasetExample[] = [];
  for (const f of src.files) {
    const res = await fetch(publicUrl(f));
    if (!res.ok) throw new Error(`sample file ${f}: HTTP ${res.status}`);
    out.push(...readDatasetText(await res.text(), { tools }).examples);
  }
  return out;
}

export class TrainSessions {
  private controls = new Map<string, 'continue' | 'pause' | 'stop'>();
  private runs = new RunStore();
  private checkpoints = new IdbCheckpointStore();

  constructor(
    private readonly gpu: () => Promise<GpuContext>,
    private readonly post: (e: EngineEvent) => void,
  ) {}

  isRunning(runId: string): boolean {
    return this.controls.has(runId);
  }

  control(runId: string, action: 'pause' | 'stop'): void {
    if (!this.controls.has(runId)) throw new Error(`run ${runId} is not running in this tab`);
    this.controls.set(runId, action);
  }

  async exportAdapter(runId: string): Promise<{ files: Record<string, Uint8Array>; step: number }> {
    const run = await this.runs.get(runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    const ckpt = await this.checkpoints.latest(runId);
    if (!ckpt) throw new Error(`run ${run.name} has no checkpoint yet: train until the first save (save_every), or pause it`);
    return { files: checkpointFiles(ckpt, run.config as unknown as SftConfig), step: ckpt.step };
  }

  /** Validates the request, then trains in the background; failures arrive as a 'failed' status event. */
  start(req: Extract<EngineRequest, { type: 'train-start' }>): void {
    if (this.controls.size > 0) throw new Error('a training run is already in progress in this tab: pause or stop it first');
    this.controls.set(req.runId, 'continue');
    void this.run(req).finally(() => this.controls.delete(req.runId));
  }

  private async run(req: Extract<EngineRequest, { type: 'train-start' }>): Promise<void> {
    const { runId, config } = req;
    const log = (line: string) => {
      this.post({ type: 'train-log', runId, line });
      void this.runs.appendLog(runId, [`${new Date().toISOString().slice(11, 19)} ${line}`]);
    };
    const phase = (p: string, done = 0, total = 0) => this.post({ type: 'train-phase', runId, phase: p, done, total });
    const existing = await this.runs.get(runId);
    const record: RunRecord = existing ?? {
      id: runId, method: 'sft', name: req.name, config: config as unknown as Record<string, unknown>, status: 'running',
      createdAt: Date.now(), updatedAt: Date.now(), totalSteps: 0, step: 0,
    };
    const setStatus = async (status: RunRecord['status'], step: number, error?: string) => {
      Object.assign(record, { status, step, error, updatedAt: Date.now() });
      await this.runs.put(record);
      this.post({ type: 'train-status', runId, status, step, error });
    };
    try {
      await setStatus('running', record.step);
      phase('loading tools and data');
      const toolsRes = await fetch(publicUrl(config.tools_file));
      if (!toolsRes.ok) throw new Error(`tools file ${config.tools_file}: HTTP ${toolsRes.status}`);
      const tools = (await toolsRes.json()) as ToolDefinition[];
      const train = await readSource(req.train, tools);
      const evalData = req.eval ? await readSource(req.eval, tools) : [];
      log(`data: ${train.length} training examples, ${evalData.length} eval examples`);

      phase('loading model');
      const ctx = await this.gpu();
      const engine = new Engine(ctx);
      const { model, tokenizer } = await loadTrainableModel(engine, await modelFiles(config.model_name, req.hub, (d, t) => phase('downloading model', d, t)), {
        finetune: config.finetune as 'lora' | 'full', lora: config.lora, chatTemplate: config.chat_template as 'model' | 'compact',
        seed: config.seed, onProgress: (d, t) => phase('loading model', d, t),
      });
      log(`model ${config.model_name} on ${ctx.report.name}: ${model.trainableParams().length} trainable tensors`);
      phase('training');
      let pendingRows: StepMetrics[] = [];
      const faults = watchFaults(this.checkpoints, ctx);
      const result = await runSft({
        runId, engine, model, tokenizer, config, train, eval: evalData, tools, environment: enterpriseEnvironment(),
        store: faults.store, resume: req.resume,
        hooks: {
          onLog: log,
          control: () => this.controls.get(runId) ?? 'stop',
          onStep: async (m) => {
            record.step = m.step;
            record.totalSteps = m.totalSteps;
            this.post({ type: 'train-step', runId, metrics: m });
            pendingRows.push(m);
            if (pendingRows.length >= 5) {
              const rows = pendingRows;
              pendingRows = [];
              await this.runs.appendMetrics(runId, rows);
              await this.runs.put(record);
            }
          },
          onEval: async (m) => {
            this.post({ type: 'train-eval', runId, metrics: m });
            await this.runs.appendEval(runId, m);
          },
          onCheckpoint: async (step) => {
            // Metrics up to a checkpoint are stored with it, so a resumed run's charts have no gap.
            await this.runs.appendMetrics(runId, pendingRows);
            pendingRows = [];
            log(`checkpoint saved at step ${step}`);
          },
        },
      });
      await this.runs.appendMetrics(runId, pendingRows);
      record.totalSteps = result.totalSteps;
      const o = result.outcome;
      // Give the GPU memory back: the next run (or a chat) loads its own model.
      for (const t of new Set([...model.baseTensors().map(([, x]) => x), ...model.trainableParams()])) t.release();
      engine.pool.trim();
      const pause = o.status === 'failed' ? await faults.pauseReason(runId) : null;
      if (pause) {
        log(`paused: ${pause.message}`);
        await setStatus('paused', pause.step, pause.message);
      } else if (o.status === 'failed') {
        log(`failed: ${o.error}`);
        await setStatus('failed', o.step, o.error);
      } else {
        log(`${o.status} at step ${o.step} of ${result.totalSteps}`);
        await setStatus(o.status, o.step);
      }
    } catch (e) {
      const msg = (e as Error).message;
      log(`failed: ${msg}`);
      await setStatus('failed', record.step, msg);
    }
  }
}

// ---- Faults that pause a run instead of failing it (docs/reliability.md; tests/e2e/reliability-disk.spec.ts and
// reliability-gpu.spec.ts). A full disk during a checkpoint write and a lost GPU device leave the previous
// checkpoint intact: the run is marked paused there, with what happened and what to do, and Resume continues.
function watchFaults(checkpoints: IdbCheckpointStore, ctx: GpuContext) {
  let quota: StorageQuotaError | null = null;
  const store: CheckpointStore = {
    save: (c, keep) => checkpoints.save(c, keep).catch((e: unknown) => {
      if (e instanceof StorageQuotaError) quota = e;
      throw e;
    }),
    latest: (id) => checkpoints.latest(id),
    list: (id) => checkpoints.list(id),
    load: (id, step) => checkpoints.load(id, step),
  };
  return {
    store,
    /** Why a failed run should be paused instead (null: it really failed). */
    async pauseReason(runId: string): Promise<{ step: number; message: string } | null> {
      // The device's lost promise settles just after the failed readback that a loss causes.
      const lost = ctx.isLost() ? await ctx.lost : await Promise.race([ctx.lost, new Promise<null>((r) => setTimeout(() => r(null), 200))]);
      if (!lost && !quota) return null;
      const step = (await checkpoints.list(runId)).at(-1)?.step ?? 0;
      const where = step > 0 ? `its last checkpoint (step ${step})` : 'the start (no checkpoint was saved yet)';
      return lost
        ? { step, message: `${lost.message} The run is paused at ${where}: once the GPU is back ("Try again"), Resume continues from there.` }
        : { step, message: `${quota!.message} The run is paused at ${where}: make room, then Resume continues from there.` };
    },
  };
}
