// Worker side of studio training: loads the model, datasets and tools, runs the run's trainer (one entry per method
// in TRAINERS: SFT, reward model, GRPO, PPO) on the worker's GPU device, saves checkpoints, metrics and (RL) the
// completions table to IndexedDB, and streams progress to the UI as events.
import type { DatasetExample } from '../data/conversation.ts';
import { readDatasetText } from '../data/read-dataset.ts';
import { Engine } from '../engine/index.ts';
import type { GpuContext } from '../gpu/device.ts';
import { readText, type FileProvider } from '../model/byte-source.ts';
import { seqClsConfigJson } from '../model/config.ts';
import { downloadModel, type HubSettings } from '../model/hub.ts';
import { idbHubCache } from '../model/hub-cache.ts';
import { urlFolderProvider, type LoadedModel } from '../model/load.ts';
import type { QwenModel } from '../model/qwen.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { DatasetStore } from '../store/datasets.ts';
import { IMPORT_PREFIX, ImportStore } from '../store/imports.ts';
import { isQuotaError, StorageQuotaError } from '../store/idb.ts';
import { RunStore } from '../store/runs.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import type { Checkpoint, CheckpointStore } from '../train/checkpoint.ts';
import { checkpointFiles, policyWeights } from '../train/export.ts';
import { loadTrainableModel } from '../train/load-model.ts';
import type { LoopOutcome } from '../train/loop.ts';
import type { RunRecord, StepMetrics } from '../train/metrics.ts';
import { RM_CONFIG } from '../train/rm-config.ts';
import { runRm } from '../train/rm.ts';
import { SFT_CONFIG } from '../train/sft-config.ts';
import { runSft } from '../train/sft.ts';
import type { TrainingConfig } from '../train/training-config.ts';
import { validateGrpoConfig, type GrpoConfig } from '../train/grpo-config.ts';
import { runGrpo } from '../train/grpo.ts';
import { loadPolicy, type PolicyOptions } from '../train/load-policy.ts';
import { validatePpoConfig, type PpoConfig } from '../train/ppo-config.ts';
import { runPpo } from '../train/ppo.ts';
import { REWARD_PRESETS } from '../eval/reward.ts';
import type { RlHooks, RlRunInputs } from '../train/rl-run.ts';
import type { CompletionRow } from '../train/rollout.ts';
import { scoreConversations, type RewardModel } from '../train/rm-score.ts';
import { StartPolicyError, baseModelOf, startPolicySource, studioRewardModel, type ModelFiles } from './rl-start.ts';
import { exportBaseName, startFiles } from './start-export.ts';
import type { DataSource, EngineEvent, EngineRequest, TrainConfigs, TrainMethod } from './protocol.ts';
import { publicUrl } from './public-url.ts';

/** A complete model's files by name: builtin:tiny, a hub id (downloaded, cached), or import:<id> of an imported model folder. */
export function modelFiles(name: string, settings: HubSettings, onProgress: (done: number, total: number) => void): FileProvider | Promise<FileProvider> {
  if (name === 'builtin:tiny') return urlFolderProvider(publicUrl('models/tiny'));
  if (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(name)) return downloadModel(name, { cache: idbHubCache(), settings, onProgress: (p) => onProgress(p.doneBytes, p.totalBytes ?? 0) }).then((r) => r.files);
  if (name.startsWith(IMPORT_PREFIX)) return importedFolderFiles(name);
  throw new Error(`model_name "${name}": in the studio use builtin:tiny, a Hugging Face id such as Qwen/Qwen2.5-0.5B-Instruct, run:<id> or import:<id>`);
}

/** An imported complete model's files; an imported adapter is a start policy (rl-start.ts), not a folder of weights. */
async function importedFolderFiles(name: string): Promise<FileProvider> {
  const store = new ImportStore();
  const rec = await store.get(name.slice(IMPORT_PREFIX.length));
  if (!rec) throw new StartPolicyError(`model_name ${name}: no such imported model in this browser (removed?); import it again on the Models page`);
  if (rec.kind === 'adapter') throw new StartPolicyError(`model_name ${name}: the imported "${rec.name}" is an adapter (on ${rec.base}), not a complete model: this place needs a model folder`);
  return store.files(rec.id);
}

