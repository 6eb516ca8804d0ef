// `npm run eval`: score predictions, or preference pairs with a reward model. Three modes:
//   --gold GOLD.jsonl --pred PRED.jsonl [--tools TOOLS.json|openapi.yaml] [--report OUT.json] [--no-exec]
//   --bfcl DIR --category simple_python[,multiple,...] --pred PRED.jsonl [--report OUT.json] [--underscore-to-dot]
//   --reward-model DIR --data PAIRS.jsonl [--base MODEL_DIR] [--report OUT.json]
//   --compare BASE.json OTHER.json ...: model reports compared example by example (src/eval/compare.ts)
// Prints a table (or BFCL's summary, or pair accuracy) and writes the JSON report.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Engine } from '../engine/index.ts';
import { openNodeDevice } from '../gpu/node-gpu.ts';
import { evaluatePreferences } from '../train/rm-score.ts';
import { openRewardModel, trainedWith } from './model-folders.ts';
import { readDatasets, readTools } from './cli-inputs.ts';
import { formatPreferenceReport } from './rm-report.ts';
import { readBfclCases, readBfclIds } from '../eval/bfcl/bfcl-data.ts';
import { readBfclPredictions, scoreBfcl, scoreBfclIrrelevance } from '../eval/bfcl/score-bfcl.ts';
import { scoreRecords } from '../eval/metrics.ts';
import { compareEvaluations } from '../eval/compare.ts';
import { formatComparison } from '../eval/format-comparison.ts';
import { formatReport } from '../eval/format-report.ts';
import { readEvaluationFile } from '../eval/model-evaluation.ts';
import { formatProblem, joinRecords, readGold, readPredictions } from '../eval/read-records.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../tools/enterprise/tool-set.ts';
import { loadToolSet } from '../tools/tool-set.ts';
import { MODEL_USAGE, runModelEval } from './eval-model.ts';
import { parseFlags } from './flags.ts';

const USAGE = `usage:
  npm run eval -- --gold GOLD.jsonl --pred PRED.jsonl [--tools TOOLS.json|OPENAPI.yaml] [--report OUT.json] [--no-exec]
  npm run eval -- --bfcl DIR --category simple_python[,multiple,parallel,parallel_multiple,irrelevance] --pred PRED.jsonl [--report OUT.json] [--underscore-to-dot]
  npm run eval -- --reward-model DIR --data PAIRS.jsonl [--base MODEL_DIR] [--report OUT.json]
  npm run eval -- --compare BASE.json OTHER.json [MORE.json ...]
    reports of npm run eval -- --model (or the studio's Evaluate page): the first evaluation of each, paired by example,
    every metric's difference from BASE with a paired test (McNemar for chain-level success, a bootstrap otherwise)
    DIR: what \`npm run train -- rm\` wrote (a SEQ_CLS adapter or a full reward model), or any PEFT SEQ_CLS adapter
    folder (then --base names its base model folder unless its adapter_config.json names a local one)
${MODEL_USAGE}`;

// Every flag of every mode; the modes check which they need. Numbers and choices are checked where they are read.
const FLAGS = {
  model: 'string', data: 'string', mode: 'string', report: 'string', 'pred-out': 'string', base: 'string', tools: 'string',
  'no-exec': 'boolean', limit: 'string', batch: 'string', 'max-new-tokens': 'string', 'max-tool-turn-tokens': 'string', samples: 'string', temperature: 'string', 'prompt-tools': 'string',
  'chat-template': 'string', table: 'boolean', bfcl: 'string', category: 'string', 'underscore-to-dot': 'boolean',
  gold: 'string', pred: 'string', 'reward-model': 'string',
} as const;

/** The flags given, by name (a boolean flag maps to true). */
function parseArgs(argv: string[]): Map<string, string | true> {
  const { flags, given } = parseFlags('eval', argv, FLAGS, USAGE);
  return new Map([...given].map((name) => [name, flags[name] as string | true]));
}

function str(args: Map<string, string | true>, key: string): string | undefined {
  const v = args.get(key);
  if (v === true) throw new Error(`--${key} needs a value\n${USAGE}`);
  return v;
}

function runBfcl(args: Map<string, string | true>): void {
  const dir = str(args, 'bfcl')!;
  const categories = (str(args, 'category') ?? '').split(',').filter(Boolean);
  const predFile = str(args, 'pred');
  if (!categories.length || !predFile) throw new Error(`--bfcl needs --category and --pred\n${USAGE}`);
  const problems: string[] = [];
  const predictions = readBfclPredictions(readFileSync(predFile, 'utf8'), predFile, problems);
  for (const p of problems) console.error(`skipped ${p}`);
  const reports = categories.map((cat) => {
    const q = `${dir}/BFCL_v4_${cat}.json`;
    if (cat === 'irrelevance') return scoreBfclIrrelevance(readBfclIds(readFileSync(q, 'utf8'), q), predictions);
    const a = `${dir}/possible_answer/BFCL_v4_${cat}.json`;
    const cases = readBfclCases(readFileSync(q, 'utf8'), readFileSync(a, 'utf8'), q, a);
    return scoreBfcl(cases, predictions, { underscoreToDot: args.has('underscore-to-dot') });
  });
  for (const r of reports) {
    const s = r.summary;
    console.log(`${s.category.padEnd(18)} ${s.correct}/${s.total} = ${(s.accuracy * 100).toFixed(2)}%  (missing ${s.missing}, undecodable ${s.undecodable})`);
  }
  const out = reports.length === 1 ? reports[0] : { summary: reports.map((r) => r.summary), cases: reports.flatMap((r) => r.cases) };
  const reportFile = str(args, 'report') ?? 'bfcl-report.json';
  writeFileSync(reportFile, JSON.stringify(out, null, 1));
  console.log(`report: ${reportFile}`);
}

