// The evaluation report: did the model call the right tools, with the right arguments, in the right
// order? A plain function over records `{id, expected: steps of gold calls, predicted: text or calls}`,
// used by the CLI, the studio's Evaluate page and the trainers (on generations).

import { parseModelOutput, type OutputFormat } from '../tools/parse-output.ts';
import type { ToolCall, ToolDefinition } from '../tools/types.ts';
import { ArgumentValidator } from '../tools/validate-args.ts';
import { canonicalJson, type ToolEnvironment } from '../tools/environment.ts';
import { GoldMatcher, jsonEqual, maxMatching, type GoldCall } from './match.ts';
import { defaultKs, passAtK, passHatK } from './pass-at-k.ts';

/** What a model produced: raw text (one step, or one per step) or decoded calls (one step, or per step). */
export type PredictedInput = string | string[] | ToolCall[] | ToolCall[][];

export interface EvalRecord {
  id: string;
  /** Several records with the same id and different samples feed pass@k / pass^k. */
  sample?: number;
  /** Gold calls per step; `[[]]` = one step where no tool is needed. Steps are in dependency order. */
  expected: GoldCall[][];
  predicted: PredictedInput;
  /** This record's tool set (else the scorer's). */
  tools?: ToolDefinition[];
}

export interface ScoreOptions {
  tools?: readonly ToolDefinition[];
  /** Executors for "execution success" and the chain's final-state check. */
  environment?: ToolEnvironment;
  /** k values for pass@k / pass^k (default 1, 2, 4, ... up to the samples per id). */
  ks?: number[];
}

export const NO_TOOL = '(none)';

export interface StepResult {
  expected: GoldCall[];
  predicted: ToolCall[];
  /** Format of the text, or null when calls were given decoded. */
  format: OutputFormat | null;
  formatError?: string;
  correct: boolean;
  /** Gold calls matched by a fully correct predicted call. */
  matched: number;
  /** Which gold calls (indices into `expected`) those are. */
  matchedGold: number[];
  errors: string[];
}

export interface RecordResult {
  id: string;
  sample?: number;
  steps: StepResult[];
  chainSuccess: boolean;
  /** Whether the predicted chain ends in the reference chain's state; null when it could not be executed. */
  stateMatch: boolean | null;
  executionErrors: string[];
  /** This record's share of every metric's numerator and denominator (metrics over any subset: metricsOf). */
  counts: RecordCounts;
}

/** What one record adds to each metric: the metrics are ratios of these sums over records (micro-averages). */
export interface RecordCounts {
  expectedCalls: number;
  predictedCalls: number;
  matched: number;
  nameMatched: number;
  exactMatched: number;
  argCorrect: number;
  argPred: number;
  argGold: number;
  textSteps: number;
  validTextSteps: number;
  schemaChecked: number;
  schemaValid: number;
  executed: number;
  executedOk: number;
  steps: number;
  correctSteps: number;
  noToolSteps: number;
  noToolRight: number;
  intentRight: number;
  /** 1 when the chain succeeded. */
  chains: number;
}

const COUNT_KEYS = [
  'expectedCalls', 'predictedCalls', 'matched', 'nameMatched', 'exactMatched', 'argCorrect', 'argPred', 'argGold', 'textSteps', 'validTextSteps',
  'schemaChecked', 'schemaValid', 'executed', 'executedOk', 'steps', 'correctSteps', 'noToolSteps', 'noToolRight', 'intentRight', 'chains',
] as const satisfies readonly (keyof RecordCounts)[];

function zeroCounts(): RecordCounts {
  return Object.fromEntries(COUNT_KEYS.map((k) => [k, 0])) as unknown as RecordCounts;
}

/** Sums of the records' counts. */
export function sumCounts(records: readonly { counts: RecordCounts }[]): RecordCounts {
  const total = zeroCounts();
  for (const r of records) for (const k of COUNT_KEYS) total[k] += r.counts[k];
  return total;
}

