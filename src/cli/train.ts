// npm run train -- sft --config configs/config_sft.yaml [--resume] [--set key=value ...]
// Runs a trainer in Node on Dawn with the same code the studio's worker runs. Writes output_dir/: the PEFT
// adapter (or full weights), metrics.jsonl, evals.jsonl, config.resolved.yaml and checkpoints/ (for --resume).
import { mkdirSync, readFileSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../engine/index.ts';
import { openNodeDevice } from '../gpu/node-gpu.ts';
import { folderProvider } from '../model/node-files.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import { configToYaml } from '../train/config-schema.ts';
import { loadTrainableModel } from '../train/load-model.ts';
import { parseSftYaml, SFT_TABLE, validateSftConfig, type SftConfig } from '../train/sft-config.ts';
import { runSft } from '../train/sft.ts';
import { formatDuration } from '../util/format.ts';
import { FsCheckpointStore } from './fs-checkpoint-store.ts';
import { writeModelOutput } from './model-output.ts';
import { applySets, modelFolderFor, readDatasets, readTools } from './cli-inputs.ts';
import { parse as parseYaml } from 'yaml';

function parseArgs(argv: string[]) {
  const [method, ...rest] = argv;
  if (method !== 'sft') throw new Error(`usage: npm run train -- sft --config FILE [--resume] [--set key=value ...]\n(methods available: sft; got "${method ?? ''}")`);
  const opts = { config: '', resume: false, sets: [] as string[] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--config') opts.config = rest[++i] ?? '';
    else if (a === '--resume') opts.resume = true;
    else if (a === '--set') opts.sets.push(rest[++i] ?? '');
    else throw new Error(`train: unknown option ${a}`);
  }
  return opts;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  let config: SftConfig;
  if (args.config) {
    const text = readFileSync(args.config, 'utf8');
    config = parseSftYaml(text, args.config);
    if (args.sets.length) {
      const raw = parseYaml(text) ?? {};
      applySets(raw, args.sets);
      config = validateSftConfig(raw, `${args.config} with --set`);
    }
  } else {
    const raw: Record<string, unknown> = {};
    applySets(raw, args.sets);
    config = validateSftConfig(raw, '--set');
  }
  const out = config.output_dir;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.resolved.yaml'), configToYaml(SFT_TABLE, config, `resolved SFT config (${new Date().toISOString()})`));

  const tools = readTools(config.tools_file);
  const train = readDatasets(config.train_file, tools);
  const evalData = config.eval_file ? readDatasets([config.eval_file], tools) : [];

  const ctx = await openNodeDevice();
  console.log(`GPU: ${ctx.report.name} (${ctx.report.kind})`);
  const engine = new Engine(ctx);
  const folderPath = modelFolderFor(config.model_name);
  const { model, tokenizer, folder } = await loadTrainableModel(engine, folderProvider(folderPath), {
    finetune: config.finetune as 'lora' | 'full', lora: config.lora, chatTemplate: config.chat_template as 'model' | 'compact',
    seed: config.seed,
  });
  console.log(`model: ${folderPath} (${folder.config.arch}, ${folder.config.numLayers} layers, hidden ${folder.config.hiddenSize}, vocab ${folder.config.vocabSize}); trainable tensors: ${model.trainableParams().length}`);

  const runId = 'sft';
  const store = new FsCheckpointStore(join(out, 'checkpoints'));
  if (!args.resume) {
    rmSync(join(out, 'metrics.jsonl'), { force: true });
    rmSync(join(out, 'evals.jsonl'), { force: true });
    rmSync(join(out, 'checkpoints'), { recursive: true, force: true });
  }
  const t0 = performance.now();
  const result = await runSft({
    runId, engine, model, tokenizer, config, train, eval: evalData, tools, environment: enterpriseEnvironment(), store, resume: args.resume,
    hooks: {
      onLog: (line) => console.log(line),
      onStep: (m) => {
        appendFileSync(join(out, 'metrics.jsonl'), JSON.stringify(m) + '\n');
        console.log(
          `step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(4)} lr ${m.learningRate.toExponential(2)} grad ${m.gradNorm.toFixed(3)} ` +
            `${Math.round(m.tokensPerSecond)} tok/s ${m.stepMs.toFixed(0)} ms/step ETA ${formatDuration(m.etaSeconds)}${m.skipped ? ' SKIPPED' : ''}`,
        );
      },
      onEval: (m) => {
        appendFileSync(join(out, 'evals.jsonl'), JSON.stringify(m) + '\n');
        console.log(`eval @ step ${m.step}: tool accuracy ${(m.toolAccuracy * 100).toFixed(1)}%, chain success ${(m.chainSuccess * 100).toFixed(1)}%, format validity ${(m.formatValidity * 100).toFixed(1)}% (${m.examples} conversations)`);
      },
      onCheckpoint: (step) => console.log(`checkpoint saved at step ${step}`),
    },
  });
  const { outcome } = result;
  if (outcome.status === 'failed') {
    console.error(`training failed at step ${outcome.step}: ${outcome.error}`);
    return 1;
  }
  // The output is the final checkpoint in the form a user takes elsewhere (the studio exports the same files).
  const final = await store.latest(runId);
  if (!final) throw new Error(`no checkpoint was written to ${join(out, 'checkpoints')}`);
  console.log(writeModelOutput(out, final.weights, config, folderPath));
  console.log(`${outcome.status} after ${outcome.step} steps in ${formatDuration((performance.now() - t0) / 1000)}`);
  ctx.device.destroy();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
