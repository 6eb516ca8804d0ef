// `npm run eval -- --model DIR|builtin:tiny ...`: loads a model, lets it generate, and scores what it wrote.
//   --model M --data FILE.jsonl [--mode free|teacher-forced|both] [--report OUT.json] [--pred-out P.jsonl] ...
//     free (default): chains run on the model's own calls and their results from the mock world (episode runner);
//     teacher-forced: every step from the reference history. Prints tool-level accuracy, chain-level success and
//     format validity; --pred-out writes the outputs as a predictions file `--gold FILE --pred P` scores identically.
//   --model M --bfcl DIR --category C[,C...]: BFCL's questions and function docs rendered with the model's chat
//     template (src/eval/bfcl/bfcl-prompts.ts), one greedy turn each (src/train/bfcl-generation.ts), its calls decoded
//     and scored by our BFCL checker.
// M is builtin:tiny, a model folder (config.json + weights + tokenizer: a hub download, a full fine-tuning output),
// or a PEFT adapter folder (a LoRA output) whose adapter_config.json names its base (or --base DIR); an adapter whose
// base is itself an adapter folder (RL on a LoRA SFT output) is merged after it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Engine } from '../engine/index.ts';
import { openNodeDevice } from '../gpu/node-gpu.ts';
import { folderProvider } from '../model/node-files.ts';
import { formatReport } from '../eval/format-report.ts';
import { evaluationFile, headlineLines, type EvalMode, type ModelEvaluation } from '../eval/model-evaluation.ts';
import { samplingHeadroom, samplingHeadroomLines, type SampledRun, type SamplingHeadroom } from '../eval/sampling-headroom.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../tools/enterprise/tool-set.ts';
import { loadToolSet } from '../tools/tool-set.ts';
import { readBfclCases, readBfclQuestions } from '../eval/bfcl/bfcl-data.ts';
import { decodeBfclOutput, scoreBfcl, scoreBfclIrrelevance, type BfclReport } from '../eval/bfcl/score-bfcl.ts';
import { answerBfcl } from '../train/bfcl-generation.ts';
import { loadInferenceModel } from '../train/load-eval-model.ts';
import { evaluateModel, predictionLines } from '../train/model-eval.ts';
import type { LoadedModel } from '../model/load.ts';
import { readDatasets } from './cli-inputs.ts';
import { resolveModel, type ResolvedModel } from './model-folders.ts';

type Args = Map<string, string | true>;

export const MODEL_USAGE = `  npm run eval -- --model DIR|builtin:tiny --data FILE.jsonl [--mode free|teacher-forced|both] [--report OUT.json] [--pred-out PRED.jsonl]
                 [--base DIR] [--tools T.json|OPENAPI.yaml] [--no-exec] [--limit N] [--batch N] [--max-new-tokens N]
                 [--max-tool-turn-tokens N] [--samples N [--temperature T]] [--prompt-tools listed|none] [--chat-template model|compact]
  npm run eval -- --model DIR|builtin:tiny --bfcl DIR --category simple_python[,multiple,parallel,parallel_multiple,irrelevance] [--report OUT.json] [--limit N] [--underscore-to-dot]`;

function str(args: Args, key: string): string | undefined {
  const v = args.get(key);
  if (v === true) throw new Error(`--${key} needs a value\n${MODEL_USAGE}`);
  return v;
}

