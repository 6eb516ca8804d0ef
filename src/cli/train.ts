// npm run train -- <method> --config FILE [--resume] [--set key=value ...]   (methods: sft, rm, grpo, ppo: the METHODS table below)
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
import type { CheckpointStore, HostTensor } from '../train/checkpoint.ts';
import { configToYaml, type ConfigTable, type TrainerConfigSpec } from '../train/config-schema.ts';
import { GRPO_CONFIG, type GrpoConfig } from '../train/grpo-config.ts';
import { runGrpo } from '../train/grpo.ts';
import { loadTrainableModel } from '../train/load-model.ts';
import type { LoopHooks, LoopOutcome } from '../train/loop.ts';
import { PPO_CONFIG, type PpoConfig } from '../train/ppo-config.ts';
import type { PolicyOptions } from '../train/load-policy.ts';
import { runPpo } from '../train/ppo.ts';
import { ruleRewardConfig } from '../train/rl-reward.ts';
import type { RlRunInputs } from '../train/rl-run.ts';
import { scoreConversations } from '../train/rm-score.ts';
import type { EvalMetrics } from '../train/metrics.ts';
import { RM_CONFIG, type RmConfig } from '../train/rm-config.ts';
import { runRm } from '../train/rm.ts';
import { SFT_CONFIG, type SftConfig } from '../train/sft-config.ts';
import { runSft } from '../train/sft.ts';
import type { TrainingConfig } from '../train/training-config.ts';
import { formatDuration } from '../util/format.ts';
import { FsCheckpointStore } from './fs-checkpoint-store.ts';
import { parseFlags } from './flags.ts';
import { writeModelOutput } from './model-output.ts';
import { applySets, modelFolderFor, readDatasets, readTools } from './cli-inputs.ts';
import { openRewardModel, openStartPolicy } from './model-folders.ts';
import { formatPreferenceReport } from './rm-report.ts';
import { writeRlOutput } from './rl-output.ts';


interface RunContext<C> {
  /** The id checkpoints are stored under (the method's name). */
  runId: string;
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
  /** output_dir (the RL methods write completions.jsonl there). */
  out: string;
}

interface Loaded {
  model: QwenModel;
  tokenizer: ChatTokenizer;
  /** The complete model folder the weights came from (config and tokenizer files are copied from it). */
  folderPath: string;
  describe: string;
}

/** What the command itself reads from every method's config. */
type CliConfig = Pick<TrainingConfig, 'model_name' | 'tools_file' | 'eval_file' | 'output_dir' | 'finetune' | 'lora' | 'chat_template' | 'seed'> & { train_file: string[] };

/** One trainer as the command line runs it; a new method is one more entry. */
interface CliMethod<C extends CliConfig> {
  title: string;
  spec: TrainerConfigSpec<ConfigTable>;
  /** The default loader adds a score head (the reward model; the RL methods load their own policy and critic). */
  scoreHead: boolean;
  run(ctx: RunContext<C>): Promise<{ outcome: LoopOutcome; totalSteps: number; summary?: string }>;
  evalLine(m: EvalMetrics): string;
  /** config.json for a full fine-tune's output folder, from the base model's. */
  fullConfigJson(base: Record<string, unknown>, tokenizer: ChatTokenizer): Record<string, unknown>;
  /** Reads what the config names besides datasets and models (a reward YAML), so a bad path fails before the GPU opens. */
  checkFiles?(config: C): void;
  /** Loads the model to train (default: model_name with LoRA, or every weight, trainable). */
  load?(engine: Engine, config: C): Promise<Loaded>;
  /** Writes output_dir's model from the trained model and the final checkpoint's weights (default: writeModelOutput). */
  writeOutput?(out: string, loaded: Loaded, config: C, weights: Record<string, HostTensor>): Promise<string>;
}

const readText = (file: string) => readFileSync(file, 'utf8');
const pct = (x: number | undefined) => `${((x ?? 0) * 100).toFixed(1)}%`;

/**
 * GRPO and PPO: the start policy (a folder, or a base + adapters from train/demo outputs) with a fresh RL adapter,
 * the rewards of the config (a trained reward model's score among them), rollouts on the mock tools, and
 * completions.jsonl with every rollout's episodes. The output is what writeRlOutput writes: adapter/ relative to
 * the start policy, and the merged complete model where the start policy is one.
 */
