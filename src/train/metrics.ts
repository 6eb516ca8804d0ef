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

export interface EvalMetrics {
  step: number;
  examples: number;
  toolAccuracy: number;
  chainSuccess: number;
  formatValidity: number;
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
}
