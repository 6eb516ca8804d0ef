// The folders an export writes, checked with tools we did not write: every Python file compiles (python3 -m
// py_compile), the verl launch script parses (bash -n), the parquet files read back with hyparquet and hold verl's
// schema and every row, the YAML files parse, and the Python helpers that run without TRL/verl do what they say.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { buildExport } from '../../../src/export/build.ts';
import { writeParquet, pq, ParquetError } from '../../../src/export/parquet.ts';
import { groundTruth, rlPrompts, EXPORT_METHODS, type ExportMethod } from '../../../src/export/run.ts';
import { GRPO_TO_ENGINES, PPO_TO_ENGINES } from '../../../src/export/rl-to-engines.ts';
import { defaultGrpoConfig, GRPO_TABLE } from '../../../src/train/grpo-config.ts';
import { defaultPpoConfig, PPO_TABLE } from '../../../src/train/ppo-config.ts';
import { SFT_TO_TRL } from '../../../src/export/sft-to-trl.ts';
import { SFT_TABLE } from '../../../src/train/sft-config.ts';
import { sampleExamples, sampleRun, writeFiles } from './helpers.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'export-'));
  dirs.push(d);
  return d;
};

const DATA: Record<ExportMethod, string[]> = { sft: ['sft_data', 'chains_data'], rm: ['rm_data'], grpo: ['ppo_data', 'chains_data'], ppo: ['ppo_data'] };
const LORA = { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj', 'v_proj'] };
const CONFIGS: Record<ExportMethod, Record<string, unknown>> = {
  sft: sampleRun().config,
  rm: { learning_rate: 1e-6, batch_size: 2, lora: LORA },
  grpo: { ...defaultGrpoConfig(), learning_rate: 2e-6, per_device_train_batch_size: 4, gradient_accumulation_steps: 2, num_generations: 4, beta: 0.04, epsilon_high: 0.28, max_turns: 3, top_k: 20, lora: LORA, reward: { rule: 'toolrl', rule_weight: 1, chain_weight: 0.5, reward_model_weight: 0 } },
  ppo: { ...defaultPpoConfig(), per_device_train_batch_size: 2, num_mini_batches: 2, kl_coef: 0.05, kl_estimator: 'k3', max_steps: 40, max_turns: 2, lora: LORA },
};
const runFor = (method: ExportMethod) => sampleRun({
  method,
  train: DATA[method].flatMap((f) => sampleExamples(f).slice(0, 60)),
  eval: method === 'sft' ? sampleExamples('eval_data').slice(0, 10) : [],
  config: CONFIGS[method],
  adapter: { 'adapter_config.json': new TextEncoder().encode('{}'), 'adapter_model.safetensors': new Uint8Array(8) },
});

async function readParquet(bytes: Uint8Array) {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return { rows: await parquetReadObjects({ file }), metadata: parquetMetadata(file) };
}

describe('export folders', () => {
  for (const method of EXPORT_METHODS) {
    for (const target of ['trl', 'verl'] as const) {
      it(`${method} -> ${target}: every Python file compiles${target === 'verl' ? ', run_verl.sh parses' : ''}, YAML parses`, () => {
        const dir = tmp();
        const files = buildExport(runFor(method), target);
        writeFiles(dir, files);
        const py = Object.keys(files).filter((f) => f.endsWith('.py'));
        expect(py.length).toBeGreaterThanOrEqual(target === 'trl' ? 7 : 7);
        const script = `import py_compile, sys\nfor f in sys.argv[1:]:\n    py_compile.compile(f, doraise=True)\nprint(len(sys.argv) - 1)`;
        expect(execFileSync('python3', ['-c', script, ...py.map((f) => join(dir, f))], { encoding: 'utf8' }).trim()).toBe(String(py.length));
        for (const y of Object.keys(files).filter((f) => f.endsWith('.yaml'))) expect(parseYaml(files[y] as string)).toBeTypeOf('object');
        if (target === 'verl') execFileSync('bash', ['-n', join(dir, 'run_verl.sh')]);
        if (target === 'trl') {
          const main = { sft: 'train_sft.py', rm: 'train_rm.py', grpo: 'train_grpo.py', ppo: 'train_ppo.py' }[method];
          expect(files[main]).toContain('LORA = {');
          expect(files['accelerate_zero3.yaml']).toContain('zero_stage: 3');
        }
      });
    }
  }

  it('every SFT key has a TRL mapping, and the SFT script carries the run\'s values', () => {
    expect(Object.keys(SFT_TO_TRL).sort()).toEqual(Object.keys(SFT_TABLE).sort());
    const run = sampleRun();
    run.config = { ...run.config, learning_rate: 3e-5, batch_size: 6, lr_scheduler_type: 'constant', warmup_steps: 7, seed: 9, lora: { r: 12, alpha: 24, dropout: 0.1, target_modules: ['q_proj', 'down_proj'] } };
    const script = buildExport(run, 'trl')['train_sft.py'] as string;
    expect(script).toContain('learning_rate=0.00003,  # studio: learning_rate');
    expect(script).toContain('per_device_train_batch_size=6,');
    expect(script).toContain('lr_scheduler_type="constant_with_warmup",');
    expect(script).toContain('"lora_alpha": 24');
    expect(script).toContain('"target_modules": ["q_proj", "down_proj"]');
    expect(script).toContain('# studio max_nonfinite_steps: not in TRL');
  });

  it('every GRPO and PPO key says where it goes in TRL and in verl; the scripts carry the run\'s values', () => {
    expect(Object.keys(GRPO_TO_ENGINES).sort()).toEqual(Object.keys(GRPO_TABLE).sort());
    expect(Object.keys(PPO_TO_ENGINES).sort()).toEqual(Object.keys(PPO_TABLE).sort());
    const grpo = buildExport(runFor('grpo'), 'trl')['train_grpo.py'] as string;
    for (const line of ['num_generations=4,', 'beta=0.04,', 'epsilon_high=0.28,', 'steps_per_generation=2,  # studio: steps_per_generation', 'max_tool_calling_iterations=2,',
      'learning_rate=0.000002,', 'per_device_train_batch_size=4,', 'loss_type="dapo",', 'scale_rewards="group",', 'top_k=20,',
      'REWARD_RULE = {', '"correctness": 1', 'REWARD_WEIGHTS = {', '"chain": 0.5', '# studio max_tool_turn_tokens: not in TRL:']) expect(grpo).toContain(line);
    const ppo = buildExport(runFor('ppo'), 'trl')['train_ppo.py'] as string;
    // max_steps 40 / (4 epochs x 2 mini-batches) = 5 rollouts of 2 x 1 x 2 episodes
    for (const line of ['total_episodes=20,', 'kl_estimator="k3",', 'num_mini_batches=2,', 'response_length=53,', 'vf_coef=0.1,', '# studio top_k: not in TRL:', '# studio reward: not in TRL:']) expect(ppo).toContain(line);
    // A config that is not a valid table is refused with the table's message, not exported.
    expect(() => buildExport(sampleRun({ method: 'grpo', train: sampleExamples('ppo_data').slice(0, 8), config: { per_device_train_batch_size: 3, num_generations: 2 } }), 'trl')).toThrow(/num_generations/);
  });

  it('verl parquet reads back with hyparquet: verl\'s schema, every prompt, tools_kwargs for every tool', async () => {
    const run = runFor('grpo');
    const files = buildExport(run, 'verl');
    const { rows, metadata } = await readParquet(files['data/train.parquet'] as Uint8Array);
    const prompts = rlPrompts(run.train);
    expect(rows.length).toBe(prompts.length);
    expect(Number(metadata.num_rows)).toBe(prompts.length);
    const top = parquetSchema(metadata).children.map((c) => c.element.name);
    expect(top).toEqual(['data_source', 'prompt', 'ability', 'reward_model', 'extra_info']);
    rows.forEach((r, i) => {
      expect(r.data_source).toBe('tool-use-rl-studio/grpo');
      expect(r.ability).toBe('tool_use');
      expect(r.prompt).toEqual(prompts[i].messages);
      expect(r.reward_model).toEqual({ style: 'rule', ground_truth: groundTruth(prompts[i]) });
      expect(r.extra_info).toEqual({ split: 'train', index: BigInt(i), id: prompts[i].id, line: BigInt(prompts[i].line) });
    });
    // Chains give prompts with several reference turns (the multi-turn reward's steps).
    expect(prompts.some((p) => p.steps.length >= 3)).toBe(true);
    const val = await readParquet(files['data/val.parquet'] as Uint8Array);
    expect(val.rows.length).toBeGreaterThan(0);
    const config = parseYaml(files['tool_config.yaml'] as string);
    expect(config.tools.map((t: { tool_schema: { function: { name: string } } }) => t.tool_schema.function.name)).toEqual(run.tools.map((t) => t.function.name));
    expect(config.tools[0]).toMatchObject({ class_name: 'verl_tools.EnterpriseTool', config: { type: 'native' } });
    const sh = files['run_verl.sh'] as string;
    for (const o of ['algorithm.adv_estimator=grpo', 'actor_rollout_ref.rollout.n=4', 'actor_rollout_ref.actor.kl_loss_coef=0.04', 'actor_rollout_ref.model.lora_rank=8',
      'actor_rollout_ref.model.target_modules=[q_proj,v_proj]', 'actor_rollout_ref.rollout.multi_turn.enable=True', 'custom_reward_function.name=compute_score',
      'actor_rollout_ref.actor.clip_ratio_high=0.28', 'actor_rollout_ref.rollout.top_k=20', 'actor_rollout_ref.rollout.multi_turn.max_assistant_turns=3',
      // 4 episodes x 2 micro-batches per rollout / 4 per group = 2 prompts per rollout; max_completion_length 256 x 3 turns + 2 tool results x 512
      'data.train_batch_size=2', 'actor_rollout_ref.actor.ppo_mini_batch_size=2', 'data.max_response_length=1792', 'actor_rollout_ref.actor.optim.lr=0.000002']) expect(sh).toContain(o);
    const ppo = buildExport(runFor('ppo'), 'verl')['run_verl.sh'] as string;
    for (const o of ['algorithm.adv_estimator=gae', 'algorithm.kl_penalty=low_var_kl', 'algorithm.kl_ctrl.kl_coef=0.05', 'data.train_batch_size=4', 'actor_rollout_ref.actor.ppo_mini_batch_size=2',
      'trainer.total_training_steps=5', 'critic.model.lora_rank=8', 'critic.optim.lr=0.000003']) expect(ppo).toContain(o);
    expect(ppo).toContain("# studio whiten_rewards: not in verl:");
  });

  it('the parquet writer: nested lists and structs, empty lists, every primitive, read back by hyparquet', async () => {
    const schema: [string, ReturnType<typeof pq.list>][] = [
      ['a', pq.list(pq.struct([['s', pq.string], ['n', pq.list(pq.int64)]]))],
      ['b', pq.struct([['x', pq.double], ['ok', pq.bool], ['t', pq.string]])],
    ];
    const rows = Array.from({ length: 37 }, (_, i) => ({
      a: Array.from({ length: i % 4 }, (_, k) => ({ s: `r${i}k${k}中文`, n: Array.from({ length: (i + k) % 3 }, (_, m) => i * 100 + m - 50) })),
      b: { x: i / 7 - 2, ok: i % 3 === 0, t: i % 5 ? 'x'.repeat(i) : '' },
    }));
    const { rows: back } = await readParquet(writeParquet(schema, rows));
    expect(back.map((r) => ({ a: r.a.map((e: { s: string; n: bigint[] }) => ({ s: e.s, n: e.n.map(Number) })), b: r.b }))).toEqual(rows);
    expect(() => writeParquet(schema, [{ a: [], b: { x: 1, ok: true } }])).toThrow(ParquetError);
    expect(() => writeParquet(schema, [{ a: [{ s: 1, n: [] }], b: { x: 1, ok: true, t: '' } }])).toThrow(/a\.list\.element\.s must be string/);
  });

  it('Python helpers run without TRL or verl: the TRL environment, the verl reward on decoded multi-turn text, the assistant mask', () => {
    const dir = tmp();
    writeFiles(dir, buildExport(runFor('grpo'), 'trl'));
    const verl = tmp();
    writeFiles(verl, buildExport(runFor('grpo'), 'verl'));
    const script = `
import json, sys, inspect
sys.path.insert(0, sys.argv[1])
from trl_env import EnterpriseToolEnv
from trl_data import assistant_spans, completion_text, completion_turns
env = EnterpriseToolEnv()
sig = inspect.signature(EnterpriseToolEnv.searchMeetingRooms)
assert list(sig.parameters)[:4] == ["self", "date", "startTime", "endTime"], sig
assert sig.parameters["minCapacity"].annotation in (int, "int") and sig.parameters["minCapacity"].default is None
assert "(choices: [\\"projector\\"" in EnterpriseToolEnv.searchMeetingRooms.__doc__
book = {"name": "bookMeetingRoom", "arguments": {"roomId": "BJ-301", "date": "2025-06-20", "startTime": "10:00", "endTime": "11:00", "organizerId": "E1002"}}
env.reset(ground_truth=json.dumps({"expected": [], "prefix": [book]}))
try:
    env.bookMeetingRoom(**book["arguments"])
    raise SystemExit("a room booked in the prefix must be taken")
except ValueError as e:
    assert "already booked" in str(e), e
out = json.loads(env.queryWeather(city="北京", date="2025-06-03"))
assert out["city"] == "Beijing", out
assert completion_text([{"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "queryWeather", "arguments": {"city": "北京"}}}]}]) == '<tool_call>\\n{"name": "queryWeather", "arguments": {"city": "北京"}}\\n</tool_call>'
assert assistant_spans([5, 1, 9, 2, 7, 7, 3, 5, 1, 2, 8, 3], 1, 3, [9], [2]) == [(4, 7)]
assert completion_turns([{"role": "assistant", "content": "a"}, {"role": "tool", "content": "{}"}, {"role": "assistant", "content": "b"}]) == ["a", "b"]
sys.path.insert(0, sys.argv[2])
import verl_reward
assert verl_reward.assistant_turns("x\\nuser\\n<tool_response>\\n{}\\n</tool_response>\\n<tool_response>\\n[]\\n</tool_response>\\nassistant\\ny") == ["x", "y"]
assert verl_reward.assistant_turns("<tool_call>\\n{}\\n</tool_call>\\nuser\\n<tool_response>\\n{}\\n</tool_response>\\n") == ["<tool_call>\\n{}\\n</tool_call>"]
gt = json.dumps({"steps": [[{"name": "queryWeather", "arguments": {"city": "北京"}}], []]})
decoded = '<tool_call>\\n{"name": "queryWeather", "arguments": {"city": "北京"}}\\n</tool_call>\\nuser\\n<tool_response>\\n{}\\n</tool_response>\\nassistant\\n北京晴'
s = verl_reward.compute_score("tool-use-rl-studio/grpo", decoded, gt, {})
assert s["score"] == 4 + 0.5 and s["rule"] == 4 and s["chain"] == 1 and s["turns"] == 2, s
w = verl_reward.compute_score("x", "It is sunny.", gt, {})
assert w["score"] == (-3 + 3) / 2 and w["rule"] == 0 and w["chain"] == 0, w  # a missing turn: empty text, no format point
print("ok")
`;
    expect(execFileSync('python3', ['-c', script, dir, verl], { encoding: 'utf8' }).trim()).toBe('ok');
  });
});
