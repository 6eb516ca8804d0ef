// RL runs resume exactly: a GRPO run and a PPO run (LoRA on the tiny model, the pipeline's rule reward on sample
// prompts with real tool execution) paused after a checkpoint and resumed on a fresh model, from file checkpoints,
// give exactly the losses of uninterrupted runs; the prompt cursor, the rollout buffer, the critic and the RNGs all
// come back. A checkpoint mid-rollout (num_iterations 3) resumes inside the rollout.
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsCheckpointStore } from '../../../src/cli/fs-checkpoint-store.ts';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { Engine } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { enterpriseEnvironment } from '../../../src/tools/enterprise/executors.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import { validateGrpoConfig, type GrpoConfig } from '../../../src/train/grpo-config.ts';
import { runGrpo } from '../../../src/train/grpo.ts';
import { loadPolicy, type PolicyOptions } from '../../../src/train/load-policy.ts';
import type { StepMetrics } from '../../../src/train/metrics.ts';
import { validatePpoConfig, type PpoConfig } from '../../../src/train/ppo-config.ts';
import { runPpo } from '../../../src/train/ppo.ts';
import type { CompletionRow } from '../../../src/train/rollout.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

const TOOLS = JSON.parse(readFileSync('public/tools/enterprise_tools.json', 'utf8')) as ToolDefinition[];
const prompts = readDatasetText(readFileSync('public/data/ppo_data.jsonl', 'utf8'), { tools: TOOLS }).examples.slice(0, 6);

let dir = '';
beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'rl-'))));
afterAll(async () => rm(dir, { recursive: true, force: true }));

const common = {
  model_name: 'builtin:tiny', prompt_tools: 'none', max_turns: 2, per_device_train_batch_size: 4, learning_rate: 0.003, seed: 5,
  max_steps: 4, save_every: 2, lr_scheduler_type: 'linear', lora: { r: 4, alpha: 8, target_modules: ['q_proj', 'v_proj'] },
};

describe.each(testAdapters())('RL resume on %s', (adapter) => {
  async function session(critic: PolicyOptions['critic']) {
    const e = new Engine(await gpuFor(adapter));
    return { e, ...(await loadPolicy(e, folderProvider('public/models/tiny'), { finetune: 'lora', lora: { r: 4, alpha: 8, dropout: 0, target_modules: ['q_proj', 'v_proj'] }, chatTemplate: 'model', seed: 5, critic })) };
  }

  async function losses<C extends GrpoConfig | PpoConfig>(method: 'grpo' | 'ppo', config: C, runId: string, pauseAt: number | null) {
    const store = new FsCheckpointStore(join(dir, adapter, method));
    const rows: StepMetrics[] = [];
    const completions: CompletionRow[] = [];
    const phases: string[] = [];
    const go = async (resume: boolean, control?: () => 'continue' | 'pause') => {
      const s = await session(method === 'ppo' ? ((config as PpoConfig).critic as 'head' | 'adapter') : false);
      const inp = {
        runId, engine: s.e, model: s.model, tokenizer: s.tokenizer, train: prompts, eval: [], tools: TOOLS, environment: enterpriseEnvironment(),
        store, resume,
        // The untrained tiny model's episodes all score 0 on the rule reward (no valid calls): a code reward on the
        // sampled length varies within groups, so the advantages, ratios and KL terms are not all zero.
        codeRewards: [{ name: 'length', weight: 1, score: (ep: { policyMask: Uint8Array }) => (ep.policyMask.reduce((a, b) => a + b, 0) % 7) / 7 }],
        hooks: { onStep: (m: StepMetrics) => void rows.push(m), control, onCompletions: (r: CompletionRow[]) => void completions.push(...r), onPhase: (p: string) => void phases.push(p) },
      };
      return method === 'grpo' ? runGrpo({ ...inp, config: config as GrpoConfig }) : runPpo({ ...inp, config: config as PpoConfig });
    };
    let r = await go(false, () => (pauseAt !== null && rows.length >= pauseAt ? 'pause' : 'continue'));
    if (pauseAt !== null) {
      expect(r.outcome.status).toBe('paused');
      r = await go(true);
    }
    expect(r.outcome.status).toBe('done');
    return { losses: rows.map((m) => m.loss), rows, completions, phases };
  }

  it('GRPO (num_iterations 3, so the checkpoint falls inside a rollout) resumes with the uninterrupted losses', async () => {
    const config = validateGrpoConfig({ ...common, max_steps: 6, num_generations: 2, max_completion_length: 24, num_iterations: 3, beta: 0.04 });
    const whole = await losses('grpo', config, 'grpo-whole', null);
    const resumed = await losses('grpo', config, 'grpo-resumed', 1);
    expect(whole.losses).toHaveLength(6);
    expect(resumed.losses.slice(-whole.losses.length)).toEqual(whole.losses);
    expect(whole.losses.some((l) => l !== 0)).toBe(true);
    // TRL's metrics are there, and every episode was scored with its components.
    const first = whole.rows[0].metrics!;
    for (const k of ['reward', 'reward_std', 'frac_reward_zero_std', 'kl', 'entropy', 'clip_ratio/region_mean', 'completions/mean_length', 'tools/call_frequency', 'rewards/rule/mean', 'timing/rollout_s']) {
      expect(first, k).toHaveProperty(k);
    }
    expect(whole.completions.length).toBe(8); // 2 rollouts of 4 episodes
    expect(whole.completions[0].components).toHaveProperty('rule');
    // The progress line: each rollout says when it samples and when it optimises; the resumed run, restored inside
    // rollout 1, samples nothing until rollout 2 and numbers it so.
    const rolloutPhases = (n: number) => [`rollout ${n}: sampling 4 episodes`, `rollout ${n}: optimising`];
    expect(whole.phases).toEqual([...rolloutPhases(1), ...rolloutPhases(2)]);
    expect(resumed.phases).toEqual([...rolloutPhases(1), ...rolloutPhases(2)]);
  }, 300_000);

  it.each(['head', 'adapter'])('PPO (critic: %s, k1 penalty) resumes with the uninterrupted losses', async (critic) => {
    const config = validatePpoConfig({ ...common, response_length: 24, num_ppo_epochs: 2, critic });
    const whole = await losses('ppo', config, `ppo-${critic}-whole`, null);
    const resumed = await losses('ppo', config, `ppo-${critic}-resumed`, 2);
    expect(resumed.losses.slice(-whole.losses.length)).toEqual(whole.losses);
    const first = whole.rows[0].metrics!;
    for (const k of ['objective/kl', 'objective/scores', 'loss/policy_avg', 'loss/value_avg', 'policy/approxkl_avg', 'policy/clipfrac_avg', 'val/clipfrac_avg', 'vf_explained_var']) {
      expect(first, k).toHaveProperty(k);
    }
  }, 300_000);
});