function rlMethod<C extends GrpoConfig | PpoConfig>(title: string, spec: TrainerConfigSpec<ConfigTable>, critic: (c: C) => PolicyOptions['critic'], run: (inp: RlRunInputs<C>) => ReturnType<typeof runGrpo>): CliMethod<C> {
  return {
    title, spec, scoreHead: false, // the start policy's loader below adds PPO's critic
    checkFiles: (c) => void ruleRewardConfig(c.reward.rule, readText),
    load: async (engine, c) => {
      const p = await openStartPolicy(engine, c.model_name, { finetune: c.finetune, lora: c.lora, chatTemplate: c.chat_template, seed: c.seed, critic: critic(c) });
      const adapters = p.source.adapters.length ? ` + ${p.source.adapters.join(' + ')} (merged)` : '';
      return { model: p.model, tokenizer: p.tokenizer, folderPath: p.source.base, describe: `start policy ${p.source.base}${adapters}` };
    },
    run: async (x) => {
      const c = x.config;
      let rewardModel: RlRunInputs<C>['rewardModel'];
      if (c.reward.reward_model_weight !== 0) {
        const rm = await openRewardModel(x.engine, c.reward_model, x.tools);
        x.hooks.onLog?.(`reward model: ${c.reward_model}${rm.base ? ` on ${rm.base}` : ''} (weight ${c.reward.reward_model_weight})`);
        rewardModel = (items) => scoreConversations(rm, items);
      }
      const completions = join(x.out, 'completions.jsonl');
      if (!x.resume) writeFileSync(completions, '');
      const r = await run({
        runId: x.runId, engine: x.engine, model: x.model, tokenizer: x.tokenizer, config: c, train: x.train, eval: x.evalData,
        tools: x.tools, environment: enterpriseEnvironment(), store: x.store, resume: x.resume, rewardModel, readFile: readText,
        hooks: { ...x.hooks, onCompletions: (rows) => appendFileSync(completions, rows.map((row) => JSON.stringify(row)).join('\n') + '\n') },
      });
      return { outcome: r.outcome, totalSteps: r.totalSteps, summary: `completions of every rollout: ${completions}` };
    },
    evalLine: (m) => `tool accuracy ${pct(m.toolAccuracy)}, chain success ${pct(m.chainSuccess)}, format validity ${pct(m.formatValidity)} (${m.examples} episodes)`,
    fullConfigJson: (base) => base,
    writeOutput: (out, l, c, weights) => writeRlOutput(out, l.model, c, l.folderPath, weights, c.model_name === 'builtin:tiny' ? l.folderPath : c.model_name),
  };
}

const METHODS: { sft: CliMethod<SftConfig>; rm: CliMethod<RmConfig>; grpo: CliMethod<GrpoConfig>; ppo: CliMethod<PpoConfig> } = {
  sft: {
    title: 'SFT',
    spec: SFT_CONFIG,
    scoreHead: false,
    run: (x) => runSft({ runId: x.runId, engine: x.engine, model: x.model, tokenizer: x.tokenizer, config: x.config, train: x.train, eval: x.evalData, tools: x.tools, environment: enterpriseEnvironment(), store: x.store, resume: x.resume, hooks: x.hooks }),
    evalLine: (m) => `tool accuracy ${pct(m.toolAccuracy)}, chain success ${pct(m.chainSuccess)}, format validity ${pct(m.formatValidity)} (${m.examples} conversations)`,
    fullConfigJson: (base) => base,
  },
  rm: {
    title: 'reward model',
    spec: RM_CONFIG,
    scoreHead: true,
    run: async (x) => {
      const r = await runRm({ runId: x.runId, engine: x.engine, model: x.model, tokenizer: x.tokenizer, config: x.config, train: x.train, eval: x.evalData, tools: x.tools, store: x.store, resume: x.resume, hooks: x.hooks });
      return { ...r, summary: r.finalEval ? `held-out pairs (${x.config.eval_file}):\n${formatPreferenceReport(r.finalEval)}` : undefined };
    },
    evalLine: (m) => `pair accuracy ${pct(m.metrics?.accuracy)}, margin ${(m.metrics?.margin ?? 0).toFixed(3)}, loss ${(m.metrics?.loss ?? 0).toFixed(4)} (${m.examples} pairs)`,
    fullConfigJson: (base, tok) => seqClsConfigJson(base, tok.padId),
  },
  grpo: rlMethod<GrpoConfig>('grpo', GRPO_CONFIG, () => false, runGrpo),
  ppo: rlMethod<PpoConfig>('ppo', PPO_CONFIG, (c) => c.critic, runPpo),
};
type MethodName = keyof typeof METHODS;

