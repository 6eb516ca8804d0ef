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
  /** The studio run whose checkpoint was evaluated (the evaluation is kept with that run). */
  runId?: string;
  dataset: { label: string; examples: number };
  mode: EvalMode;
  /** maxToolTurnTokens: free mode's cap between two turns, where one was given (older evaluations lack it). */
  settings: { maxNewTokens: number; maxToolTurnTokens?: number; promptTools: 'listed' | 'none'; executed: boolean };
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

/** The JSON file the studio exports and `npm run eval -- --model` writes; the Evaluate page reads it back. */
export interface EvaluationFile {
  format: typeof EVALUATION_FILE_FORMAT;
  version: 1;
  evaluations: ModelEvaluation[];
  /** The comparison shown when the file was written (recomputed on import). */
  comparison?: unknown;
}

export const EVALUATION_FILE_FORMAT = 'tool-use-studio.evaluations';

export function evaluationFile(evaluations: ModelEvaluation[], comparison?: unknown): EvaluationFile {
  return { format: EVALUATION_FILE_FORMAT, version: 1, evaluations, ...(comparison ? { comparison } : {}) };
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads an evaluation file; a malformed one is an error naming the file and the field. */
export function readEvaluationFile(text: string, file: string): ModelEvaluation[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!isObj(doc) || !Array.isArray(doc.evaluations)) throw new Error(`${file}: field "evaluations" must be a list (an evaluation report written by the studio or by npm run eval -- --model)`);
  return doc.evaluations.map((ev, i) => {
    const at = `${file}: evaluations[${i}]`;
    if (!isObj(ev)) throw new Error(`${at}: must be an object`);
    if (typeof ev.id !== 'string' || !ev.id) throw new Error(`${at}.id: must be a non-empty string`);
    if (!isObj(ev.model) || typeof ev.model.label !== 'string') throw new Error(`${at}.model.label: must be a string`);
    if (!isObj(ev.dataset) || typeof ev.dataset.label !== 'string') throw new Error(`${at}.dataset.label: must be a string`);
    if (!(EVAL_MODES as readonly unknown[]).includes(ev.mode)) throw new Error(`${at}.mode: must be one of ${EVAL_MODES.join(', ')}`);
    if (!isObj(ev.report) || !isObj(ev.report.metrics) || !Array.isArray(ev.report.records)) throw new Error(`${at}.report: must hold "metrics" and "records"`);
    ev.report.records.forEach((r, j) => {
      if (!isObj(r) || typeof r.id !== 'string' || !Array.isArray(r.steps) || !isObj(r.counts)) throw new Error(`${at}.report.records[${j}]: must be a scored record with "id", "steps" and "counts"`);
    });
    if (!Array.isArray(ev.outputs)) throw new Error(`${at}.outputs: must be a list`);
    return ev as unknown as ModelEvaluation;
  });
}
