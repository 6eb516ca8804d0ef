// npm run demo:rl [-- --trainer grpo|ppo --config FILE --set key=value --eval-limit 100 --chain-limit 50 --eval-only]
// RL on the built-in tiny model here: starts from the config's model_name (the shipped configs: the SFT demo's
// model, out/sft-demo/, trained first when absent), runs GRPO (configs/config_grpo_demo.yaml) or PPO (--trainer ppo:
// configs/config_ppo_demo.yaml) with the pipeline's reward and the mock executors on the sample prompts, and prints a
// before/after table on the held-out single-turn and chain splits, every chain run free by the episode runner (the
// model's own calls and their real results). Leaves the start and the result in <output_dir>/../sft/ and <output_dir>
// (out/rl-demo/sft/ and out/rl-demo/rl/ with the shipped config) as folders the model loaders accept (`npm run eval -- --model out/rl-demo/rl`).
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { DatasetExample } from '../data/conversation.ts';
import { Engine } from '../engine/index.ts';
import { FAILURE_CAUSES, FAILURE_CAUSE_LABELS, failureCauses } from '../eval/failure-causes.ts';
import { REWARD_PRESETS } from '../eval/reward.ts';
import { openNodeDevice } from '../gpu/node-gpu.ts';
import { folderProvider } from '../model/node-files.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import { evaluateEpisodes, type EpisodeEval } from '../train/episode-eval.ts';
import { validateGrpoConfig, type GrpoConfig } from '../train/grpo-config.ts';
import { runGrpo } from '../train/grpo.ts';
import { validatePpoConfig, type PpoConfig } from '../train/ppo-config.ts';
import { runPpo } from '../train/ppo.ts';
import type { RlRunInputs } from '../train/rl-run.ts';
import { loadPolicy, type PolicyOptions } from '../train/load-policy.ts';
import { turnTokenLimit } from '../train/rl-config.ts';
import { episodeRewards, ruleRewardConfig } from '../train/rl-reward.ts';
import { formatDuration } from '../util/format.ts';
import { applySets, readDatasets, readTools } from './cli-inputs.ts';
import { readParams } from './model-output.ts';
import { writeRlOutput } from './rl-output.ts';
import { parseFlags } from './flags.ts';

// The SFT demo's output: the default start policy, which the demo trains first when it is missing.
const SFT_DEMO_DIR = 'out/sft-demo';

const USAGE = 'usage: npm run demo:rl -- [--trainer grpo|ppo] [--config FILE] [--set key=value ...] [--eval-limit N] [--chain-limit N] [--eval-only]';
const FLAGS = { trainer: 'string', config: 'string', 'eval-limit': 'int', 'chain-limit': 'int', set: 'repeated', 'eval-only': 'boolean' } as const;

/** The two RL trainers the demo runs: default config, validation, the metrics its step line shows, the trainer, and the critic the policy needs (PPO's). */
const TRAINERS = {
  grpo: { title: 'GRPO', config: 'configs/config_grpo_demo.yaml', validate: validateGrpoConfig, logKeys: [['zero-std', 'frac_reward_zero_std'], ['clip', 'clip_ratio/region_mean'], ['entropy', 'entropy']], run: runGrpo as (inp: RlRunInputs<GrpoConfig | PpoConfig>) => ReturnType<typeof runGrpo>, critic: (_: GrpoConfig | PpoConfig): PolicyOptions['critic'] => false },
  ppo: { title: 'PPO', config: 'configs/config_ppo_demo.yaml', validate: validatePpoConfig, logKeys: [['kl', 'objective/kl'], ['vf_explained_var', 'vf_explained_var'], ['clipfrac', 'policy/clipfrac_avg']], run: runPpo as (inp: RlRunInputs<GrpoConfig | PpoConfig>) => ReturnType<typeof runPpo>, critic: (c: GrpoConfig | PpoConfig): PolicyOptions['critic'] => (c as PpoConfig).critic },
} as const;

function args(argv: string[]) {
  const { flags: f } = parseFlags('demo:rl', argv, FLAGS, USAGE);
  const trainer = f.trainer ?? 'grpo';
  if (trainer !== 'grpo' && trainer !== 'ppo') throw new Error(`demo:rl: --trainer must be grpo or ppo, got "${trainer}"\n${USAGE}`);
  return { trainer, config: f.config ?? TRAINERS[trainer].config, evalLimit: f['eval-limit'] ?? 100, chainLimit: f['chain-limit'] ?? 50, sets: f.set, evalOnly: f['eval-only'] } as const;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || Number.isNaN(x) ? '   n/a' : `${(x * 100).toFixed(1).padStart(5)}%`);