/** The examples of a data source: datasets saved in the studio, or sample files it ships. */
export async function readSource(src: DataSource, tools: ToolDefinition[]): Promise<DatasetExample[]> {
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

/** The tool set a config names (a file shipped with the studio). */
export async function fetchTools(file: string): Promise<ToolDefinition[]> {
  const res = await fetch(publicUrl(file));
  if (!res.ok) throw new Error(`tools file ${file}: HTTP ${res.status}`);
  return (await res.json()) as ToolDefinition[];
}

/** What a trainer gets from the session. */
interface SessionRun<C> {
  runId: string;
  engine: Engine;
  model: QwenModel;
  tokenizer: ChatTokenizer;
  config: C;
  train: DatasetExample[];
  eval: DatasetExample[];
  tools: ToolDefinition[];
  store: CheckpointStore;
  resume: boolean;
  /** The loop's hooks, and the progress line (RL says when it samples, optimises and evaluates; SFT says nothing). */
  hooks: Omit<RlHooks, 'onCompletions'>;
  /** Model files by name with this run's hub settings (RL: the reward model's base). */
  modelFiles: ModelFiles;
  /** An RL rollout's completions-table rows: to the UI and the run store. */
  onCompletions(rows: CompletionRow[]): Promise<void>;
}

/** What a method's own model loader gets (RL: the start policy with a fresh adapter, PPO's critic). */
interface SessionLoad<C> {
  engine: Engine;
  config: C;
  modelFiles: ModelFiles;
  onProgress(done: number, total: number): void;
}

/** A method as the studio runs it: its config check, how its model loads, and its trainer. */
interface SessionTrainer<C extends TrainingConfig | GrpoConfig | PpoConfig> {
  validate(raw: unknown, source: string): C;
  /** The model with the method's trainable parts (default: loadTrainableModel of model_name, with a score head when scoreHead). */
  load?(x: SessionLoad<C>): Promise<LoadedModel>;
  scoreHead: boolean;
  run(x: SessionRun<C>): Promise<{ outcome: LoopOutcome; totalSteps: number }>;
}

/** A model_name that names a studio run or an import: resolved as a start policy (rl-start.ts), not as a folder. */
const STARTS = /^(run|import):/;

/** The default load: model_name's files (a base model, an imported model folder) with the method's trainable parts. */
async function loadModelOf(x: SessionLoad<TrainingConfig>, scoreHead: boolean): Promise<LoadedModel> {
  const c = x.config;
  return loadTrainableModel(x.engine, await x.modelFiles(c.model_name), {
    finetune: c.finetune, lora: c.lora, chatTemplate: c.chat_template, seed: c.seed, scoreHead, onProgress: x.onProgress,
  });
}

// ---- RL (GRPO, PPO): the start policy (a base model or a policy run's checkpoint, src/worker/rl-start.ts) with a
// fresh RL adapter, the reward (rule / chain presets or a reward YAML served by the studio, and a reward-model
// run's checkpoint scored in this worker), and the rollouts' completions streamed as train-completions events.
async function loadRlPolicy(x: SessionLoad<TrainingConfig | GrpoConfig | PpoConfig>, critic: PolicyOptions['critic']): Promise<LoadedModel> {
  const c = x.config;
  const start = await startPolicySource(c.model_name, x.modelFiles);
  if (c.finetune === 'full' && start.adapters.length) {
    throw new StartPolicyError(`model_name ${c.model_name}: the start policy is a LoRA adapter (${start.label}); finetune: full trains a full model: set finetune: lora (the adapter is merged, a fresh one trains), or start from a full model`);
  }
  return loadPolicy(x.engine, start.files, {
    finetune: c.finetune, lora: c.lora, chatTemplate: c.chat_template, seed: c.seed,
    startAdapters: start.adapters, critic, onProgress: x.onProgress,
  });
}

async function runRlSession<C extends GrpoConfig | PpoConfig>(x: SessionRun<C>, runner: (inp: RlRunInputs<C>) => Promise<{ outcome: LoopOutcome; totalSteps: number }>) {
  const c = x.config;
  let rm: RewardModel | null = null;
  try {
    if (c.reward.reward_model_weight !== 0) {
      rm = await studioRewardModel(x.engine, c.reward_model, await baseModelOf(c.model_name), x.modelFiles, fetchTools, x.tools);
      x.hooks.onLog?.(`reward model: ${rm.label}, weight ${c.reward.reward_model_weight}`);
    }
    // A reward YAML (not a preset) is a file the studio serves; the trainer reads it synchronously.
    const rule = c.reward.rule;
    const ruleText = rule && rule !== 'none' && !(rule in REWARD_PRESETS) ? await fetchText(rule, 'reward.rule') : null;
    const scorer = rm;
    return await runner({
      ...x, environment: enterpriseEnvironment(),
      rewardModel: scorer ? (items) => scoreConversations(scorer, items) : undefined,
      readFile: (path) => {
        if (path !== rule || ruleText === null) throw new Error(`reward file ${path} was not fetched`);
        return ruleText;
      },
      hooks: { ...x.hooks, onCompletions: (rows) => x.onCompletions(rows) },
    });
  } finally {
    if (rm) {
      for (const t of new Set([...rm.model.baseTensors().map(([, t]) => t), ...rm.model.trainableParams()])) t.release();
      rm.model.e.pool.trim();
    }
  }
}

export async function fetchText(file: string, what: string): Promise<string> {
  const res = await fetch(publicUrl(file));
  if (!res.ok) throw new Error(`${what} ${file}: HTTP ${res.status}`);
  return res.text();
}

const TRAINERS: { [M in TrainMethod]: SessionTrainer<TrainConfigs[M]> } = {
  sft: {
    validate: (raw, source) => SFT_CONFIG.validate(raw, source),
    // SFT from a run or an imported adapter: that start merged, then SFT's own adapter (as RL starts).
    load: (x) => (STARTS.test(x.config.model_name) ? loadRlPolicy(x, false) : loadModelOf(x, false)),
    scoreHead: false,
    run: (x) => runSft({ ...x, environment: enterpriseEnvironment() }),
  },
  rm: {
    validate: (raw, source) => RM_CONFIG.validate(raw, source),
    scoreHead: true,
    run: (x) => runRm(x),
  },
  grpo: {
    validate: (raw, source) => validateGrpoConfig(raw, source),
    load: (x) => loadRlPolicy(x, false),
    scoreHead: false,
    run: (x) => runRlSession(x, runGrpo),
  },
  ppo: {
    validate: (raw, source) => validatePpoConfig(raw, source),
    load: (x) => loadRlPolicy(x, x.config.critic),
    scoreHead: true,
    run: (x) => runRlSession(x, runPpo),
  },
};

type AnyConfig = TrainingConfig & Partial<GrpoConfig & PpoConfig>;
const trainerOf = (method: string): SessionTrainer<AnyConfig> => {
  const t = TRAINERS[method as TrainMethod];
  if (!t) throw new Error(`unknown training method "${method}" (the studio trains: ${Object.keys(TRAINERS).join(', ')})`);
  return t as unknown as SessionTrainer<AnyConfig>;
};

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

  /** The newest checkpoint as files to take elsewhere: a PEFT adapter (SEQ_CLS for a reward model) or full weights. */
  async exportAdapter(runId: string, hub: HubSettings | null = null): Promise<{ files: Record<string, Uint8Array>; step: number }> {
    const run = await this.runs.get(runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    const ckpt = await this.checkpoints.latest(runId);
    if (!ckpt) throw new Error(`run ${run.name} has no checkpoint yet: train until the first save (save_every), or pause it`);
    const config = run.config as unknown as TrainingConfig;
    const method = run.method ?? 'sft';
    if (method === 'grpo' || method === 'ppo' || (method === 'sft' && STARTS.test(config.model_name))) return { files: await rlExportFiles(run, ckpt, config), step: ckpt.step };
    const files = checkpointFiles(ckpt, { ...config, model_name: await exportBaseName(config.model_name) });
    // A fully fine-tuned reward model is a Qwen*ForSequenceClassification: its config.json says so.
    if ((run.method ?? 'sft') === 'rm' && config.finetune === 'full' && hub) {
      const base = await (await modelFiles(config.model_name, hub, () => {}))('config.json');
      if (base) files['config.json'] = new TextEncoder().encode(JSON.stringify(seqClsConfigJson(JSON.parse(await readText(base))), null, 2));
    }
    return { files, step: ckpt.step };
  }

  /** Validates the request, then trains in the background; failures arrive as a 'failed' status event. */
  start(req: Extract<EngineRequest, { type: 'train-start' }>): void {
    if (this.controls.size > 0) throw new Error('a training run is already in progress in this tab: pause or stop it first');
    trainerOf(req.method).validate(req.config, 'config');
    this.controls.set(req.runId, 'continue');
    void this.run(req)
      // run() reports its own failures; should anything still escape, the UI must hear that the run ended.
      .catch((e: unknown) => this.post({ type: 'train-status', runId: req.runId, status: 'failed', step: 0, error: errorText(e) }))
      .finally(() => this.controls.delete(req.runId));
  }

  private async run(req: Extract<EngineRequest, { type: 'train-start' }>): Promise<void> {
    const { runId } = req;
    const trainer = trainerOf(req.method);
    const config = trainer.validate(req.config, 'config');
    // The run's bookkeeping (its record, metric rows and log) is stored beside the run, not as part of it: a full
    // disk refusing one of these writes must neither fail the run nor keep its status from the UI. (It did both: a
    // refused metrics write failed a run that should have paused, and the refused status write then escaped run(),
    // so the UI never heard the run end and showed it "running" for good.) A refused write is said once in the log;
    // rows that were not stored stay pending for the next write.
    let bookkeepingRefused = false;
    const keep = async (what: string, write: () => Promise<void>): Promise<boolean> => {
      try {
        await write();
        return true;
      } catch (e) {
        if (!bookkeepingRefused) {
          bookkeepingRefused = true;
          this.post({ type: 'train-log', runId, line: `could not store ${what} in this browser (${errorText(e)}): this tab still shows the run as it goes, but after a reload its record, charts and log may miss the latest` });
        }
        return false;
      }
    };
    const log = (line: string) => {
      this.post({ type: 'train-log', runId, line });
      void keep('the log', () => this.runs.appendLog(runId, [`${new Date().toISOString().slice(11, 19)} ${line}`]));
    };
    let pendingRows: StepMetrics[] = [];
    const storeMetrics = async () => {
      const rows = pendingRows;
      if (await keep('the metrics', () => this.runs.appendMetrics(runId, rows))) pendingRows = pendingRows.slice(rows.length);
    };
    const phase = (p: string, done = 0, total = 0) => this.post({ type: 'train-phase', runId, phase: p, done, total });
    const existing = await this.runs.get(runId);
    const record: RunRecord = existing ?? {
      id: runId, method: req.method, name: req.name, config: config as unknown as Record<string, unknown>, status: 'running',
      createdAt: Date.now(), updatedAt: Date.now(), totalSteps: 0, step: 0, data: describeSources(req.train, req.eval),
    };
    const setStatus = async (status: RunRecord['status'], step: number, error?: string) => {
      Object.assign(record, { status, step, error, updatedAt: Date.now() });
      // Stored first, so the UI's refresh on this event reads it; the event goes out whether or not it was stored.
      await keep('the run record', () => this.runs.put(record));
      this.post({ type: 'train-status', runId, status, step, error });
    };
    try {
      await setStatus('running', record.step);
      phase('loading tools and data');
      const tools = await fetchTools(config.tools_file);
      const train = await readSource(req.train, tools);
      const evalData = req.eval ? await readSource(req.eval, tools) : [];
      log(`data: ${train.length} training examples, ${evalData.length} eval examples`);

      phase('loading model');
      const ctx = await this.gpu();
      const engine = new Engine(ctx);
      const files: ModelFiles = (name) => modelFiles(name, req.hub, (d, t) => phase('downloading model', d, t));
      const onProgress = (d: number, t: number) => phase('loading model', d, t);
      const load: SessionLoad<AnyConfig> = { engine, config, modelFiles: files, onProgress };
      const { model, tokenizer } = trainer.load ? await trainer.load(load) : await loadModelOf(load, trainer.scoreHead);
      log(`model ${config.model_name} on ${ctx.report.name}: ${model.trainableParams().length} trainable tensors`);
      phase('training');
      const faults = watchFaults(this.checkpoints, ctx);
      const result = await trainer.run({
        runId, engine, model, tokenizer, config, train, eval: evalData, tools, store: faults.store, resume: req.resume, modelFiles: files,
        onCompletions: async (rows) => {
          this.post({ type: 'train-completions', runId, rows });
          await this.runs.appendCompletions(runId, rows);
        },
        hooks: {
          onLog: log,
          onPhase: (p) => phase(p),
          control: () => this.controls.get(runId) ?? 'stop',
          onStep: async (m) => {
            record.step = m.step;
            record.totalSteps = m.totalSteps;
            record.final = { ...record.final, loss: m.loss, ...m.metrics };
            this.post({ type: 'train-step', runId, metrics: m });
            pendingRows.push(m);
            if (pendingRows.length >= 5) {
              await storeMetrics();
              await keep('the run record', () => this.runs.put(record));
            }
          },
          onEval: async (m) => {
            record.finalEval = { ...(m.metrics ?? {}), ...(m.toolAccuracy !== undefined ? { toolAccuracy: m.toolAccuracy, chainSuccess: m.chainSuccess ?? 0, formatValidity: m.formatValidity ?? 0 } : {}) };
            this.post({ type: 'train-eval', runId, metrics: m });
            await this.runs.appendEval(runId, m);
          },
          onCheckpoint: async (step) => {
            // Metrics up to a checkpoint are stored with it, so a resumed run's charts have no gap.
            await storeMetrics();
            log(`checkpoint saved at step ${step}`);
          },
        },
      });
      await storeMetrics();
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
      const msg = errorText(e);
      log(`failed: ${msg}`);
      await setStatus('failed', record.step, msg);
    }
  }
}

/** An error in words: a DOMException of a refused write (QuotaExceededError) often has an empty message. */
function errorText(e: unknown): string {
  if (isQuotaError(e)) return `the browser's storage is full (${(e as Error).name}${(e as Error).message ? `: ${(e as Error).message}` : ''})`;
  return (e as Error | null)?.message || (e as Error | null)?.name || String(e);
}

/** The run's data in a few words, for the runs list. */
function describeSources(train: DataSource, evalSrc: DataSource | null): string {
  const one = (s: DataSource) => (s.kind === 'sample' ? s.files.map((f) => f.split('/').pop()).join(' + ') : `${s.ids.length} stored dataset${s.ids.length === 1 ? '' : 's'}`);
  return `${one(train)}${evalSrc ? `; eval: ${one(evalSrc)}` : ''}`;
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

/**
 * An RL run's checkpoint as files: the RL adapter (a CAUSAL_LM PEFT adapter: PPO's critic head is left out, it is
 * no part of the policy) or, for finetune: full, the whole model, named for its real base. A start policy that is a
 * studio run or an imported adapter goes along as start-* files (its adapter or weights; start-export.ts), since
 * the run's adapter is relative to it.
 */
async function rlExportFiles(run: RunRecord, ckpt: Checkpoint, config: TrainingConfig): Promise<Record<string, Uint8Array>> {
  const files = checkpointFiles({ ...ckpt, weights: policyWeights(ckpt.weights) }, { ...config, model_name: await exportBaseName(config.model_name) });
  return { ...files, ...(await startFiles(run.name, config.model_name)) };
}
