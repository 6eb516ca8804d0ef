// npm run train -- <method> --config FILE [--resume] [--set key=value ...]   (methods: the METHODS table below)
// Runs a trainer in Node on Dawn with the same code the studio's worker runs. Writes output_dir/: the PEFT
// adapter (or full weights), metrics.jsonl, evals.jsonl, config.resolved.yaml and checkpoints/ (for --resume).
import { mkdirSync, readFileSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { DatasetExample } from '../data/conversation.ts';
import { Engine } from '../engine/index.ts';
import { openNodeDevice } from '../gpu/node-gpu.ts';
import { seqClsConfigJson } from '../model/config.ts';
import type { QwenModel } from '../model/qwen.ts';
import { folderProvider } from '../model/node-files.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import type { CheckpointStore } from '../train/checkpoint.ts';
import { configToYaml, type ConfigTable, type TrainerConfigSpec } from '../train/config-schema.ts';
import { loadTrainableModel } from '../train/load-model.ts';
import type { LoopHooks, LoopOutcome } from '../train/loop.ts';
import type { EvalMetrics } from '../train/metrics.ts';
import { RM_CONFIG, type RmConfig } from '../train/rm-config.ts';
import { runRm } from '../train/rm.ts';
import { SFT_CONFIG, type SftConfig } from '../train/sft-config.ts';
import { runSft } from '../train/sft.ts';
import type { TrainingConfig } from '../train/training-config.ts';
import { formatDuration } from '../util/format.ts';
import { FsCheckpointStore } from './fs-checkpoint-store.ts';
import { writeModelOutput } from './model-output.ts';
import { applySets, modelFolderFor, readDatasets, readTools } from './cli-inputs.ts';
import { formatPreferenceReport } from './rm-report.ts';


interface RunContext<C> {
  engine: Engine;
  model: QwenModel;
  tokenizer: ChatTokenizer;
  config: C;
  train: DatasetExample[];
  evalData: DatasetExample[];
  tools: ToolDefinition[];
  store: CheckpointStore;
  resume: boolean;
  hooks: LoopHooks;
}

/** One trainer as the command line runs it; a new method (grpo, ppo) is one more entry. */
interface CliMethod<C extends TrainingConfig> {
  title: string;
  spec: TrainerConfigSpec<ConfigTable>;
  /** The model needs a score head (reward model, critic). */
  scoreHead: boolean;
  run(ctx: RunContext<C>): Promise<{ outcome: LoopOutcome; totalSteps: number; summary?: string }>;
  evalLine(m: EvalMetrics): string;
  /** config.json for a full fine-tune's output folder, from the base model's. */
  fullConfigJson(base: Record<string, unknown>, tokenizer: ChatTokenizer): Record<string, unknown>;
}

const pct = (x: number | undefined) => `${((x ?? 0) * 100).toFixed(1)}%`;

const METHODS: { sft: CliMethod<SftConfig>; rm: CliMethod<RmConfig> } = {
  sft: {
    title: 'SFT',
    spec: SFT_CONFIG,
    scoreHead: false,
    run: (x) => runSft({ runId: 'sft', engine: x.engine, model: x.model, tokenizer: x.tokenizer, config: x.config, train: x.train, eval: x.evalData, tools: x.tools, environment: enterpriseEnvironment(), store: x.store, resume: x.resume, hooks: x.hooks }),
    evalLine: (m) => `tool accuracy ${pct(m.toolAccuracy)}, chain success ${pct(m.chainSuccess)}, format validity ${pct(m.formatValidity)} (${m.examples} conversations)`,
    fullConfigJson: (base) => base,
  },
  rm: {
    title: 'reward model',
    spec: RM_CONFIG,
    scoreHead: true,
    run: async (x) => {
      const r = await runRm({ runId: 'rm', engine: x.engine, model: x.model, tokenizer: x.tokenizer, config: x.config, train: x.train, eval: x.evalData, tools: x.tools, store: x.store, resume: x.resume, hooks: x.hooks });
      return { ...r, summary: r.finalEval ? `held-out pairs (${x.config.eval_file}):\n${formatPreferenceReport(r.finalEval)}` : undefined };
    },
    evalLine: (m) => `pair accuracy ${pct(m.metrics?.accuracy)}, margin ${(m.metrics?.margin ?? 0).toFixed(3)}, loss ${(m.metrics?.loss ?? 0).toFixed(4)} (${m.examples} pairs)`,
    fullConfigJson: (base, tok) => seqClsConfigJson(base, tok.padId),
  },
};
type MethodName = keyof typeof METHODS;

const USAGE = `usage: npm run train -- <method> --config FILE [--resume] [--set key=value ...]\n(methods: ${Object.keys(METHODS).join(', ')})`;

function parseArgs(argv: string[]) {
  const [method, ...rest] = argv;
  if (!method || !(method in METHODS)) throw new Error(`${USAGE}; got "${method ?? ''}"`);
  const opts = { method: method as MethodName, config: '', resume: false, sets: [] as string[] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--config') opts.config = rest[++i] ?? '';
    else if (a === '--resume') opts.resume = true;
    else if (a === '--set') opts.sets.push(rest[++i] ?? '');
    else throw new Error(`train: unknown option ${a}\n${USAGE}`);
  }
  return opts;
}

/** The config from the file and the --set overrides, validated by the method's table. */
function readConfig(spec: TrainerConfigSpec<ConfigTable>, file: string, sets: string[]): TrainingConfig {
  if (!file) {
    const raw: Record<string, unknown> = {};
    applySets(raw, sets);
    return spec.validate(raw, '--set') as unknown as TrainingConfig;
  }
  const text = readFileSync(file, 'utf8');
  if (!sets.length) return spec.parseYaml(text, file) as unknown as TrainingConfig;
  spec.parseYaml(text, file); // the file itself must be valid (its errors name its lines)
  const raw = parseYaml(text) ?? {};
  applySets(raw, sets);
  return spec.validate(raw, `${file} with --set`) as unknown as TrainingConfig;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const method = METHODS[args.method] as unknown as CliMethod<TrainingConfig>;
  const config = readConfig(method.spec, args.config, args.sets);
  const out = config.output_dir;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.resolved.yaml'), configToYaml(method.spec.table, config as never, `resolved ${method.title} config (${new Date().toISOString()})`));

  const tools = readTools(config.tools_file);
  const train = readDatasets((config as unknown as { train_file: string[] }).train_file, tools);
  const evalData = config.eval_file ? readDatasets([config.eval_file], tools) : [];

  const ctx = await openNodeDevice();
  console.log(`GPU: ${ctx.report.name} (${ctx.report.kind})`);
  const engine = new Engine(ctx);
  const folderPath = modelFolderFor(config.model_name);
  const { model, tokenizer, folder } = await loadTrainableModel(engine, folderProvider(folderPath), {
    finetune: config.finetune as 'lora' | 'full', lora: config.lora, chatTemplate: config.chat_template as 'model' | 'compact',
    seed: config.seed, scoreHead: method.scoreHead,
  });
  console.log(`model: ${folderPath} (${folder.config.arch}, ${folder.config.numLayers} layers, hidden ${folder.config.hiddenSize}, vocab ${folder.config.vocabSize}); trainable tensors: ${model.trainableParams().length}`);

  const runId = args.method;
  const store = new FsCheckpointStore(join(out, 'checkpoints'));
  if (!args.resume) {
    rmSync(join(out, 'metrics.jsonl'), { force: true });
    rmSync(join(out, 'evals.jsonl'), { force: true });
    rmSync(join(out, 'checkpoints'), { recursive: true, force: true });
  }
  const t0 = performance.now();
  const result = await method.run({
    engine, model, tokenizer, config, train, evalData, tools, store, resume: args.resume,
    hooks: {
      onLog: (line) => console.log(line),
      onStep: (m) => {
        appendFileSync(join(out, 'metrics.jsonl'), JSON.stringify(m) + '\n');
        const extra = m.metrics ? ' ' + Object.entries(m.metrics).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ') : '';
        console.log(
          `step ${m.step}/${m.totalSteps} loss ${m.loss.toFixed(4)}${extra} lr ${m.learningRate.toExponential(2)} grad ${m.gradNorm.toFixed(3)} ` +
            `${Math.round(m.tokensPerSecond)} tok/s ${m.stepMs.toFixed(0)} ms/step ETA ${formatDuration(m.etaSeconds)}${m.skipped ? ' SKIPPED' : ''}`,
        );
      },
      onEval: (m) => {
        appendFileSync(join(out, 'evals.jsonl'), JSON.stringify(m) + '\n');
        console.log(`eval @ step ${m.step}: ${method.evalLine(m)}`);
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
  console.log(writeModelOutput(out, final.weights, config, folderPath, (base) => method.fullConfigJson(base, tokenizer)));
  if (result.summary) console.log(result.summary);
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