const USAGE = `usage: npm run train -- <method> --config FILE [--resume] [--set key=value ...]\n(methods: ${Object.keys(METHODS).join(', ')})`;

const FLAGS = { config: 'string', resume: 'boolean', set: 'repeated' } as const;

function parseArgs(argv: string[]) {
  const [method, ...rest] = argv;
  if (!method || !(method in METHODS)) throw new Error(`${USAGE}; got "${method ?? ''}"`);
  const { flags } = parseFlags('train', rest, FLAGS, USAGE);
  return { method: method as MethodName, config: flags.config ?? '', resume: flags.resume, sets: flags.set };
}

/** The config from the file and the --set overrides, validated by the method's table. */
function readConfig(spec: TrainerConfigSpec<ConfigTable>, file: string, sets: string[]): CliConfig {
  if (!file) {
    const raw: Record<string, unknown> = {};
    applySets(raw, sets);
    return spec.validate(raw, '--set') as unknown as CliConfig;
  }
  const text = readFileSync(file, 'utf8');
  if (!sets.length) return spec.parseYaml(text, file) as unknown as CliConfig;
  spec.parseYaml(text, file); // the file itself must be valid (its errors name its lines)
  const raw = parseYaml(text) ?? {};
  applySets(raw, sets);
  return spec.validate(raw, `${file} with --set`) as unknown as CliConfig;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const method = METHODS[args.method] as unknown as CliMethod<CliConfig>;
  const config = readConfig(method.spec, args.config, args.sets);
  const out = config.output_dir;
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'config.resolved.yaml'), configToYaml(method.spec.table, config as never, `resolved ${method.title} config (${new Date().toISOString()})`));

  const tools = readTools(config.tools_file);
  const train = readDatasets(config.train_file, tools);
  const evalData = config.eval_file ? readDatasets([config.eval_file], tools) : [];
  method.checkFiles?.(config);

  const ctx = await openNodeDevice();
  console.log(`GPU: ${ctx.report.name} (${ctx.report.kind})`);
  const engine = new Engine(ctx);
  const loaded: Loaded = method.load
    ? await method.load(engine, config)
    : await (async () => {
        const folderPath = modelFolderFor(config.model_name);
        const { model, tokenizer, folder } = await loadTrainableModel(engine, folderProvider(folderPath), {
          finetune: config.finetune, lora: config.lora, chatTemplate: config.chat_template,
          seed: config.seed, scoreHead: method.scoreHead,
        });
        return { model, tokenizer, folderPath, describe: `${folderPath} (${folder.config.arch}, ${folder.config.numLayers} layers, hidden ${folder.config.hiddenSize}, vocab ${folder.config.vocabSize})` };
      })();
  const { model, tokenizer, folderPath } = loaded;
  console.log(`model: ${loaded.describe}; trainable tensors: ${model.trainableParams().length}`);

  const runId = args.method;
  const store = new FsCheckpointStore(join(out, 'checkpoints'));
  if (!args.resume) {
    rmSync(join(out, 'metrics.jsonl'), { force: true });
    rmSync(join(out, 'evals.jsonl'), { force: true });
    rmSync(join(out, 'checkpoints'), { recursive: true, force: true });
  }
  const t0 = performance.now();
  const result = await method.run({
    runId, engine, model, tokenizer, config, train, evalData, tools, store, resume: args.resume, out,
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
  console.log(method.writeOutput ? await method.writeOutput(out, loaded, config, final.weights) : writeModelOutput(out, final.weights, config, folderPath, (base) => method.fullConfigJson(base, tokenizer)));
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
