// The rows a training run reports: one per logged optimizer step, one per evaluation.

export interface StepMetrics {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  learningRate: number;
  gradNorm: number;
  /** Real (non-padding) tokens per second over the last logging window, forward + backward. */
  tokensPerSecond: number;
  stepMs: number;
  /** GPU bytes held by the engine's buffer pool. */
  gpuBytes: number;
  /** True when the step was skipped because its loss or gradients were NaN/Inf. */
  skipped: boolean;
  /** Seconds left at the current pace. */
  etaSeconds: number;
  /**
   * The trainer's own per-step metrics under TRL's names (RM: accuracy, margin, mean_reward...; GRPO: reward,
   * reward_std, kl, clip_ratio/region_mean...), each averaged over the step's micro-batches.
   */
  metrics?: Record<string, number>;
}

/** One evaluation on the held-out split. SFT evaluates by generation; the other trainers report their own metrics. */
export interface EvalMetrics {
  step: number;
  /** Conversations (SFT) or pairs (reward model) evaluated. */
  examples: number;
  /** SFT: tool-level accuracy, chain-level success, format validity of the generated calls. */
  toolAccuracy?: number;
  chainSuccess?: number;
  formatValidity?: number;
  /**
   * The trainer's own eval metrics under TRL's names, without TRL's `eval_` prefix (reward model: loss, accuracy,
   * margin, min_reward / mean_reward / max_reward, and accuracy/<rejection kind> when the data names kinds).
   */
  metrics?: Record<string, number>;
}

export type RunStatus = 'running' | 'paused' | 'stopped' | 'done' | 'failed';

export interface RunRecord {
  id: string;
  method: 'sft' | 'rm' | 'ppo' | 'grpo';
  name: string;
  /** The resolved config (a trainer's ConfigOf). */
  config: Record<string, unknown>;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  totalSteps: number;
  step: number;
  error?: string;
  /** The data it trains on, in a few words (sample files or stored datasets). */
  data?: string;
  /** The latest logged step's loss and metrics (TRL names). */
  final?: Record<string, number>;
  /** The latest evaluation's metrics. */
  finalEval?: Record<string, number>;
}