async function main() {
  const o = args(process.argv.slice(2));
  const t0 = performance.now();
  const raw = parseYaml(readFileSync(o.config, 'utf8')) ?? {};
  applySets(raw, o.sets);
  const trainer = TRAINERS[o.trainer];
  const config: GrpoConfig | PpoConfig = trainer.validate(raw, o.config);
  const maxCompletionLength = turnTokenLimit(config);
  // The start policy is the config's model_name, copied to <output_dir>/../sft so the demo's folder holds both
  // ends of the run (out/rl-demo/{sft,rl} with the shipped config).
  const start = config.model_name;
  const OUT = dirname(config.output_dir);
  if (start === SFT_DEMO_DIR && !existsSync(join(SFT_DEMO_DIR, 'model.safetensors'))) {
    console.log(`${SFT_DEMO_DIR}/ has no trained model: running the SFT demo first (npm run demo:sft, ~17 minutes here)`);
    const r = spawnSync('npm', ['run', 'demo:sft'], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('the SFT demo failed; its output is above');
  }
  if (!existsSync(join(start, 'model.safetensors'))) throw new Error(`model_name ${start} (${o.config}) is not a model folder with model.safetensors: give an SFT output folder`);
  if (join(OUT, 'rl') !== join(config.output_dir)) throw new Error(`output_dir must end in /rl (the demo writes <dir>/sft and <dir>/rl), got ${config.output_dir}`);
  const tStart = performance.now();
  mkdirSync(OUT, { recursive: true });
  cpSync(start, join(OUT, 'sft'), { recursive: true });
  const tools = readTools(config.tools_file);
  const train = readDatasets(config.train_file, tools);
  const heldOut: Array<[string, DatasetExample[]]> = [
    ['single-turn (eval_data)', readDatasets(['public/data/eval_data.jsonl'], tools).slice(0, o.evalLimit)],
    ['multi-step chains (eval_chains)', readDatasets(['public/data/eval_chains.jsonl'], tools).slice(0, o.chainLimit)],
  ];
  const ctx = await openNodeDevice();
  const engine = new Engine(ctx);
  console.log(`GPU: ${ctx.report.name} (${ctx.report.kind}); start policy: ${start}`);
  const { model, tokenizer } = await loadPolicy(engine, folderProvider(join(OUT, 'sft')), {
    finetune: config.finetune, lora: config.lora, chatTemplate: config.chat_template, seed: config.seed, critic: trainer.critic(config),
  });
  const environment = enterpriseEnvironment();
  const renderTools = config.prompt_tools === 'none' ? [] : undefined;
  const pipeline = { tools, environment, rule: REWARD_PRESETS.pipeline, weights: { rule: 1, chain: 0, reward_model: 0 } };
  // A reward YAML named by the config is read now, so a bad path or field fails before the first evaluation.
  const readFile = (path: string) => readFileSync(path, 'utf8');
  ruleRewardConfig(config.reward.rule, readFile);

  const evaluateAll = async (label: string) => {
    const out: Array<[string, EpisodeEval, number]> = [];
    for (const [name, data] of heldOut) {
      const t = performance.now();
      const r = await evaluateEpisodes(model, tokenizer, data, { tools, renderTools, environment, batchSize: 32, maxCompletionLength, maxToolTurnTokens: config.max_tool_turn_tokens });
      const rewards = await episodeRewards(r.episodes, r.prompts, pipeline);
      const meanReward = rewards.reduce((s, x) => s + x.total, 0) / Math.max(1, rewards.length);
      console.log(`${label} ${name}: ${r.episodes.length} episodes in ${formatDuration((performance.now() - t) / 1000)} (${Math.round(r.tokensPerSecond)} tok/s)`);
      out.push([name, r, meanReward]);
    }
    return out;
  };

  const before = await evaluateAll('before');
  let trainSeconds = 0;
  let steps = 0;
  if (!o.evalOnly) {
    const tTrain = performance.now();
    mkdirSync(join(OUT, 'rl'), { recursive: true });
    const completionsFile = join(OUT, 'rl', 'completions.jsonl');
    const metricsFile = join(OUT, 'rl', 'metrics.jsonl');
    writeFileSync(completionsFile, '');
    writeFileSync(metricsFile, '');
    const result = await trainer.run({
      runId: 'rl-demo', engine, model, tokenizer, config, train, eval: [], tools, environment, store: null, resume: false, readFile,
      hooks: {
        onLog: (l) => console.log(l),
        onStep: (m) => {
          appendFileSync(metricsFile, JSON.stringify(m) + '\n');
          const x = m.metrics ?? {};
          if (x.reward !== undefined) {
            const shown = trainer.logKeys.map(([label, key]) => `${label} ${(x[key] ?? NaN).toFixed(3)}`).join(' ');
            console.log(
              `step ${m.step}/${m.totalSteps} reward ${x.reward.toFixed(3)} (rule ${(x['rewards/rule/mean'] ?? NaN).toFixed(3)}) ${shown} ` +
                `len ${(x['completions/mean_length'] ?? NaN).toFixed(1)} rollout ${(x['timing/rollout_s'] ?? NaN).toFixed(1)}s ETA ${formatDuration(m.etaSeconds)}`,
            );
          }
        },
        onCompletions: (rows) => appendFileSync(completionsFile, rows.map((r) => JSON.stringify(r)).join('\n') + '\n'),
      },
    });
    if (result.outcome.status === 'failed') throw new Error(`training failed: ${result.outcome.error}`);
    steps = result.outcome.step;
    trainSeconds = (performance.now() - tTrain) / 1000;
  }
  const after = o.evalOnly ? before : await evaluateAll('after');
  const total = (performance.now() - tStart) / 1000;

  const rows: string[] = [`| held-out split | metric | SFT start | after ${trainer.title} |`, '|---|---|---|---|'];
  for (let i = 0; i < heldOut.length; i++) {
    const [name, a, ra] = after[i];
    const [, b, rb] = before[i];
    for (const [label, key] of [['tool-level accuracy', 'toolAccuracy'], ['chain-level success', 'chainSuccess'], ['format validity', 'formatValidity'], ['tool-name accuracy', 'toolNameAccuracy'], ['no-tool accuracy', 'noToolAccuracy']] as const) {
      rows.push(`| ${name} (${a.report.counts.records}) | ${label} | ${pct(b.report.metrics[key])} | ${pct(a.report.metrics[key])} |`);
    }
    rows.push(`| ${name} (${a.report.counts.records}) | mean pipeline reward (0-4) | ${rb.toFixed(3).padStart(6)} | ${ra.toFixed(3).padStart(6)} |`);
  }
  rows.push('', 'Failed steps by cause (free-running episodes; a chain step after an earlier failure is judged on what the model saw):', '');
  rows.push(`| held-out split | | failed / steps | ${FAILURE_CAUSES.filter((c) => c !== 'unseen-value').map((c) => FAILURE_CAUSE_LABELS[c]).join(' | ')} |`, `|---|---|---|${FAILURE_CAUSES.filter((c) => c !== 'unseen-value').map(() => '---|').join('')}`);
  for (let i = 0; i < heldOut.length; i++) {
    for (const [label, r] of [['SFT start', before[i][1]], [`after ${trainer.title}`, after[i][1]]] as const) {
      const f = failureCauses(r.report.records);
      rows.push(`| ${heldOut[i][0]} | ${label} | ${f.failed} / ${f.steps} | ${FAILURE_CAUSES.filter((c) => c !== 'unseen-value').map((c) => f.causes[c]).join(' | ')} |`);
    }
  }
  const table = rows.join('\n');
  const summary = `RL demo (${trainer.title}) on ${ctx.report.name}: ${steps} steps, training ${formatDuration(trainSeconds)}, ${formatDuration(total)} in all (not counting the SFT demo)`;
  console.log(`\n${summary}\n\n${table}\n`);
  if (!o.evalOnly) {
    console.log(await writeRlOutput(join(OUT, 'rl'), model, config, join(OUT, 'sft'), await readParams(model.trainableParams())));
    writeFileSync(join(OUT, 'rl', 'demo-report.md'), `${summary}\n\n${table}\n`);
    writeFileSync(
      join(OUT, 'rl', 'demo-episodes.jsonl'),
      after.flatMap(([name, r]) => r.episodes.map((ep, k) => JSON.stringify({ split: name, id: r.prompts[k].id, end: ep.end, turns: ep.turns.map((t) => ({ text: t.text, calls: t.calls.map((c) => ({ ...c.call, ok: c.result.ok })) })) }))).join('\n') + '\n',
    );
  }
  console.log(`(${formatDuration((performance.now() - t0) / 1000)} including the SFT demo when it ran)`);
  ctx.device.destroy();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error((e as Error).stack ?? (e as Error).message);
    process.exit(1);
  },
);
