// One model's evaluation on one dataset, whole: the report, every example's outputs, where the model came from and
// how it was run. The unit the studio keeps (IndexedDB), compares and exports, and `npm run eval -- --model` writes.
import type { Turn } from '../data/conversation.ts';
import type { EvalReport } from './metrics.ts';

/** 'free': chains run on the model's own calls and their real results; 'teacher-forced': each step from the reference history. */
export type EvalMode = 'free' | 'teacher-forced';
export const EVAL_MODES: readonly EvalMode[] = ['free', 'teacher-forced'];
export const EVAL_MODE_LABELS: Record<EvalMode, string> = { free: 'free-running', 'teacher-forced': 'teacher-forced' };

/** What the model wrote for one example: its text per step, and (free mode) the whole transcript after the prompt. */
export interface ExampleOutput {
  id: string;
  texts: string[];
  /** Free mode: the model's turns and the tool results it got. */
  transcript?: Turn[];
  /** Free mode: how the episode ended (src/agent/episode.ts EpisodeEnd: answer, unparseable, truncated, ...). */
  end?: string;
}

export interface ModelEvaluation {
  id: string;
  createdAt: number;
  /** Which model: a label for people and the source it was loaded from (builtin:tiny, a hub id, run:<id>, a folder). */
  model: { label: string; source: string };
  dataset: { label: string; examples: number };
  mode: EvalMode;
  settings: { maxNewTokens: number; promptTools: 'listed' | 'none'; executed: boolean };
  report: EvalReport;
  outputs: ExampleOutput[];
  tokensPerSecond: number;
  seconds: number;
}

/** The three headline figures as the CLI prints them. */
export function headlineLines(report: EvalReport): string[] {
  const p = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
  return [
    `tool-level accuracy: ${p(report.metrics.toolAccuracy)}`,
    `chain-level success: ${p(report.metrics.chainSuccess)}`,
    `format validity: ${p(report.metrics.formatValidity)}`,
  ];
}
