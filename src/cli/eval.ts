// `npm run eval`: score predictions. Two modes:
//   --gold GOLD.jsonl --pred PRED.jsonl [--tools TOOLS.json|openapi.yaml] [--report OUT.json] [--no-exec]
//   --bfcl DIR --category simple_python[,multiple,...] --pred PRED.jsonl [--report OUT.json] [--underscore-to-dot]
// Prints a table (or BFCL's summary) and writes the JSON report.

import { readFileSync, writeFileSync } from 'node:fs';
import { readBfclCases, readBfclIds } from '../eval/bfcl/bfcl-data.ts';
import { readBfclPredictions, scoreBfcl, scoreBfclIrrelevance } from '../eval/bfcl/score-bfcl.ts';
import { scoreRecords } from '../eval/metrics.ts';
import { formatReport } from '../eval/format-report.ts';
import { formatProblem, joinRecords, readGold, readPredictions } from '../eval/read-records.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../tools/enterprise/tool-set.ts';
import { loadToolSet } from '../tools/tool-set.ts';
import { MODEL_USAGE, runModelEval } from './eval-model.ts';

const USAGE = `usage:
  npm run eval -- --gold GOLD.jsonl --pred PRED.jsonl [--tools TOOLS.json|OPENAPI.yaml] [--report OUT.json] [--no-exec]
  npm run eval -- --bfcl DIR --category simple_python[,multiple,parallel,parallel_multiple,irrelevance] --pred PRED.jsonl [--report OUT.json] [--underscore-to-dot]
${MODEL_USAGE}`;

function parseArgs(argv: string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"\n${USAGE}`);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out.set(a.slice(2), next);
      i++;
    } else out.set(a.slice(2), true);
  }
  return out;
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

try {
  const args = parseArgs(process.argv.slice(2));
  // A model to run (generation, then scoring): its own file, src/cli/eval-model.ts.
  if (args.has('model')) {
    runModelEval(args).then(() => process.exit(0), (e) => {
      console.error((e as Error).message);
      process.exit(1);
    });
  } else if (args.has('bfcl')) runBfcl(args);
  else if (args.has('gold')) runGold(args);
  else throw new Error(USAGE);
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
