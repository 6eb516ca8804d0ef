// The one training loop every trainer shares (SFT, reward model, PPO/GRPO): micro-batches with gradient
// accumulation, a learning-rate schedule, AdamW with on-GPU clipping and NaN/Inf skipping, metrics,
// periodic evaluation and atomic checkpoints, pause/stop, and exact resume. A trainer supplies a loss (and,
// optionally, scalar statistics recorded with it) and a batch source.
//
// The batch source may be asynchronous: SFT and RM sources are plain iterators over a dataset, while the RL
// trainers' source runs a rollout phase (episodes, rewards, advantages) whenever its buffer is empty and then
// hands out the micro-batches of the optimisation epochs. Whatever the source needs to continue exactly (prompt
// cursor, sampler RNG, the rollout buffer) is the trainer's `state`, saved with every checkpoint.
//
// Each optimizer step is recorded and submitted once. Its loss and gradient-norm readbacks travel with that
// submit and are awaited only after the NEXT step is submitted, so the GPU never waits for the CPU.
import { AdamW, scale, startTape, Tensor, type Engine } from '../engine/index.ts';
import type { RngState } from '../util/rng.ts';
import type { DataPosition, PaddedBatch } from './batching.ts';
import type { Checkpoint, CheckpointStore, HostTensor } from './checkpoint.ts';
import type { EvalMetrics, StepMetrics } from './metrics.ts';
import { learningRateAt, type ScheduleKind } from './schedule.ts';

export interface LoopConfig {
  runId: string;
  totalSteps: number;
  gradientAccumulation: number;
  learningRate: number;
  schedule: ScheduleKind;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  maxGradNorm: number;
  loggingSteps: number;
  evalEvery: number;
  saveEvery: number;
  saveTotalLimit: number;
  maxNonFiniteSteps: number;
  /** Batches per epoch, for the epoch column and ETA. */
  batchesPerEpoch: number;
}

/** What every micro-batch tells the loop: how many real tokens it holds (throughput). */
export interface LoopBatch {
  realTokens: number;
}

/** A loss with scalar statistics recorded in the same graph (accuracy, clip ratio...): each (1), read back with the loss. */
export interface LossOutput {
  loss: Tensor;
  stats?: Record<string, Tensor>;
  /**
   * Tensors of any size read back with the loss and turned into named statistics on the host, once they arrive
   * (RL: the new per-token log-probs, from which ratios and clip fractions follow).
   */
  readback?: { tensors: Tensor[]; summarize(values: Float32Array[]): Record<string, number> };
}

/** One micro-batch from a batch source, with where the stream stands before and after it. */
export interface SourceItem<B extends LoopBatch> {
  batch: B;
  position: DataPosition;
  next: DataPosition;
  /** Host-side metrics of this micro-batch (e.g. the rollout's rewards), averaged into its step's metrics. */
  metrics?: Record<string, number>;
}

/** Micro-batches in training order; `next()` may be asynchronous (an RL rollout runs inside it). */
export type BatchSource<B extends LoopBatch> = Iterator<SourceItem<B>> | AsyncIterator<SourceItem<B>>;

/** What the loop needs from a trainer. */
export interface LoopTrainer<B extends LoopBatch = PaddedBatch> {
  engine: Engine;
  /** Trainable tensors, each with a stable unique label (checkpoint names). */
  params: Tensor[];
  /** Learning-rate multipliers of some of them (a parameter group with its own learning rate); default 1. */
  lrScale?: ReadonlyMap<Tensor, number>;
  /** Records the forward pass of one micro-batch and returns its scalar loss (1), optionally with statistics. */
  loss(batch: B): Tensor | LossOutput;
  /** The RNG the trainer draws from during training (dropout); saved and restored with checkpoints. */
  rng: { get(): RngState; set(s: RngState): void };
  /** Anything else a resumed run needs to continue exactly (structured-cloneable; typed arrays allowed). */
  state?: { get(): unknown; set(s: unknown): void };
}

export interface LoopHooks {
  onStep?(m: StepMetrics): void | Promise<void>;
  onLog?(line: string): void;
  /** Asked between steps. 'pause' saves a checkpoint and returns; 'stop' returns without one. */
  control?(): 'continue' | 'pause' | 'stop';
  evaluate?(step: number): Promise<EvalMetrics | null>;
  onEval?(m: EvalMetrics): void | Promise<void>;
  onCheckpoint?(step: number): void | Promise<void>;
}

export type LoopOutcome = { status: 'done' | 'paused' | 'stopped'; step: number } | { status: 'failed'; step: number; error: string };

export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

interface Pending {
  step: number;
  epoch: number;
  lr: number;
  losses: Promise<Float32Array>[];
  /** Per micro-batch: its statistics' readbacks. */
  stats: Record<string, Promise<Float32Array>>[];
  /** Per micro-batch: host-summarised readbacks. */
  summaries: Promise<Record<string, number>>[];
  /** Per micro-batch: host-side metrics from the source. */
  hostMetrics: Record<string, number>[];
  info: Promise<Float32Array>;
  tokens: number;
  submittedAt: number;
}

