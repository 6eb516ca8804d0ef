// Evaluation by generation: the model answers each held-out prompt (each step of a chain, given the gold
// history so far), its text is parsed and scored by src/eval: tool-level accuracy, chain-level success,
// format validity. Used by the trainers periodically and by the SFT demo's before/after table.
import type { Conversation, DatasetExample, Turn } from '../data/conversation.ts';
import { scoreRecords, type EvalRecord, type EvalReport } from '../eval/metrics.ts';
import type { GoldCall } from '../eval/match.ts';
import { generate } from '../model/generate.ts';
import type { QwenModel } from '../model/qwen.ts';
import type { ToolEnvironment } from '../tools/environment.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { tokenizePrompt } from '../tokenizer/loss-mask.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import type { EvalMetrics } from './metrics.ts';

/** One generation to make: the conversation up to an assistant turn, and what that turn should call. */
export interface EvalStep {
  id: string;
  step: number;
  prompt: Conversation;
  expected: GoldCall[];
}

/** Splits examples into steps: one per assistant turn, with the gold turns before it as history. */
export function evalSteps(examples: readonly DatasetExample[], limit = Infinity): EvalStep[] {
  const out: EvalStep[] = [];
  for (const ex of examples.slice(0, limit)) {
    if (ex.kind !== 'sft' && ex.kind !== 'conversational') continue;
    const turns = ex.conversation.turns;
    let step = 0;
    turns.forEach((t, i) => {
      if (t.role !== 'assistant') return;
      const history: Turn[] = turns.slice(0, i);
      out.push({ id: `line-${ex.line}`, step: step++, prompt: { ...ex.conversation, turns: history }, expected: t.calls });
    });
  }
  return out;
}

export interface GenerationEvalOptions {
  tools: ToolDefinition[];
  /** Tools rendered into the prompts instead of each conversation's own or `tools` ([] = none listed). */
  renderTools?: ToolDefinition[];
  environment?: ToolEnvironment;
  /** Prompts generated together (one batched generate call). */
  batchSize?: number;
  maxNewTokens?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface GenerationEval {
  report: EvalReport;
  /** Generated text per step, in evalSteps order (for previews). */
  outputs: string[];
  steps: EvalStep[];
  tokensPerSecond: number;
}

export async function evaluateByGeneration(model: QwenModel, tok: ChatTokenizer, steps: EvalStep[], opts: GenerationEvalOptions): Promise<GenerationEval> {
  const batchSize = opts.batchSize ?? 16;
  const outputs: string[] = new Array(steps.length);
  let tokens = 0;
  let seconds = 0;
  // Similar prompt lengths together: less left padding in each batch.
  const prompts = steps.map((s) => tokenizePrompt(tok, s.prompt, { tools: opts.renderTools ?? s.prompt.tools ?? opts.tools }));
  const order = prompts.map((_, i) => i).sort((a, b) => prompts[a].length - prompts[b].length);
  for (let i = 0; i < order.length; i += batchSize) {
    if (opts.signal?.aborted) throw new Error('evaluation aborted');
    const idx = order.slice(i, i + batchSize);
    const t0 = performance.now();
    const result = await generate(
      model,
      idx.map((k) => prompts[k]),
      { maxNewTokens: opts.maxNewTokens ?? 96, temperature: 0, topK: 0, topP: 1, stopTokens: tok.stopIds, stopStrings: [], seed: 0 },
      { signal: opts.signal },
    );
    seconds += (performance.now() - t0) / 1000;
    idx.forEach((k, j) => {
      const ids = result.tokens[j].filter((t) => !tok.stopIds.includes(t));
      tokens += result.tokens[j].length;
      outputs[k] = tok.decode(ids);
    });
    opts.onProgress?.(Math.min(i + batchSize, order.length), order.length);
  }
  // Steps of one conversation form one record: its chain is right only if every step is.
  const records = new Map<string, EvalRecord & { predicted: string[] }>();
  steps.forEach((s, k) => {
    let r = records.get(s.id);
    if (!r) records.set(s.id, (r = { id: s.id, expected: [], predicted: [] }));
    r.expected.push(s.expected);
    r.predicted.push(outputs[k]);
  });
  const report = scoreRecords([...records.values()], { tools: opts.tools, environment: opts.environment });
  return { report, outputs, steps, tokensPerSecond: tokens / Math.max(1e-9, seconds) };
}

export function evalSummary(step: number, r: EvalReport): EvalMetrics {
  return {
    step,
    examples: r.counts.records,
    toolAccuracy: r.metrics.toolAccuracy ?? 0,
    chainSuccess: r.metrics.chainSuccess ?? 0,
    formatValidity: r.metrics.formatValidity ?? 0,
  };
}
