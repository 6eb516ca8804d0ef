// The seeded sample-data generator: sft / rm / ppo files in the pipeline's formats, conversational
// multi-step chains, and a held-out eval split, all consistent with the tools' mock world and
// byte-identical for the same seed.

import { printCallString } from '../../tools/call-string.ts';
import { DEFAULT_WORLD } from '../../tools/enterprise/world.ts';
import type { ToolCall } from '../../tools/types.ts';
import { Rng } from '../../util/rng.ts';
import type { Conversation } from '../conversation.ts';
import { detectRecordKind, normaliseRecord } from '../formats.ts';
import { toTrlRecord } from '../trl-export.ts';
import { type ChainExample, CHAINS, drawChain } from './chains.ts';
import { systemLine } from './dates.ts';
import { type EntityPool, type Split, entityPools } from './entities.ts';
import { INTENTS, type IntentContext, type Lang, type SingleStepExample, drawNoTool, drawSingleStep } from './intents.ts';
import { VariedDrawer } from './variety.ts';
import { type CallFormat, REJECTION_KINDS, formatCalls, rejectCalls, rejectTextAnswer } from './rejections.ts';

export const DEFAULT_DATA_SEED = 20250602;

export interface GeneratorConfig {
  seed: number;
  sftRows: number;
  rmPairs: number;
  ppoPrompts: number;
  chains: number;
  evalRows: number;
  evalChains: number;
  /** Single-step SFT rows with synthetic entities and varied wording (sft_varied_data.jsonl, see variety.ts). */
  variedRows: number;
  /** Held-out reward-model pairs (rm_eval.jsonl): the eval split's phrasings and entities. */
  rmEvalPairs: number;
  /** Share of Chinese questions (the rest English). */
  chineseShare: number;
  /** Share of questions that need no tool. */
  noToolShare: number;
}

export const DEFAULT_GENERATOR_CONFIG: GeneratorConfig = {
  seed: DEFAULT_DATA_SEED,
  sftRows: 1200,
  rmPairs: 600,
  ppoPrompts: 400,
  chains: 320,
  evalRows: 200,
  evalChains: 100,
  variedRows: 24000,
  rmEvalPairs: 200,
  chineseShare: 0.6,
  noToolShare: 0.1,
};

/** What each example was made from, for the disjointness checks. */
export interface ExampleMeta {
  file: string;
  templateId: string;
  question: string;
}

export interface GeneratedData {
  /** File name -> JSONL text. */
  files: Record<string, string>;
  meta: ExampleMeta[];
}

class Drawer {
  constructor(
    private readonly rng: Rng,
    private readonly pool: EntityPool,
    private readonly split: Split,
    private readonly config: GeneratorConfig,
  ) {}

  context(): IntentContext {
    const lang: Lang = this.rng.next() < this.config.chineseShare ? 'zh' : 'en';
    return { rng: this.rng, today: DEFAULT_WORLD.today, user: this.rng.pick(this.pool.employees), pool: this.pool, lang };
  }

  single(): { ctx: IntentContext; ex: SingleStepExample } {
    const ctx = this.context();
    const ex = this.rng.next() < this.config.noToolShare ? drawNoTool(ctx, this.split) : drawSingleStep(this.rng.pick(INTENTS), ctx, this.split);
    return { ctx, ex };
  }

  chain(): { ctx: IntentContext; ex: ChainExample } {
    const ctx = this.context();
    return { ctx, ex: drawChain(this.rng.pick(CHAINS), ctx, this.split) };
  }
}

/** Two lines are the same example when they normalise the same (a call string and its JSON form are equal). */
function normalisedKey(line: string): string {
  const value = JSON.parse(line) as Record<string, unknown>;
  const result = normaliseRecord(value, detectRecordKind(value)!, 0);
  if ('problems' in result) throw new Error(`generator wrote an invalid line: ${result.problems[0].message}\n${line}`);
  return JSON.stringify(result.example);
}

/** Draws until `count` distinct examples exist (the validator flags duplicates, so the data has none). */
function distinctLines(count: number, draw: () => { line: string; meta: Omit<ExampleMeta, 'file'> }, file: string, meta: ExampleMeta[]): string {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (let attempts = 0; lines.length < count; attempts++) {
    if (attempts > count * 50) throw new Error(`${file}: could not draw ${count} distinct examples (got ${lines.length})`);
    const d = draw();
    const key = normalisedKey(d.line);
    if (seen.has(key)) continue;
    seen.add(key);
    lines.push(d.line);
    meta.push({ file, ...d.meta });
  }
  return lines.join('\n') + '\n';
}

function sftOutput(calls: ToolCall[], answer: string | undefined): string {
  if (calls.length === 0) return answer ?? '';
  const one = (c: ToolCall) => ({ tool_call: { tool_name: c.name, parameters: c.arguments } });
  return JSON.stringify(calls.length === 1 ? one(calls[0]) : calls.map(one));
}

function sftLine(ctx: IntentContext, ex: SingleStepExample): string {
  return JSON.stringify({ instruction: systemLine(ctx.lang, ctx.today, ctx.user), input: ex.question, output: sftOutput(ex.calls, ex.answer) });
}

