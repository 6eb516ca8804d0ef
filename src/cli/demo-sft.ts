// npm run demo:sft [-- --config configs/config_sft_demo.yaml --eval-limit 120 --set key=value --no-before]
// Trains the built-in tiny model on the sample data on this machine's adapter and prints a before/after table
// of tool-level accuracy, chain-level success and format validity on the held-out split (single-turn
// eval_data.jsonl and multi-step eval_chains.jsonl), scored by src/eval from the model's own generations.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Engine } from '../engine/index.ts';
import { openNodeDevice } from '../gpu/node-gpu.ts';
import { folderProvider } from '../model/node-files.ts';
import { FAILURE_CAUSES, FAILURE_CAUSE_LABELS, failureCauses } from '../eval/failure-causes.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import { evalSteps, evaluateByGeneration, type GenerationEval } from '../train/eval-generation.ts';
import { loadTrainableModel } from '../train/load-model.ts';
import { validateSftConfig } from '../train/sft-config.ts';
import { runSft } from '../train/sft.ts';
import type { DatasetExample } from '../data/conversation.ts';
import { formatDuration } from '../util/format.ts';
import { parseFlags } from './flags.ts';
import { applySets, modelFolderFor, readDatasets, readTools } from './cli-inputs.ts';
import { readParams, writeModelOutput } from './model-output.ts';

const USAGE = 'usage: npm run demo:sft -- [--config FILE] [--eval-limit N] [--chain-limit N] [--set key=value ...] [--no-before]';
const FLAGS = { config: 'string', 'eval-limit': 'int', 'chain-limit': 'int', set: 'repeated', 'no-before': 'boolean' } as const;

function args(argv: string[]) {
  const { flags: f } = parseFlags('demo:sft', argv, FLAGS, USAGE);
  return { config: f.config ?? 'configs/config_sft_demo.yaml', evalLimit: f['eval-limit'] ?? 100, chainLimit: f['chain-limit'] ?? 50, sets: f.set, before: !f['no-before'] };
}

const pct = (x: number | null) => (x === null ? '   n/a' : `${(x * 100).toFixed(1).padStart(5)}%`);

async function main() {
  const o = args(process.argv.slice(2));
  const raw = parseYaml(readFileSync(o.config, 'utf8')) ?? {};
  applySets(raw, o.sets);
  const config = validateSftConfig(raw, o.config);
  const tools = readTools(config.tools_file);
  const train = readDatasets(config.train_file, tools);
  const heldOut: Array<[string, DatasetExample[]]> = [
    ['single-turn (eval_data)', readDatasets(['public/data/eval_data.jsonl'], tools).slice(0, o.evalLimit)],
    ['multi-step chains (eval_chains)', readDatasets(['public/data/eval_chains.jsonl'], tools).slice(0, o.chainLimit)],
  ];

  const ctx = await openNodeDevice();
  const engine = new Engine(ctx);
  console.log(`GPU: ${ctx.report.name} (${ctx.report.kind})`);
  const { model, tokenizer } = await loadTrainableModel(engine, folderProvider(modelFolderFor(config.model_name)), {
    finetune: config.finetune, lora: config.lora, chatTemplate: config.chat_template,
    seed: config.seed,
  });
  const environment = enterpriseEnvironment();
  const evaluateAll = async (label: string) => {
    const out: Array<[string, GenerationEval]> = [];
    for (const [name, data] of heldOut) {
      const t0 = performance.now();
      const r = await evaluateByGeneration(model, tokenizer, evalSteps(data), { tools, renderTools: config.prompt_tools === 'none' ? [] : undefined, environment, batchSize: 32, maxNewTokens: 80 });
      console.log(`${label} ${name}: ${r.steps.length} generations in ${formatDuration((performance.now() - t0) / 1000)} (${Math.round(r.tokensPerSecond)} tok/s)`);
      out.push([name, r]);
    }
    return out;
  };

  const t0 = performance.now();
  // --no-before (for quick experiments) skips the untrained model's evaluation: its column shows n/a.
  const before = o.before ? await evaluateAll('before') : null;
  const tTrain = performance.now();
  const result = await runSft({
    runId: 'demo', engine, model, tokenizer, config, train, eval: [], tools, store: null, resume: false,
    hooks: {
      onLog: (l) => console.log(l),
      onStep: (m) => console.log(`step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(4)} lr ${m.learningRate.toExponential(2)} ${Math.round(m.tokensPerSecond)} tok/s ETA ${formatDuration(m.etaSeconds)}`),
    },
  });
  if (result.outcome.status === 'failed') throw new Error(`training failed: ${result.outcome.error}`);
  const trainSeconds = (performance.now() - tTrain) / 1000;
  // The trained model stays where the model loaders find it (the RM and RL demos start from it).
  console.log(writeModelOutput(config.output_dir, await readParams(model.trainableParams()), config, modelFolderFor(config.model_name)));
  const after = await evaluateAll('after');
  const total = (performance.now() - t0) / 1000;

  const rows: string[] = [];
  rows.push('| held-out split | metric | before | after |', '|---|---|---|---|');
  for (let i = 0; i < heldOut.length; i++) {
    const [name, a] = after[i];
    const b = before?.[i][1];
    for (const [label, key] of [['tool-level accuracy', 'toolAccuracy'], ['chain-level success', 'chainSuccess'], ['format validity', 'formatValidity'], ['no-tool accuracy', 'noToolAccuracy'], ['tool-name accuracy', 'toolNameAccuracy'], ['argument F1', 'argumentF1']] as const) {
      rows.push(`| ${name} (${a.report.counts.records}) | ${label} | ${pct(b ? b.report.metrics[key] : null)} | ${pct(a.report.metrics[key])} |`);
    }
  }
  // Why the rest failed. A value with a token that no training example contains (a held-out city, name or
  // department) is one a model trained from scratch has never read and cannot produce; a new id made of known
  // digits only needs copying.
  const trainedTokens = new Set<number>();
  for (const x of result.prepared.examples) for (const id of x.ids) trainedTokens.add(id);
  const seen = (v: string) => tokenizer.encode(v).every((id) => trainedTokens.has(id));
  rows.push('', 'Failed steps after training, by cause ("value with an unseen token": a gold argument value the model got wrong, with a token that occurs in no training example):', '');
  rows.push(`| held-out split | failed / steps | ${FAILURE_CAUSES.map((c) => FAILURE_CAUSE_LABELS[c]).join(' | ')} |`, `|---|---|${FAILURE_CAUSES.map(() => '---|').join('')}`);
  for (const [name, a] of after) {
    const f = failureCauses(a.report.records, seen);
    rows.push(`| ${name} | ${f.failed} / ${f.steps} | ${FAILURE_CAUSES.map((c) => f.causes[c]).join(' | ')} |`);
  }
  const table = rows.join('\n');
  const summary = `SFT demo on ${ctx.report.name}: ${result.outcome.step} steps, ${result.prepared.examples.length} examples, training ${formatDuration(trainSeconds)}, total ${formatDuration(total)}`;
  console.log(`\n${summary}\n\n${table}\n`);
  mkdirSync(config.output_dir, { recursive: true });
  writeFileSync(join(config.output_dir, 'demo-report.md'), `${summary}\n\n${table}\n`);
  writeFileSync(
    join(config.output_dir, 'demo-generations.jsonl'),
    after.flatMap(([name, r]) => r.steps.map((s, k) => JSON.stringify({ split: name, id: s.id, step: s.step, expected: s.expected, output: r.outputs[k] }))).join('\n') + '\n',
  );
  ctx.device.destroy();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
