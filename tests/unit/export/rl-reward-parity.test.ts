// The RL episode reward an export carries (rl_reward.py, and verl_reward.py on decoded multi-turn text) against
// the studio's (src/train/rl-reward.ts episodeRewards) on sample chains: the gold chain, and episodes built from it
// that stop early, add a turn, get a later step wrong, swap steps, fail to parse, or answer at once. Every preset,
// the chain reward on and off; per-turn rule rewards, the rule, chain and total compared exactly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Episode } from '../../../src/agent/episode.ts';
import type { Conversation, Turn } from '../../../src/data/conversation.ts';
import type { GoldCall } from '../../../src/eval/match.ts';
import { REWARD_PRESETS } from '../../../src/eval/reward.ts';
import { assistantText, groundTruth, rlPrompts as exportPrompts } from '../../../src/export/run.ts';
import { enterpriseEnvironment } from '../../../src/tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { toolResultContent } from '../../../src/tools/environment.ts';
import { parseModelOutput } from '../../../src/tools/parse-output.ts';
import type { ToolCall } from '../../../src/tools/types.ts';
import { conversationToMessages } from '../../../src/tokenizer/chat-messages.ts';
import { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { rlPrompts, referenceSteps, type RlPrompt } from '../../../src/train/rl-prompts.ts';
import { episodeRewards, type RlRewardWeights } from '../../../src/train/rl-reward.ts';
import { qwen3Tokenizer } from '../tokenizer/qwen3-tokenizer.ts';
import { sampleExamples, sampleRun, writeExport } from './helpers.ts';

const tools = [...ENTERPRISE_TOOLS];
const env = enterpriseEnvironment();
let trl: string;
let verl: string;

beforeAll(() => {
  trl = mkdtempSync(join(tmpdir(), 'rl-parity-'));
  verl = mkdtempSync(join(tmpdir(), 'rl-parity-verl-'));
  writeExport(trl, 'trl');
  const grpo = sampleRun({ method: 'grpo', train: sampleExamples('chains_data').slice(0, 10), config: { reward: { rule: 'pipeline', rule_weight: 1, chain_weight: 0.5, reward_model_weight: 0 } } });
  writeExport(verl, 'verl', grpo);
});
afterAll(() => [trl, verl].forEach((d) => rmSync(d, { recursive: true, force: true })));

function python(dir: string, mode: 'episode' | 'verl', lines: unknown[]): Record<string, unknown>[] {
  const cases = join(dir, `${mode}-cases.jsonl`);
  const out = join(dir, `${mode}-out.jsonl`);
  writeFileSync(cases, lines.map((l) => JSON.stringify(l) + '\n').join(''));
  execFileSync('python3', [join(import.meta.dirname, 'parity_driver.py'), dir, mode, cases, out], { stdio: 'pipe', maxBuffer: 1 << 28 });
  return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

const hermes = (calls: ToolCall[], content = '') => assistantText({ role: 'assistant', calls, ...(content ? { content } : {}) });

function bump(calls: GoldCall[]): ToolCall[] {
  if (calls.length === 0) return [{ name: 'queryWeather', arguments: { city: '北京' } }];
  const [first, ...rest] = calls;
  const keys = Object.keys(first.arguments);
  const args = keys.length ? { ...first.arguments, [keys[0]]: `${String(first.arguments[keys[0]])}x` } : { extra: 1 };
  return [{ name: first.name, arguments: args }, ...rest];
}

/** An episode ends at a turn without calls (the answer) or one that does not parse, as the episode runner ends it. */
function played(texts: string[]): string[] {
  const end = texts.findIndex((t) => {
    const parsed = parseModelOutput(t);
    return !!parsed.error || parsed.calls.length === 0;
  });
  return end < 0 ? texts : texts.slice(0, end + 1);
}

/** Episodes (assistant turn texts) built from a reference chain. */
function variants(p: RlPrompt): string[][] {
  return rawVariants(p).map(played);
}

function rawVariants(p: RlPrompt): string[][] {
  const steps = referenceSteps(p.reference);
  const texts = p.reference.flatMap((t) => (t.role === 'assistant' ? [assistantText(t)] : []));
  const out: string[][] = [texts, texts.slice(0, 1), [...texts, 'Done.'], [hermes(bump(steps[0] ?? []))], ['Sure, I can help with that.'], [], ['<tool_call>\n{"name": "queryWeather", "arguments": {"city": </tool_call>', ...texts.slice(1)]];
  if (steps.length >= 2) {
    out.push([texts[0], hermes(bump(steps[1])), ...texts.slice(2)]);
    out.push([texts[1], texts[0], ...texts.slice(2)]);
    out.push([hermes([...steps[0], ...steps[1]]), ...texts.slice(2)]);
  }
  return out;
}

/** An episode as the episode runner leaves it, from its turn texts: parsed turns, calls run, tool results appended. */
function episodeOf(prompt: Conversation, texts: string[]): Episode {
  const world = env.create();
  const turns: Turn[] = [...prompt.turns];
  const epTurns = texts.map((text, k) => {
    const parsed = parseModelOutput(text);
    const calls = parsed.error ? [] : parsed.calls.map((call) => ({ call, result: world.execute(call) }));
    turns.push(parsed.error ? { role: 'assistant', calls: [], unparsed: text } : { role: 'assistant', calls: parsed.calls, ...(parsed.content ? { content: parsed.content } : {}) });
    if (calls.length && k < texts.length - 1) turns.push({ role: 'tool', results: calls.map((c) => ({ name: c.call.name, content: toolResultContent(c.result) })) });
    return { text, parsed, calls, finish: 'stop', span: [0, 0] };
  });
  return { turns: epTurns, conversation: { ...prompt, turns } } as unknown as Episode;
}

const PRESETS = ['pipeline', 'toolrl', 'binary'] as const;

describe('rl_reward.py equals src/train/rl-reward.ts', () => {
  it('per-turn rule rewards, rule, chain and total on sample chains and single steps, every preset', async () => {
    // Every 2nd training chain, every held-out chain, and single-step prompts (~2,000 episodes, about a minute).
    const prompts = [...rlPrompts(sampleExamples('chains_data')).filter((_, i) => i % 2 === 0), ...rlPrompts(sampleExamples('eval_chains')), ...rlPrompts(sampleExamples('ppo_data')).slice(0, 60)];
    const cases: { turns: string[]; steps: GoldCall[][]; rule: string | null; weights: RlRewardWeights; ts: Awaited<ReturnType<typeof episodeRewards>>[number] }[] = [];
    let n = 0;
    for (const p of prompts) {
      for (const texts of variants(p)) {
        const rule = n % 11 === 5 ? null : PRESETS[n % 3];
        const weights = { rule: 1, chain: n % 2 ? 0.5 : 0, reward_model: 0 };
        n++;
        const [ts] = await episodeRewards([episodeOf(p.prompt, texts)], [p], { tools, environment: env, rule: rule ? REWARD_PRESETS[rule] : null, weights: rule || weights.chain ? weights : { ...weights, chain: 1 } });
        cases.push({ turns: texts, steps: referenceSteps(p.reference), rule, weights: rule || weights.chain ? weights : { ...weights, chain: 1 }, ts });
      }
    }
    expect(cases.length).toBeGreaterThan(1500);
    const py = python(trl, 'episode', cases.map(({ ts: _ts, ...c }) => c));
    expect(py.length).toBe(cases.length);
    const nan = (v: number) => (Number.isNaN(v) ? null : v);
    let mismatches = 0;
    const seen = new Set<string>();
    cases.forEach((c, i) => {
      const want = { total: c.ts.total, rule: nan(c.ts.components.rule), chain: nan(c.ts.components.chain), turn_rules: c.ts.turnRules };
      seen.add(`chain=${want.chain}`);
      seen.add(`multi=${c.turns.length > 1 && want.turn_rules.length > 1}`);
      if (JSON.stringify(want) !== JSON.stringify(py[i])) {
        if (mismatches++ < 5) console.error(JSON.stringify(c.turns).slice(0, 400), JSON.stringify(want), JSON.stringify(py[i]));
      }
    });
    expect(mismatches).toBe(0);
    // Both chain outcomes and multi-turn episodes occur; totals are not all one value.
    for (const s of ['chain=1', 'chain=0', 'chain=null', 'multi=true']) expect(seen.has(s), s).toBe(true);
    expect(new Set(cases.map((c) => c.ts.total)).size).toBeGreaterThan(10);
  }, 300_000);

  it('verl_reward.compute_score on the decoded multi-turn response (compact and Qwen3 templates) gives the studio\'s total', async () => {
    const tiny = await ChatTokenizer.fromFiles(folderProvider('public/models/tiny'));
    const tokenizers = [tiny, qwen3Tokenizer()];
    const prompts = rlPrompts(sampleExamples('chains_data')).slice(0, 60);
    const weights = { rule: 1, chain: 0.5, reward_model: 0 };
    const cases: { solution_str: string; ground_truth: string; want: number; turns: string[] }[] = [];
    for (const [k, p] of prompts.entries()) {
      const tok = tokenizers[k % 2];
      for (const texts of variants(p).filter((t) => t.length > 0)) {
        const ep = episodeOf(p.prompt, texts);
        const [ts] = await episodeRewards([ep], [p], { tools, environment: env, rule: REWARD_PRESETS.pipeline, weights });
        // What verl decodes: the response tokens after the generation prompt, special tokens skipped.
        const head = tok.render(conversationToMessages(p.prompt).messages, { tools, addGenerationPrompt: true });
        const full = tok.render(conversationToMessages(ep.conversation).messages, { tools });
        expect(full.startsWith(head)).toBe(true);
        const solution = tok.decode(tok.encode(full.slice(head.length)), true);
        const [exp] = exportPrompts([{ kind: 'conversational', line: Number(p.id.slice(5)), conversation: { ...p.prompt, turns: [...p.prompt.turns, ...p.reference] } }]);
        cases.push({ solution_str: solution, ground_truth: groundTruth(exp), want: ts.total, turns: texts });
      }
    }
    const py = python(verl, 'verl', cases);
    let mismatches = 0;
    cases.forEach((c, i) => {
      if (py[i].score !== c.want) {
        if (mismatches++ < 5) console.error(JSON.stringify(c.solution_str).slice(0, 500), c.want, JSON.stringify(py[i]));
      }
    });
    expect(mismatches).toBe(0);
    expect(py.some((r) => (r.turns as string[]).length >= 3)).toBe(true);
    expect(new Set(cases.map((c) => c.want)).size).toBeGreaterThan(5);
  }, 300_000);
});