/** The metrics of summed counts over `records` records (what scoreRecords reports, for any subset or resample). */
export function metricsFromCounts(c: RecordCounts, records: number): Metrics {
  const precision = ratio(c.argCorrect, c.argPred);
  const recall = ratio(c.argCorrect, c.argGold);
  return {
    toolAccuracy: ratio(c.matched, c.expectedCalls),
    chainSuccess: ratio(c.chains, records),
    stepAccuracy: ratio(c.correctSteps, c.steps),
    toolNameAccuracy: ratio(c.nameMatched, c.expectedCalls),
    exactArgumentMatch: ratio(c.exactMatched, c.expectedCalls),
    argumentPrecision: precision,
    argumentRecall: recall,
    argumentF1: precision !== null && recall !== null ? (precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0) : null,
    formatValidity: ratio(c.validTextSteps, c.textSteps),
    schemaValidity: ratio(c.schemaValid, c.schemaChecked),
    executionSuccess: ratio(c.executedOk, c.executed),
    noToolAccuracy: ratio(c.noToolRight, c.noToolSteps),
    intentAccuracy: ratio(c.intentRight, c.steps),
  };
}

/** The metrics of a set of scored records. */
export function metricsOf(records: readonly RecordResult[]): Metrics {
  return metricsFromCounts(sumCounts(records), records.length);
}

export interface Metrics {
  toolAccuracy: number | null;
  chainSuccess: number | null;
  stepAccuracy: number | null;
  toolNameAccuracy: number | null;
  exactArgumentMatch: number | null;
  argumentPrecision: number | null;
  argumentRecall: number | null;
  argumentF1: number | null;
  formatValidity: number | null;
  schemaValidity: number | null;
  executionSuccess: number | null;
  noToolAccuracy: number | null;
  intentAccuracy: number | null;
}

export interface PerTool {
  name: string;
  expected: number;
  predicted: number;
  /** Expected calls answered by a call of the same name. */
  nameHits: number;
  /** Expected calls answered by a fully correct call. */
  correct: number;
  accuracy: number | null;
}

export interface EvalReport {
  counts: { records: number; ids: number; steps: number; expectedCalls: number; predictedCalls: number; noToolSteps: number };
  metrics: Metrics;
  passAtK: { k: number; ids: number; passAtK: number; passHatK: number }[];
  perTool: PerTool[];
  /** Rows: expected tool (or NO_TOOL = a spurious call); columns: predicted tool (or NO_TOOL = missed). */
  confusion: { labels: string[]; matrix: number[][] };
  records: RecordResult[];
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);

function isCallArray(v: unknown): v is ToolCall[] {
  return Array.isArray(v) && v.every((x) => x !== null && typeof x === 'object' && !Array.isArray(x) && typeof (x as ToolCall).name === 'string');
}

/** Normalises any PredictedInput to per-step entries. */
function predictedSteps(p: PredictedInput): { text?: string; calls?: ToolCall[] }[] {
  if (typeof p === 'string') return [{ text: p }];
  if (p.length === 0) return [{ calls: [] }];
  if (p.every((x) => typeof x === 'string')) return (p as string[]).map((text) => ({ text }));
  if (isCallArray(p)) return [{ calls: p }];
  if (p.every((x) => isCallArray(x))) return (p as ToolCall[][]).map((calls) => ({ calls }));
  throw new Error('predicted must be a string, a list of strings, a list of calls, or a list of steps of calls');
}