function int(args: Args, key: string, dflt: number): number {
  const v = str(args, key);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${key} must be a positive integer, got "${v}"`);
  return n;
}

function positive(args: Args, key: string): number {
  const v = str(args, key);
  const n = Number(v);
  if (!(Number.isFinite(n) && n > 0)) throw new Error(`--${key} must be a number above 0, got "${v}"`);
  return n;
}

function oneOf<T extends string>(args: Args, key: string, values: readonly T[], dflt: T): T {
  const v = str(args, key) ?? dflt;
  if (!(values as readonly string[]).includes(v)) throw new Error(`--${key} must be one of ${values.join(', ')}, got "${v}"`);
  return v as T;
}

async function withModel<T>(args: Args, fn: (loaded: LoadedModel, m: ResolvedModel, label: string) => Promise<T>): Promise<T> {
  const name = str(args, 'model')!;
  const m = resolveModel(name, {
    base: str(args, 'base'),
    promptTools: args.has('prompt-tools') ? oneOf<'listed' | 'none'>(args, 'prompt-tools', ['listed', 'none'], 'listed') : undefined,
    chatTemplate: args.has('chat-template') ? oneOf<'model' | 'compact'>(args, 'chat-template', ['model', 'compact'], 'model') : undefined,
  });
  const ctx = await openNodeDevice();
  try {
    const engine = new Engine(ctx);
    const loaded = await loadInferenceModel(engine, folderProvider(m.base), m.adapters.map(folderProvider), { chatTemplate: m.chatTemplate });
    const label = m.adapters.length ? `${m.base} + ${m.adapters.join(' + ')}` : m.base;
    console.log(`model: ${label} on ${ctx.report.name} (prompts ${m.promptTools === 'none' ? 'list no tools' : 'list the tools'})`);
    return await fn(loaded, m, label);
  } finally {
    ctx.device.destroy();
  }
}

async function runDataEval(args: Args): Promise<void> {
  const dataFile = str(args, 'data')!;
  const modes: EvalMode[] = (() => {
    const v = oneOf(args, 'mode', ['free', 'teacher-forced', 'both'], 'free');
    return v === 'both' ? ['free', 'teacher-forced'] : [v];
  })();
  const toolsFile = str(args, 'tools');
  const tools = toolsFile ? loadToolSet(readFileSync(toolsFile, 'utf8'), toolsFile).tools : [...ENTERPRISE_TOOLS];
  // The mock world runs only the sample tools.
  const environment = args.has('no-exec') || toolsFile ? undefined : enterpriseEnvironment();
  const limit = args.has('limit') ? int(args, 'limit', 1) : Infinity;
  const examples = readDatasets([dataFile], tools).slice(0, limit);
  const maxNewTokens = int(args, 'max-new-tokens', 96);
  // As an RL config's max_tool_turn_tokens, so a run's chains can be scored under the cap they trained with.
  const maxToolTurnTokens = args.has('max-tool-turn-tokens') ? int(args, 'max-tool-turn-tokens', 512) : undefined;
  if (maxToolTurnTokens !== undefined && !modes.includes('free')) throw new Error('--max-tool-turn-tokens applies to --mode free (teacher-forced turns carry the reference results)');
  // --samples N: N sampled free runs beside the greedy one, for pass@k and how many greedy failures a sample gets right.
  const samples = args.has('samples') ? int(args, 'samples', 1) : 0;
  const temperature = args.has('temperature') ? positive(args, 'temperature') : 1;
  if (args.has('temperature') && !samples) throw new Error('--temperature applies to --samples N (the headline figures are greedy)');
  if (samples && !modes.includes('free')) throw new Error('--samples applies to --mode free');
  let headroom: SamplingHeadroom | undefined;
  const evaluations = await withModel(args, async ({ model, tokenizer }, m, label) => {
    const out: ModelEvaluation[] = [];
    const common = { tools, renderTools: m.promptTools === 'none' ? [] : undefined, environment, batchSize: int(args, 'batch', 16), maxNewTokens, maxToolTurnTokens };
    for (const mode of modes) {
      const r = await evaluateModel(model, tokenizer, examples, {
        ...common, mode,
        onProgress: (p) => process.stderr.write(`\r${mode}: ${p.done}/${p.total}${p.etaSeconds !== null ? `, ${Math.round(p.etaSeconds)} s left` : ''}   `),
      });
      process.stderr.write('\n');
      if (mode === 'free' && samples) {
        const runs: SampledRun[] = [];
        for (let s = 0; s < samples; s++) {
          const sampled = await evaluateModel(model, tokenizer, examples, {
            ...common, mode, temperature, seed: s + 1,
            onProgress: (p) => process.stderr.write(`\rsample ${s + 1}/${samples}: ${p.done}/${p.total}   `),
          });
          runs.push({ toolAccuracy: sampled.report.metrics.toolAccuracy, records: sampled.report.records });
        }
        process.stderr.write('\n');
        headroom = samplingHeadroom(r.report.records, runs, temperature);
      }
      out.push({
        id: `${mode}-${Date.now().toString(36)}`, createdAt: Date.now(), model: { label, source: str(args, 'model')! },
        dataset: { label: dataFile, examples: examples.length }, mode,
        settings: { maxNewTokens, ...(mode === 'free' && maxToolTurnTokens !== undefined && { maxToolTurnTokens }), promptTools: m.promptTools, executed: !!environment },
        report: r.report, outputs: r.outputs, tokensPerSecond: r.tokensPerSecond, seconds: r.seconds,
      });
    }
    return out;
  });
  for (const ev of evaluations) {
    const c = ev.report.counts;
    console.log(`\n${ev.mode} (${c.records} examples, ${c.steps} steps, ${Math.round(ev.tokensPerSecond)} tok/s, ${ev.seconds.toFixed(1)} s)`);
    if (args.has('table')) console.log(formatReport(ev.report));
    for (const line of headlineLines(ev.report)) console.log(line);
    if (ev.mode === 'free' && headroom) for (const line of samplingHeadroomLines(headroom)) console.log(line);
  }
  const predOut = str(args, 'pred-out');
  if (predOut) {
    writeFileSync(predOut, predictionLines(evaluations[0].outputs));
    console.log(`\npredictions (${evaluations[0].mode}): ${predOut}  (npm run eval -- --gold ${dataFile} --pred ${predOut} scores them)`);
  }
  const reportFile = str(args, 'report') ?? 'eval-model-report.json';
  writeFileSync(reportFile, JSON.stringify({ ...evaluationFile(evaluations), ...(headroom && { sampling: headroom }) }, null, 1));
  console.log(`report: ${resolve(reportFile)}`);
}

/** BFCL on a model: generate for each category's questions, decode, score with our BFCL checker. */
async function runBfclEval(args: Args): Promise<void> {
  const dir = str(args, 'bfcl')!;
  const categories = (str(args, 'category') ?? '').split(',').filter(Boolean);
  if (!categories.length) throw new Error(`--bfcl needs --category\n${MODEL_USAGE}`);
  const limit = args.has('limit') ? int(args, 'limit', 1) : Infinity;
  const inputs = categories.map((cat) => {
    const q = join(dir, `BFCL_v4_${cat}.json`);
    if (!existsSync(q)) throw new Error(`${q} does not exist (categories: simple_python, multiple, parallel, parallel_multiple, irrelevance)`);
    const questions = readBfclQuestions(readFileSync(q, 'utf8'), q).slice(0, limit);
    const a = join(dir, 'possible_answer', `BFCL_v4_${cat}.json`);
    const cases = cat === 'irrelevance' ? null : readBfclCases(readFileSync(q, 'utf8'), readFileSync(a, 'utf8'), q, a).slice(0, limit);
    return { cat, questions, cases };
  });
  const results = await withModel(args, async ({ model, tokenizer }) => {
    const out: { category: string; report: BfclReport; outputs: Record<string, string> }[] = [];
    for (const { cat, questions, cases } of inputs) {
      const texts = await answerBfcl(model, tokenizer, questions, {
        batchSize: int(args, 'batch', 8), maxNewTokens: int(args, 'max-new-tokens', 256),
        onProgress: (d, t) => process.stderr.write(`\r${cat}: ${d}/${t}   `),
      });
      process.stderr.write('\n');
      const predictions = new Map([...texts].map(([id, text]) => [id, decodeBfclOutput(id, text)]));
      const report = cases ? scoreBfcl(cases, predictions, { underscoreToDot: args.has('underscore-to-dot') }) : scoreBfclIrrelevance(questions.map((q) => q.id), predictions);
      out.push({ category: cat, report, outputs: Object.fromEntries(texts) });
    }
    return out;
  });
  for (const { report: { summary: s } } of results) {
    console.log(`${s.category.padEnd(18)} ${s.correct}/${s.total} = ${(s.accuracy * 100).toFixed(2)}%  (undecodable ${s.undecodable})`);
  }
  const reportFile = str(args, 'report') ?? 'bfcl-model-report.json';
  writeFileSync(reportFile, JSON.stringify({ model: str(args, 'model'), summary: results.map((r) => r.report.summary), categories: results }, null, 1));
  console.log(`report: ${resolve(reportFile)}`);
}

export async function runModelEval(args: Args): Promise<void> {
  if (args.has('bfcl')) await runBfclEval(args);
  else if (args.has('data')) await runDataEval(args);
  else throw new Error(`--model needs --data FILE.jsonl or --bfcl DIR\n${MODEL_USAGE}`);
}