function runGold(args: Map<string, string | true>): void {
  const goldFile = str(args, 'gold')!;
  const predFile = str(args, 'pred');
  if (!predFile) throw new Error(`--gold needs --pred\n${USAGE}`);
  const { gold, problems: gp } = readGold(readFileSync(goldFile, 'utf8'), goldFile);
  const { preds, problems: pp } = readPredictions(readFileSync(predFile, 'utf8'), predFile);
  for (const p of [...gp, ...pp]) console.error(`skipped ${formatProblem(p)}`);
  const toolsFile = str(args, 'tools');
  const tools = toolsFile ? loadToolSet(readFileSync(toolsFile, 'utf8'), toolsFile).tools : ENTERPRISE_TOOLS;
  // The enterprise executors only make sense for the enterprise tools.
  const environment = args.has('no-exec') || toolsFile ? undefined : enterpriseEnvironment();
  const { records, missing, unknown } = joinRecords(gold, preds);
  if (missing.length) console.error(`${missing.length} gold id(s) have no prediction (scored as no call): ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
  if (unknown.length) console.error(`${unknown.length} prediction id(s) are not in the gold file (ignored): ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', ...' : ''}`);
  const report = scoreRecords(records, { tools, environment });
  console.log(formatReport(report));
  const reportFile = str(args, 'report') ?? 'eval-report.json';
  writeFileSync(reportFile, JSON.stringify({ ...report, problems: [...gp, ...pp].map(formatProblem), missing, unknown }, null, 1));
  console.log(`\nreport: ${reportFile}`);
}

async function runRewardModel(args: Map<string, string | true>): Promise<void> {
  const dir = str(args, 'reward-model')!;
  const dataFile = str(args, 'data');
  if (!dataFile) throw new Error(`--reward-model needs --data PAIRS.jsonl\n${USAGE}`);
  if (!existsSync(dir)) throw new Error(`--reward-model ${dir}: no such folder (train one with npm run train -- rm, or npm run demo:rm)`);
  const trained = trainedWith(dir);
  const tools = readTools(str(args, 'tools') ?? (typeof trained.tools_file === 'string' ? trained.tools_file : 'public/tools/enterprise_tools.json'));
  const data = readDatasets([dataFile], tools, (l) => console.error(l));
  const ctx = await openNodeDevice();
  const engine = new Engine(ctx);
  const rm = await openRewardModel(engine, dir, tools, str(args, 'base'));
  const base = rm.base;
  console.error(`reward model: ${dir}${base ? ` on ${base}` : ''} (${ctx.report.name})`);
  const t0 = performance.now();
  const report = await evaluatePreferences(rm, data, {
    margin: typeof trained.margin === 'number' ? trained.margin : 0,
    centerCoef: typeof trained.center_rewards_coefficient === 'number' ? trained.center_rewards_coefficient : 0,
  });
  console.log(formatPreferenceReport(report));
  console.error(`${report.pairs.length} pairs scored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const reportFile = str(args, 'report');
  if (reportFile) {
    writeFileSync(reportFile, JSON.stringify({ rewardModel: dir, base: base ?? null, data: dataFile, ...report }, null, 1));
    console.log(`\nreport: ${reportFile}`);
  }
  ctx.device.destroy();
}

/** Reports compared on the examples they share; the files are the arguments after --compare. */
function runCompare(files: string[]): void {
  if (files.length < 2) throw new Error(`--compare needs two report files or more\n${USAGE}`);
  const evaluations = files.map((f) => {
    if (!existsSync(f)) throw new Error(`--compare ${f}: no such file (write one with npm run eval -- --model DIR --data FILE --report ${f})`);
    const evs = readEvaluationFile(readFileSync(f, 'utf8'), f);
    if (!evs.length) throw new Error(`${f}: holds no evaluation`);
    return { ...evs[0], model: { ...evs[0].model, label: `${evs[0].model.label} (${f}, ${evs[0].mode})` } };
  });
  console.log(formatComparison(compareEvaluations(evaluations)));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--compare') return runCompare(argv.slice(1));
  const args = parseArgs(argv);
  if (args.has('model')) await runModelEval(args);
  else if (args.has('reward-model')) await runRewardModel(args);
  else if (args.has('bfcl')) runBfcl(args);
  else if (args.has('gold')) runGold(args);
  else throw new Error(USAGE);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
