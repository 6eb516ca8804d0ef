// GRPO and PPO end to end on the tiny model, on a task with a known optimum: reward 1 when the first sampled token
// is a given one. Each trainer must raise that token's probability from below 0.2 to above 0.9 within a bounded
// number of steps, on both CPU adapters (real episodes, GPU sampling, the shared loop).
// The tiny model starts from random weights with near-uniform logits, so the test samples at the temperature where
// the model's favourite first token has probability 0.1. Every weight trains (beta / kl_coef 0): with LoRA the frozen
// tied LM head and final RMSNorm of a random 64-wide model bound the logit margin it can reach (measured: it stops
// near 0.84), which says nothing about the trainers. The KL terms are tested against their analytic optimum in
// rl-kl-optimum.test.ts; LoRA RL in rl-resume.test.ts and the RL demo.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DatasetExample } from '../../../src/data/conversation.ts';
import { Engine } from '../../../src/engine/index.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import type { QwenModel } from '../../../src/model/qwen.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import { tokenizePrompt } from '../../../src/tokenizer/loss-mask.ts';
import type { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';
import { validateGrpoConfig } from '../../../src/train/grpo-config.ts';
import { runGrpo } from '../../../src/train/grpo.ts';
import { loadPolicy } from '../../../src/train/load-policy.ts';
import { validatePpoConfig } from '../../../src/train/ppo-config.ts';
import { runPpo } from '../../../src/train/ppo.ts';
import type { CodeReward } from '../../../src/train/rl-reward.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';
import { logits } from '../../helpers/model-logits.ts';

const TOOLS = JSON.parse(readFileSync('public/tools/enterprise_tools.json', 'utf8')) as ToolDefinition[];
// A short prompt (no system line): a dozen tokens, so a step of 64 episodes stays cheap on a CPU adapter.
const prompt = { turns: [{ role: 'user' as const, content: 'who are you?' }] };
const data: DatasetExample[] = [{ kind: 'ppo', line: 1, prompt }];

/** softmax(z / T)[target] at the prompt's last position, and the argmax there. */
async function firstTokenProbability(model: QwenModel, tok: ChatTokenizer, T: number, target?: number) {
  const ids = tokenizePrompt(tok, prompt, { tools: [] });
  const all = await logits(model, ids);
  const V = model.cfg.vocabSize;
  const z = all.subarray((ids.length - 1) * V, ids.length * V);
  let best = 0;
  for (let i = 1; i < V; i++) if (z[i] > z[best]) best = i;
  const a = target ?? best;
  const p = (temp: number) => {
    let m = -Infinity;
    for (const v of z) m = Math.max(m, v);
    let s = 0;
    for (const v of z) s += Math.exp((v - m) / temp);
    return Math.exp((z[a] - m) / temp) / s;
  };
  return { target: a, p: p(T), pAt: p };
}

/** The temperature at which the target starts near probability 0.1: low enough to learn, well below 0.2. */
function temperatureFor(pAt: (T: number) => number, goal = 0.1): number {
  let lo = 1e-3, hi = 1;
  for (let i = 0; i < 40; i++) {
    const mid = Math.sqrt(lo * hi);
    if (pAt(mid) > goal) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

describe.each(testAdapters())('RL on a task with a known optimum on %s', (adapter) => {
  async function setup(critic: boolean, finetune: 'lora' | 'full') {
    const e = new Engine(await gpuFor(adapter));
    const { model, tokenizer } = await loadPolicy(e, folderProvider('public/models/tiny'), {
      finetune, lora: { r: 16, alpha: 32, dropout: 0, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] },
      chatTemplate: 'model', seed: 11, critic: critic ? 'head' : false,
    });
    const start = await firstTokenProbability(model, tokenizer, 1);
    const T = temperatureFor(start.pAt);
    return { e, model, tokenizer, target: start.target, T };
  }
  const firstToken = (target: number): CodeReward => ({ name: 'first_token', weight: 1, score: (ep) => (ep.tokens[ep.promptLength] === target ? 1 : 0) });

  it('GRPO raises the rewarded first token from < 0.2 to > 0.9', async () => {
    const { e, model, tokenizer, target, T } = await setup(false, 'full');
    const before = (await firstTokenProbability(model, tokenizer, T, target)).p;
    const config = validateGrpoConfig({
      model_name: 'builtin:tiny', prompt_tools: 'none', finetune: 'full', max_turns: 1, max_completion_length: 1, num_generations: 8, per_device_train_batch_size: 32,
      learning_rate: 0.005, lr_scheduler_type: 'constant', temperature: T, max_steps: 8, seed: 3, beta: 0, loss_type: 'dapo',
    });
    config.reward.rule_weight = 0; // the code reward is the only signal
    const rewards: number[] = [];
    const r = await runGrpo({
      runId: 'grpo-optimum', engine: e, model, tokenizer, config, train: data, eval: [], tools: TOOLS, store: null, resume: false,
      codeRewards: [firstToken(target)], hooks: { onStep: (m) => void rewards.push(m.metrics?.reward ?? Number.NaN) },
    });
    expect(r.outcome.status).toBe('done');
    const after = (await firstTokenProbability(model, tokenizer, T, target)).p;
    expect(before).toBeLessThan(0.2);
    expect(after).toBeGreaterThan(0.9);
    expect(rewards.at(-1)).toBeGreaterThan(rewards[0]);
  }, 300_000);

  it('PPO raises the rewarded first token from < 0.2 to > 0.9', async () => {
    const { e, model, tokenizer, target, T } = await setup(true, 'full');
    const before = (await firstTokenProbability(model, tokenizer, T, target)).p;
    const config = validatePpoConfig({
      model_name: 'builtin:tiny', prompt_tools: 'none', finetune: 'full', critic: 'head', max_turns: 1, response_length: 1, per_device_train_batch_size: 32, num_ppo_epochs: 2,
      learning_rate: 0.003, lr_scheduler_type: 'constant', warmup_steps: 4, temperature: T, max_steps: 16, seed: 3, kl_coef: 0,
    });
    config.reward.rule_weight = 0;
    const r = await runPpo({
      runId: 'ppo-optimum', engine: e, model, tokenizer, config, train: data, eval: [], tools: TOOLS, store: null, resume: false,
      codeRewards: [firstToken(target)],
    });
    expect(r.outcome.status).toBe('done');
    const after = (await firstTokenProbability(model, tokenizer, T, target)).p;
    expect(before).toBeLessThan(0.2);
    expect(after).toBeGreaterThan(0.9);
  }, 300_000);
});