/** Mean of each named value over the micro-batches that report it. */
function meanByName(rows: Record<string, number>[]): Record<string, number> {
  const sum: Record<string, number> = {};
  const count: Record<string, number> = {};
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      sum[k] = (sum[k] ?? 0) + v;
      count[k] = (count[k] ?? 0) + 1;
    }
  }
  return Object.fromEntries(Object.keys(sum).map((k) => [k, sum[k] / count[k]]));
}

/**
 * Runs optimizer steps from the checkpoint's step (or 0) to `totalSteps`.
 * `batches` must continue from the checkpoint's data position (the caller builds the stream from it).
 */
export async function runLoop<B extends LoopBatch>(
  trainer: LoopTrainer<B>,
  config: LoopConfig,
  batches: BatchSource<B>,
  store: CheckpointStore | null,
  hooks: LoopHooks = {},
  resumeFrom: Checkpoint | null = null,
): Promise<LoopOutcome> {
  const e = trainer.engine;
  const opt = new AdamW(e, trainer.params, {
    lr: config.learningRate, beta1: config.beta1, beta2: config.beta2, eps: config.epsilon,
    weightDecay: config.weightDecay, maxGradNorm: config.maxGradNorm,
  }, trainer.lrScale);
  let step = 0;
  let nonFiniteStreak = 0;
  let position: DataPosition = { epoch: 0, batch: 0 };
  if (resumeFrom) {
    restoreState(trainer, opt, resumeFrom);
    step = resumeFrom.step;
    nonFiniteStreak = resumeFrom.nonFiniteStreak;
    position = resumeFrom.data;
    hooks.onLog?.(`resumed from checkpoint at step ${step} (epoch ${position.epoch}, batch ${position.batch})`);
  }

  const startedAt = performance.now();
  const startStep = step;
  let pending: Pending | null = null;
  let windowTokens = 0;
  let windowStart = performance.now();

  const settle = async (p: Pending): Promise<void> => {
    const losses = await Promise.all(p.losses);
    const statRows = await Promise.all(
      p.stats.map(async (r) => Object.fromEntries(await Promise.all(Object.entries(r).map(async ([k, v]) => [k, (await v)[0]] as const)))),
    );
    statRows.push(...(await Promise.all(p.summaries)));
    const info = await p.info;
    const loss = losses.reduce((s, l) => s + l[0], 0) / losses.length;
    const skipped = info[2] !== 0 || !Number.isFinite(loss);
    nonFiniteStreak = skipped ? nonFiniteStreak + 1 : 0;
    if (skipped) hooks.onLog?.(`step ${p.step + 1}: loss or gradients are NaN/Inf (loss ${loss}, grad norm ${info[0]}): update skipped`);
    if (nonFiniteStreak >= config.maxNonFiniteSteps) {
      throw new NonFiniteError(
        `${nonFiniteStreak} steps in a row had NaN/Inf loss or gradients (last at step ${p.step + 1}); the run stopped. ` +
          'Lower learning_rate, set max_grad_norm (e.g. 1.0), or check the data for empty or broken examples.',
      );
    }
    windowTokens += p.tokens;
    const done = p.step + 1;
    if (done % config.loggingSteps === 0 || done === config.totalSteps) {
      const now = performance.now();
      const elapsed = (now - startedAt) / 1000;
      const perStep = elapsed / Math.max(1, done - startStep);
      const m: StepMetrics = {
        step: done, totalSteps: config.totalSteps, epoch: p.epoch, loss, learningRate: p.lr, gradNorm: info[0],
        tokensPerSecond: windowTokens / Math.max(1e-9, (now - windowStart) / 1000),
        stepMs: (now - p.submittedAt), gpuBytes: e.stats.bytesLive, skipped,
        etaSeconds: perStep * (config.totalSteps - done),
      };
      const extra = { ...meanByName(p.hostMetrics), ...meanByName(statRows) };
      if (Object.keys(extra).length) m.metrics = extra;
      windowTokens = 0;
      windowStart = now;
      await hooks.onStep?.(m);
    }
  };

  const save = async (at: number): Promise<void> => {
    if (!store) return;
    await store.save(await captureState(trainer, opt, config.runId, at, position, nonFiniteStreak), config.saveTotalLimit);
    await hooks.onCheckpoint?.(at);
  };

  try {
    while (step < config.totalSteps) {
      const action = hooks.control?.() ?? 'continue';
      if (action !== 'continue') {
        if (pending) await settle(pending);
        pending = null;
        if (action === 'pause') await save(step);
        return { status: action === 'pause' ? 'paused' : 'stopped', step };
      }
      const lr = learningRateAt(step, config.learningRate, config.schedule, config.warmupSteps, config.totalSteps);
      const losses: Promise<Float32Array>[] = [];
      const stats: Record<string, Promise<Float32Array>>[] = [];
      const hostMetrics: Record<string, number>[] = [];
      const summaries: Promise<Record<string, number>>[] = [];
      let tokens = 0;
      let epoch = position.epoch;
      for (let micro = 0; micro < config.gradientAccumulation; micro++) {
        const next = await batches.next();
        if (next.done) throw new Error('the batch stream ended early');
        const { batch, position: at, next: after, metrics } = next.value;
        epoch = at.epoch;
        position = after;
        tokens += batch.realTokens;
        if (metrics) hostMetrics.push(metrics);
        const tape = startTape(e);
        const out = trainer.loss(batch);
        const { loss, stats: st, readback }: LossOutput = out instanceof Tensor ? { loss: out } : out;
        losses.push(loss.readLater());
        stats.push(Object.fromEntries(Object.entries(st ?? {}).map(([k, t]) => [k, t.readLater()])));
        if (readback) {
          const reads = readback.tensors.map((t) => t.readLater());
          summaries.push(Promise.all(reads).then((v) => readback.summarize(v)));
        }
        tape.backward(config.gradientAccumulation > 1 ? scale(loss, 1 / config.gradientAccumulation) : loss);
        tape.dispose();
      }
      const info = opt.step(lr);
      const infoP = info.readLater();
      opt.zeroGrad();
      info.release();
      e.flush();
      const current: Pending = {
        step, epoch: epoch + (position.batch / Math.max(1, config.batchesPerEpoch)), lr, losses, stats, summaries, hostMetrics, info: infoP, tokens, submittedAt: performance.now(),
      };
      // The previous step's numbers arrive while this step runs on the GPU.
      if (pending) await settle(pending);
      pending = current;
      step++;
      const evalNow = hooks.evaluate && config.evalEvery > 0 && step % config.evalEvery === 0 && step < config.totalSteps;
      const saveNow = config.saveEvery > 0 && step % config.saveEvery === 0 && step < config.totalSteps;
      if (evalNow || saveNow) {
        await settle(pending);
        pending = null;
      }
      if (saveNow) await save(step);
      if (evalNow) {
        const m = await hooks.evaluate!(step);
        if (m) await hooks.onEval?.(m);
      }
    }
    if (pending) await settle(pending);
    pending = null;
    await save(step);
    if (hooks.evaluate) {
      const m = await hooks.evaluate(step);
      if (m) await hooks.onEval?.(m);
    }
    return { status: 'done', step };
  } catch (err) {
    return { status: 'failed', step, error: (err as Error).message };
  } finally {
    opt.dispose();
  }
}