/** Scores records into the full report. */
export function scoreRecords(records: readonly EvalRecord[], opts: ScoreOptions = {}): EvalReport {
  const validators = new Map<readonly ToolDefinition[], ArgumentValidator>();
  const validatorFor = (tools: readonly ToolDefinition[] | undefined) => {
    if (!tools) return undefined;
    let v = validators.get(tools);
    if (!v) validators.set(tools, (v = new ArgumentValidator(tools)));
    return v;
  };

  const perTool = new Map<string, PerTool>();
  const tool = (name: string) => {
    let t = perTool.get(name);
    if (!t) perTool.set(name, (t = { name, expected: 0, predicted: 0, nameHits: 0, correct: 0, accuracy: null }));
    return t;
  };
  const confusion = new Map<string, number>();
  const confuse = (g: string, p: string) => confusion.set(`${g}\u0000${p}`, (confusion.get(`${g}\u0000${p}`) ?? 0) + 1);
  const results: RecordResult[] = [];

  for (const rec of records) {
    const tools = rec.tools ?? opts.tools;
    const byName = new Map((tools ?? []).map((t) => [t.function.name, t]));
    const validator = validatorFor(tools);
    const pSteps = predictedSteps(rec.predicted);
    const nSteps = Math.max(rec.expected.length, pSteps.length);
    const stepResults: StepResult[] = [];
    const c = zeroCounts();

    for (let s = 0; s < nSteps; s++) {
      const gold = rec.expected[s] ?? [];
      const ps = pSteps[s] ?? { calls: [] };
      let format: OutputFormat | null = null;
      let formatError: string | undefined;
      let pred: ToolCall[];
      if (ps.text !== undefined) {
        const parsed = parseModelOutput(ps.text);
        format = parsed.format;
        formatError = parsed.error?.message;
        pred = parsed.calls;
        c.textSteps++;
        if (!parsed.error) c.validTextSteps++;
      } else {
        pred = ps.calls ?? [];
      }
      const errors: string[] = [];
      if (formatError) errors.push(`format: ${formatError}`);

      const matchers = gold.map((g) => new GoldMatcher(g, byName.get(g.name)));
      const verdicts = matchers.map((m) => pred.map((p) => m.check(p)));
      const full = maxMatching(gold.length, pred.length, (g, p) => verdicts[g][p].valid);
      const names = maxMatching(gold.length, pred.length, (g, p) => gold[g].name === pred[p].name);
      const exact = maxMatching(gold.length, pred.length, (g, p) => gold[g].name === pred[p].name && jsonEqual(gold[g].arguments, pred[p].arguments));
      const correct = !formatError && gold.length === pred.length && full.length === gold.length;

      // Alignment for argument counts and the confusion table: full matches, then same-name pairs, then leftovers in order.
      const usedG = new Set(full.map(([g]) => g));
      const usedP = new Set(full.map(([, p]) => p));
      const pairs: [number, number][] = [...full];
      for (const [g, p] of names) {
        if (usedG.has(g) || usedP.has(p)) continue;
        pairs.push([g, p]);
        usedG.add(g);
        usedP.add(p);
      }
      const restG = gold.map((_, g) => g).filter((g) => !usedG.has(g));
      const restP = pred.map((_, p) => p).filter((p) => !usedP.has(p));
      for (const [g, p] of pairs) {
        for (const [param, v] of Object.entries(pred[p].arguments)) if (matchers[g].argumentCorrect(param, v)) c.argCorrect++;
        confuse(gold[g].name, pred[p].name);
      }
      for (let i = 0; i < Math.max(restG.length, restP.length); i++) {
        const g = restG[i];
        const p = restP[i];
        confuse(g !== undefined ? gold[g].name : NO_TOOL, p !== undefined ? pred[p].name : NO_TOOL);
      }
      if (gold.length === 0 && pred.length === 0) confuse(NO_TOOL, NO_TOOL);

      for (const g of gold) {
        tool(g.name).expected++;
        c.argGold += Object.keys(g.arguments).length;
      }
      for (const p of pred) {
        tool(p.name).predicted++;
        c.argPred += Object.keys(p.arguments).length;
        if (validator) {
          c.schemaChecked++;
          const v = validator.check(p);
          if (v.valid) c.schemaValid++;
          else errors.push(...v.errors.map((e) => `schema: ${e.message}`));
        }
      }
      for (const [g] of names) tool(gold[g].name).nameHits++;
      for (const [g] of full) tool(gold[g].name).correct++;
      for (const g of restG) {
        const why = pred.length === 0 ? 'no call' : verdicts[g].map((v) => v.errors.join(' ')).find((e) => e) ?? 'no matching call';
        errors.push(`${gold[g].name}: ${why}`);
      }
      for (const p of restP) errors.push(`unexpected call ${pred[p].name}`);
      if (gold.length !== pred.length) errors.push(`expected ${gold.length} call(s), got ${pred.length}`);

      c.expectedCalls += gold.length;
      c.predictedCalls += pred.length;
      c.matched += full.length;
      c.nameMatched += names.length;
      c.exactMatched += exact.length;
      c.steps++;
      if (correct) c.correctSteps++;
      if (gold.length === 0) {
        c.noToolSteps++;
        if (pred.length === 0) c.noToolRight++;
      }
      if ((gold.length === 0) === (pred.length === 0)) c.intentRight++;
      stepResults.push({ expected: gold, predicted: pred, format, ...(formatError ? { formatError } : {}), correct, matched: full.length, matchedGold: full.map(([g]) => g).sort((a, b) => a - b), errors });
    }

    // Execution: the predicted chain on a fresh world (success per call), and the reference chain on another.
    let stateMatch: boolean | null = null;
    const executionErrors: string[] = [];
    const env = opts.environment;
    if (env) {
      const predWorld = env.create();
      for (const st of stepResults) {
        for (const call of st.predicted) {
          c.executed++;
          const r = predWorld.execute(call);
          if (r.ok) c.executedOk++;
          else executionErrors.push(r.error.message);
        }
      }
      const refExecutable = rec.expected.every((st) => st.every((g) => env.toolNames.has(g.name)));
      if (refExecutable) {
        const refWorld = env.create();
        for (const st of rec.expected) for (const g of st) refWorld.execute({ name: g.name, arguments: g.arguments });
        stateMatch = canonicalJson(refWorld.snapshot()) === canonicalJson(predWorld.snapshot());
      }
    }
    const chainSuccess = stepResults.every((s) => s.correct) && stateMatch !== false;
    if (chainSuccess) c.chains = 1;
    results.push({ id: rec.id, ...(rec.sample !== undefined ? { sample: rec.sample } : {}), steps: stepResults, chainSuccess, stateMatch, executionErrors, counts: c });
  }

  const total = sumCounts(results);
  const metrics = metricsFromCounts(total, results.length);

  for (const t of perTool.values()) t.accuracy = ratio(t.correct, t.expected);
  const labels = [...[...perTool.keys()].sort(), NO_TOOL];
  const matrix = labels.map((g) => labels.map((p) => confusion.get(`${g}\u0000${p}`) ?? 0));

  return {
    counts: { records: records.length, ids: new Set(records.map((r) => r.id)).size, steps: total.steps, expectedCalls: total.expectedCalls, predictedCalls: total.predictedCalls, noToolSteps: total.noToolSteps },
    metrics,
    passAtK: passAtKTable(results, opts.ks),
    perTool: [...perTool.values()].sort((a, b) => b.expected - a.expected || a.name.localeCompare(b.name)),
    confusion: { labels, matrix },
    records: results,
  };
}

/** pass@k / pass^k over ids with several samples (a sample counts as a success when its chain succeeds). */
function passAtKTable(results: readonly RecordResult[], ks?: number[]): EvalReport['passAtK'] {
  const byId = new Map<string, { n: number; c: number }>();
  for (const r of results) {
    const e = byId.get(r.id) ?? { n: 0, c: 0 };
    e.n++;
    if (r.chainSuccess) e.c++;
    byId.set(r.id, e);
  }
  const maxN = Math.max(0, ...[...byId.values()].map((e) => e.n));
  if (maxN < 2) return [];
  return (ks ?? defaultKs(maxN)).map((k) => {
    const groups = [...byId.values()].filter((e) => e.n >= k);
    const mean = (f: (e: { n: number; c: number }) => number) => groups.reduce((s, e) => s + f(e), 0) / Math.max(1, groups.length);
    return { k, ids: groups.length, passAtK: mean((e) => passAtK(e.n, e.c, k)), passHatK: mean((e) => passHatK(e.n, e.c, k)) };
  });
}