function chainLine(ctx: IntentContext, ex: ChainExample): string {
  const conversation: Conversation = { system: systemLine(ctx.lang, ctx.today, ctx.user), turns: [{ role: 'user', content: ex.question }, ...ex.turns] };
  return JSON.stringify(toTrlRecord({ kind: 'conversational', line: 0, conversation }));
}

const promptText = (ctx: IntentContext, question: string) => `${systemLine(ctx.lang, ctx.today, ctx.user)}\n${question}`;

export function generateSampleData(overrides: Partial<GeneratorConfig> = {}): GeneratedData {
  const config = { ...DEFAULT_GENERATOR_CONFIG, ...overrides };
  const root = new Rng(config.seed);
  const pools = entityPools(DEFAULT_WORLD);
  const meta: ExampleMeta[] = [];
  const files: Record<string, string> = {};
  const drawer = (split: Split) => new Drawer(root.fork(), pools[split], split, config);

  const sft = drawer('train');
  files['sft_data.jsonl'] = distinctLines(config.sftRows, () => {
    const { ctx, ex } = sft.single();
    return { line: sftLine(ctx, ex), meta: { templateId: ex.templateId, question: ex.question } };
  }, 'sft_data.jsonl', meta);

  files['rm_data.jsonl'] = rmPairs(drawer('train'), root.fork(), config.rmPairs, 'rm_data.jsonl', meta);

  const ppo = drawer('train');
  files['ppo_data.jsonl'] = distinctLines(config.ppoPrompts, () => {
    const { ctx, ex } = ppo.single();
    const response = ex.calls.length === 0 ? ex.answer! : printCallString(ex.calls);
    return { line: JSON.stringify({ prompt: promptText(ctx, ex.question), response }), meta: { templateId: ex.templateId, question: ex.question } };
  }, 'ppo_data.jsonl', meta);

  const chains = drawer('train');
  files['chains_data.jsonl'] = distinctLines(config.chains, () => {
    const { ctx, ex } = chains.chain();
    return { line: chainLine(ctx, ex), meta: { templateId: ex.templateId, question: ex.question } };
  }, 'chains_data.jsonl', meta);

  const evalSingle = drawer('eval');
  files['eval_data.jsonl'] = distinctLines(config.evalRows, () => {
    const { ctx, ex } = evalSingle.single();
    return { line: sftLine(ctx, ex), meta: { templateId: ex.templateId, question: ex.question } };
  }, 'eval_data.jsonl', meta);

  const evalChains = drawer('eval');
  files['eval_chains.jsonl'] = distinctLines(config.evalChains, () => {
    const { ctx, ex } = evalChains.chain();
    return { line: chainLine(ctx, ex), meta: { templateId: ex.templateId, question: ex.question } };
  }, 'eval_chains.jsonl', meta);

  // Drawn last, so adding it left the other files' random streams (and bytes) unchanged.
  const varied = new VariedDrawer(root.fork(), config.chineseShare, config.noToolShare);
  files['sft_varied_data.jsonl'] = distinctLines(config.variedRows, () => {
    const { ctx, ex } = varied.draw();
    return { line: sftLine(ctx, ex), meta: { templateId: ex.templateId, question: ex.question } };
  }, 'sft_varied_data.jsonl', meta);

  // Drawn after everything else (the other files keep their bytes): the reward model's held-out split, from the
  // eval split's phrasings and entities, so it shares no wording or entity with rm_data.jsonl.
  files['rm_eval.jsonl'] = rmPairs(drawer('eval'), root.fork(), config.rmEvalPairs, 'rm_eval.jsonl', meta);

  return { files, meta };
}

/**
 * Preference pairs: the right call (or answer) against one mistake, the kinds taken in turn (a call that cannot
 * show its kind falls back to another, and the line names the kind it got). `rejection_kind` follows the
 * pipeline's three fields, which come first.
 */
function rmPairs(d: Drawer, rng: Rng, count: number, file: string, meta: ExampleMeta[]): string {
  let index = 0;
  return distinctLines(count, () => {
    const { ctx, ex } = d.single();
    const format: CallFormat = rng.next() < 0.7 ? 'call-string' : 'json';
    const rejected = ex.calls.length === 0 ? rejectTextAnswer(ex.question, rng, format) : rejectCalls(ex.calls, REJECTION_KINDS[index++ % REJECTION_KINDS.length], format, rng);
    const chosen = ex.calls.length === 0 ? ex.answer! : formatCalls(ex.calls, format);
    const line = JSON.stringify({ prompt: promptText(ctx, ex.question), chosen, rejected: rejected.text, rejection_kind: rejected.kind });
    return { line, meta: { templateId: ex.templateId, question: ex.question } };
  }, file, meta);
}

export const TRAINING_FILES = ['sft_data.jsonl', 'rm_data.jsonl', 'ppo_data.jsonl', 'chains_data.jsonl', 'sft_varied_data.jsonl'] as const;
export const EVAL_FILES = ['eval_data.jsonl', 'eval_chains.jsonl', 'rm_eval.jsonl'] as const;