async function captureState<B extends LoopBatch>(t: LoopTrainer<B>, opt: AdamW, runId: string, step: number, data: DataPosition, nonFiniteStreak: number): Promise<Checkpoint> {
  // Every tensor's readback is scheduled first and travels with one submit (one mapped buffer), not one submit each.
  const schedule = (tensors: Tensor[]) => tensors.map((x) => x.readLater());
  const pending = [schedule(t.params), schedule(opt.m), schedule(opt.v)];
  t.engine.flush();
  const [weights, m, v] = await Promise.all(
    pending.map(async (ps) => {
      const values = await Promise.all(ps);
      const out: Record<string, HostTensor> = {};
      values.forEach((data, i) => (out[t.params[i].label] = { shape: [...t.params[i].shape], data }));
      return out;
    }),
  );
  return {
    runId, step, data, nonFiniteStreak, createdAt: Date.now(),
    weights,
    optimizer: { step: opt.t, m, v },
    rng: t.rng.get(),
    ...(t.state ? { trainerState: t.state.get() } : {}),
  };
}

function restoreState<B extends LoopBatch>(t: LoopTrainer<B>, opt: AdamW, c: Checkpoint): void {
  writeTensors(t.engine, t.params, t.params.map((p) => p.label), c.weights, `checkpoint of run ${c.runId} at step ${c.step}`, 'weights');
  const names = t.params.map((p) => p.label);
  writeTensors(t.engine, opt.m, names, c.optimizer.m, `checkpoint of run ${c.runId}`, 'Adam first moment');
  writeTensors(t.engine, opt.v, names, c.optimizer.v, `checkpoint of run ${c.runId}`, 'Adam second moment');
  opt.t = c.optimizer.step;
  t.rng.set(c.rng);
  if (t.state) {
    if (c.trainerState === undefined) throw new Error(`checkpoint of run ${c.runId} at step ${c.step} has no trainer state (saved by another kind of trainer?)`);
    t.state.set(c.trainerState);
  }
}

/** Uploads saved host tensors into GPU tensors by name (checkpoint restore, loading a trained run for chat). */
export function writeTensors(e: Engine, tensors: Tensor[], names: string[], from: Record<string, HostTensor>, source: string, what = 'weights'): void {
  tensors.forEach((x, i) => {
    const h = from[names[i]];
    if (!h) throw new Error(`${source} has no ${what} for "${names[i]}" (a different model or LoRA config?)`);
    if (h.data.length !== x.size) throw new Error(`${source}: ${what} "${names[i]}" has ${h.data.length} values, the model needs ${x.size}`);
    x.write(h.data);
  });
}
