// Evaluates one model on held-out examples in one of the two modes, with what a comparison needs beside the report:
// every example's own outputs (and, free-running, the tool results it got), progress with an ETA, and cancel.
//   - 'free': each prompt goes to the episode runner (evaluateEpisodes); chains run on the model's own calls and
//     their real results from a fresh world. Single-step rows are one turn, scored as before.
//   - 'teacher-forced': every assistant step is generated from the reference history (evaluateByGeneration).
// Used by `npm run eval -- --model` and by the studio's evaluation worker.
import type { EpisodeOptions } from '../agent/episode.ts';
import type { DatasetExample } from '../data/conversation.ts';
import type { EvalReport } from '../eval/metrics.ts';
import type { EvalMode, ExampleOutput } from '../eval/model-evaluation.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { ToolEnvironment } from '../tools/environment.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { evaluateEpisodes } from './episode-eval.ts';
import { evalSteps, evaluateByGeneration } from './eval-generation.ts';

export interface EvalProgress {
  done: number;
  total: number;
  /** Seconds left at the pace so far (null before the first batch). */
  etaSeconds: number | null;
}

export interface ModelEvalOptions {
  mode: EvalMode;
  tools: ToolDefinition[];
  /** Tools listed in the prompts ([] for a model trained with prompt_tools: none). */
  renderTools?: ToolDefinition[];
  environment?: ToolEnvironment;
  batchSize?: number;
  /** Sampled tokens per assistant turn. */
  maxNewTokens?: number;
  /** Free mode: template + tool-result tokens between two turns (the episode runner's default, 512, when unset). */
  maxToolTurnTokens?: number;
  /** Free mode: sampling temperature (default 0, greedy) and the sampler's seed. */
  temperature?: number;
  seed?: number;
  onProgress?: (p: EvalProgress) => void;
  signal?: AbortSignal;
  /** Replaces the model's sampler in free mode (tests: scripted policies). */
  sampler?: EpisodeOptions['sampler'];
}

export interface ModelEvalResult {
  mode: EvalMode;
  report: EvalReport;
  outputs: ExampleOutput[];
  tokensPerSecond: number;
  seconds: number;
}

export class EvaluationAborted extends Error {
  override name = 'EvaluationAborted';
  constructor() {
    super('the evaluation was cancelled');
  }
}

export async function evaluateModel(model: QwenModel, tok: ChatTokenizer, examples: readonly DatasetExample[], o: ModelEvalOptions): Promise<ModelEvalResult> {
  const t0 = performance.now();
  const onProgress = (done: number, total: number) => {
    const elapsed = (performance.now() - t0) / 1000;
    o.onProgress?.({ done, total, etaSeconds: done > 0 ? (elapsed / done) * (total - done) : null });
  };
  const common = { tools: o.tools, renderTools: o.renderTools, environment: o.environment, batchSize: o.batchSize, signal: o.signal, onProgress };
  try {
    if (o.mode === 'free') {
      const r = await evaluateEpisodes(model, tok, examples, { ...common, maxCompletionLength: o.maxNewTokens, maxToolTurnTokens: o.maxToolTurnTokens, temperature: o.temperature, seed: o.seed, sampler: o.sampler });
      if (o.signal?.aborted) throw new EvaluationAborted();
      const outputs = r.prompts.map((p, k): ExampleOutput => {
        const ep = r.episodes[k];
        return { id: p.id, texts: ep.turns.map((t) => t.text), transcript: ep.conversation.turns.slice(p.prompt.turns.length), end: ep.end };
      });
      return { mode: 'free', report: r.report, outputs, tokensPerSecond: r.tokensPerSecond, seconds: (performance.now() - t0) / 1000 };
    }
    const steps = evalSteps(examples);
    const r = await evaluateByGeneration(model, tok, steps, { ...common, maxNewTokens: o.maxNewTokens });
    if (o.signal?.aborted) throw new EvaluationAborted();
    const byId = new Map<string, ExampleOutput>();
    steps.forEach((s, k) => {
      let out = byId.get(s.id);
      if (!out) byId.set(s.id, (out = { id: s.id, texts: [] }));
      out.texts[s.step] = r.outputs[k];
    });
    return { mode: 'teacher-forced', report: r.report, outputs: [...byId.values()], tokensPerSecond: r.tokensPerSecond, seconds: (performance.now() - t0) / 1000 };
  } catch (e) {
    if (o.signal?.aborted) throw new EvaluationAborted();
    throw e;
  }
}

/** One line per example as `npm run eval -- --pred` reads it back: `{"id", "output": [text per step]}`. */
export function predictionLines(outputs: readonly ExampleOutput[]): string {
  return outputs.map((x) => JSON.stringify({ id: x.id, output: x.texts })).join('\n') + '\n';
}
