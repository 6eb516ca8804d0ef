// Learning-rate schedules: linear warmup from 0, then constant, linear decay or cosine decay to 0 (as in HF transformers).

export type ScheduleKind = 'constant' | 'linear' | 'cosine';

/** Learning rate for optimizer step `step` (0-based) of `totalSteps`. */
export function learningRateAt(step: number, peak: number, kind: ScheduleKind, warmupSteps: number, totalSteps: number): number {
  if (warmupSteps > 0 && step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  if (kind === 'constant') return peak;
  const decaySteps = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - warmupSteps) / decaySteps));
  return kind === 'linear' ? peak * (1 - progress) : peak * 0.5 * (1 + Math.cos(Math.PI * progress));
}
