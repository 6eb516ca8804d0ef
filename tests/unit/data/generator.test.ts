// The sample-data generator: byte-determinism, sizes, validity against the sample tools, chains that
// really run in the mock world, resolved relative dates, and an eval split disjoint from training.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { futureDatePhrases, pastDatePhrases } from '../../../src/data/generator/dates.ts';
import { evalEntityStrings } from '../../../src/data/generator/entities.ts';
import { DEFAULT_GENERATOR_CONFIG, EVAL_FILES, TRAINING_FILES, generateSampleData } from '../../../src/data/generator/generate.ts';
import { INTENTS } from '../../../src/data/generator/intents.ts';
import { EXTRA_PHRASINGS } from '../../../src/data/generator/variety.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { EnterpriseWorld } from '../../../src/tools/enterprise/executors.ts';
import { parseCallString } from '../../../src/tools/call-string.ts';
import { ArgumentValidator } from '../../../src/tools/validate-args.ts';
import { DEFAULT_WORLD } from '../../../src/tools/enterprise/world.ts';

const validator = new ArgumentValidator(ENTERPRISE_TOOLS);

const data = generateSampleData();
const read = (name: string) => readDatasetText(data.files[name], { tools: ENTERPRISE_TOOLS });

describe('generateSampleData', () => {
  it('gives the same bytes for the same seed, and other bytes for another seed', () => {
    const again = generateSampleData();
    for (const name of Object.keys(data.files)) expect(again.files[name] === data.files[name]).toBe(true);
    const small = { sftRows: 30, rmPairs: 10, ppoPrompts: 10, chains: 5, evalRows: 5, evalChains: 5 };
    const first30 = data.files['sft_data.jsonl'].split('\n').slice(0, 30).join('\n') + '\n';
    expect(generateSampleData({ ...small }).files['sft_data.jsonl']).toBe(first30);
    expect(generateSampleData({ ...small, seed: 7 }).files['sft_data.jsonl']).not.toBe(first30);
  });

  it('matches the files shipped in public/data (run `npm run generate:data` after changing the generator)', () => {
    for (const name of Object.keys(data.files)) {
      expect(readFileSync(new URL(`../../../public/data/${name}`, import.meta.url), 'utf8') === data.files[name], name).toBe(true);
    }
  });

  it('writes at least the required counts, every line valid against the sample tool set', () => {
    const minimum: Record<string, number> = { 'sft_data.jsonl': 1000, 'rm_data.jsonl': 500, 'ppo_data.jsonl': 300, 'chains_data.jsonl': 300, 'eval_data.jsonl': 100, 'eval_chains.jsonl': 50, 'rm_eval.jsonl': 150 };
    const kinds: Record<string, string> = { 'sft_data.jsonl': 'sft', 'rm_data.jsonl': 'rm', 'ppo_data.jsonl': 'ppo', 'chains_data.jsonl': 'conversational', 'eval_data.jsonl': 'sft', 'eval_chains.jsonl': 'conversational', 'rm_eval.jsonl': 'rm' };
    let bytes = 0;
    for (const [name, min] of Object.entries(minimum)) {
      const { report } = read(name);
      expect(report.problems, name).toEqual([]);
      expect(report.kind).toBe(kinds[name]);
      expect(report.valid).toBeGreaterThanOrEqual(min);
      bytes += data.files[name].length;
    }
    expect(bytes).toBeLessThan(4_000_000);
  });

  it('uses the pipeline field names exactly', () => {
    const first = (name: string) => Object.keys(JSON.parse(data.files[name].split('\n')[0]));
    expect(first('sft_data.jsonl')).toEqual(['instruction', 'input', 'output']);
    // The pipeline's three fields, then which mistake the rejected side makes.
    expect(first('rm_data.jsonl')).toEqual(['prompt', 'chosen', 'rejected', 'rejection_kind']);
    expect(first('rm_eval.jsonl')).toEqual(['prompt', 'chosen', 'rejected', 'rejection_kind']);
    expect(first('ppo_data.jsonl')).toEqual(['prompt', 'response']);
    expect(first('chains_data.jsonl')).toEqual(['messages']);
  });

  it('mixes Chinese and English, tool calls and no-tool answers, single and parallel calls', () => {
    const { examples } = read('sft_data.jsonl');
    const turns = examples.map((e) => (e.kind === 'sft' ? e.conversation.turns : []));
    const callCounts = turns.map((t) => (t[1]?.role === 'assistant' ? t[1].calls.length : -1));
    const chinese = examples.filter((e) => e.kind === 'sft' && /[\u4e00-\u9fff]/.test(e.conversation.system ?? '')).length;
    expect(chinese / examples.length).toBeGreaterThan(0.45);
    expect(chinese / examples.length).toBeLessThan(0.75);
    expect(callCounts.filter((n) => n === 0).length).toBeGreaterThan(50);
    expect(callCounts.filter((n) => n === 2).length).toBeGreaterThan(20);
    // Every example's system prompt states the date.
    expect(examples.every((e) => e.kind === 'sft' && /2025-06-02/.test(e.conversation.system ?? ''))).toBe(true);
  });

  it.each(['rm_data.jsonl', 'rm_eval.jsonl'])('%s: pairs cover every kind of rejection, and each line names the kind it shows', (file) => {
    const pairs = data.files[file].trim().split('\n').map((l) => JSON.parse(l) as { chosen: string; rejected: string; rejection_kind: string });
    const toolNames = new Set(ENTERPRISE_TOOLS.map((t) => t.function.name));
    const kinds = new Set<string>();
    let checked = 0;
    for (const p of pairs) {
      const chosen = parseCallString(p.chosen.startsWith('{') ? 'x()' : p.chosen);
      const rejected = parseCallString(p.rejected);
      let seen: string | null = null;
      if (p.rejected.startsWith('{') || p.rejected.startsWith('[')) {
        try {
          JSON.parse(p.rejected);
        } catch {
          seen = 'malformed';
        }
      } else if ('error' in rejected || p.rejected === p.chosen.replace(', ', ' ')) seen = 'malformed'; // a lost comma still parses, merging two arguments
      else if (!toolNames.has(rejected.calls[0].name)) seen = 'hallucinated-tool';
      else if ('calls' in chosen && chosen.calls[0].name !== 'x') {
        const [c, r] = [chosen.calls[0], rejected.calls[0]];
        if (c.name !== r.name) seen = 'wrong-tool';
        else if (Object.keys(r.arguments).length < Object.keys(c.arguments).length) seen = 'missing-required';
        else seen = 'wrong-value';
      }
      if (seen) {
        kinds.add(seen);
        expect(p.rejection_kind, p.rejected).toBe(seen);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(pairs.length / 2);
    expect([...kinds].sort()).toEqual(['hallucinated-tool', 'malformed', 'missing-required', 'wrong-tool', 'wrong-value']);
    expect(new Set(pairs.map((p) => p.rejection_kind))).toEqual(kinds);
  });

  it('keeps rm_eval.jsonl disjoint from rm_data.jsonl: no shared prompt, phrasing template or held-out entity', () => {
    const prompts = (f: string) => data.files[f].trim().split('\n').map((l) => (JSON.parse(l) as { prompt: string }).prompt);
    const train = new Set(prompts('rm_data.jsonl'));
    const held = prompts('rm_eval.jsonl');
    expect(held.length).toBe(DEFAULT_GENERATOR_CONFIG.rmEvalPairs);
    expect(held.filter((p) => train.has(p))).toEqual([]);
    const templates = (f: string) => new Set(data.meta.filter((m) => m.file === f).map((m) => m.templateId));
    const trainTemplates = templates('rm_data.jsonl');
    expect([...templates('rm_eval.jsonl')].filter((t) => trainTemplates.has(t))).toEqual([]);
    // The held-out split names the held-out entities that training never does (checked for rm_data below).
    expect(evalEntityStrings().filter((h) => data.files['rm_eval.jsonl'].includes(h)).length).toBeGreaterThan(10);
  });

  it('chains have 2-4 calls, and replaying their calls in the mock world gives the recorded results', () => {
    for (const name of ['chains_data.jsonl', 'eval_chains.jsonl']) {
      const { examples } = read(name);
      for (const e of examples) {
        if (e.kind !== 'conversational') throw new Error('expected conversations');
        const world = new EnterpriseWorld(DEFAULT_WORLD, validator);
        let calls = 0;
        let pending: string[] = [];
        for (const turn of e.conversation.turns) {
          if (turn.role === 'assistant') {
            pending = turn.calls.map((c) => {
              const r = world.execute(c);
              expect(r.ok).toBe(true);
              return JSON.stringify(r.ok ? r.result : null);
            });
            calls += turn.calls.length;
          } else if (turn.role === 'tool') {
            expect(turn.results.map((r) => r.content)).toEqual(pending);
          }
        }
        expect(calls).toBeGreaterThanOrEqual(2);
        expect(calls).toBeLessThanOrEqual(4);
        const last = e.conversation.turns[e.conversation.turns.length - 1];
        expect(last.role === 'assistant' && last.calls.length === 0 && !!last.content).toBe(true);
      }
    }
  });

  it('keeps the eval split disjoint: no shared phrasing template, no held-out entity named in training', () => {
    const trainTemplates = new Set(data.meta.filter((m) => (TRAINING_FILES as readonly string[]).includes(m.file)).map((m) => m.templateId));
    const evalMeta = data.meta.filter((m) => (EVAL_FILES as readonly string[]).includes(m.file));
    expect(evalMeta.length).toBe(300 + DEFAULT_GENERATOR_CONFIG.rmEvalPairs);
    expect(evalMeta.filter((m) => trainTemplates.has(m.templateId))).toEqual([]);
    const trainQuestions = new Set(data.meta.filter((m) => !evalMeta.includes(m)).map((m) => m.question));
    expect(evalMeta.filter((m) => trainQuestions.has(m.question))).toEqual([]);

    // Held-out names and ids never appear in training prompts or calls (tool results of searches may list them).
    const held = evalEntityStrings();
    expect(held.length).toBeGreaterThan(30);
    for (const name of TRAINING_FILES) {
      const { examples } = read(name);
      for (const e of examples) {
        const conv = e.kind === 'rm' || e.kind === 'ppo' ? e.prompt : e.conversation;
        const asked = [conv.system ?? '', ...conv.turns.map((t) => (t.role === 'user' ? t.content : t.role === 'assistant' ? JSON.stringify(t.calls) : ''))];
        if (e.kind === 'rm') asked.push(JSON.stringify(e.chosen), JSON.stringify(e.rejected));
        if (e.kind === 'ppo') asked.push(JSON.stringify(e.reference ?? []));
        const text = asked.join('\n');
        const leaked = held.filter((h) => text.includes(h));
        expect(leaked, `${name} line ${e.line}`).toEqual([]);
      }
    }
    // And the eval split does use them.
    const evalText = data.files['eval_data.jsonl'] + data.files['eval_chains.jsonl'];
    expect(held.filter((h) => evalText.includes(h)).length).toBeGreaterThan(15);
  });
});

describe('varied training rows (sft_varied_data.jsonl)', () => {
  const rows = data.files['sft_varied_data.jsonl'].trim().split('\n').map((l) => JSON.parse(l) as { instruction: string; input: string; output: string });

  it('are valid sft rows, as many as asked for', () => {
    const { report } = read('sft_varied_data.jsonl');
    expect(report.problems).toEqual([]);
    expect(report.valid).toBe(DEFAULT_GENERATOR_CONFIG.variedRows);
  });

  it('name a fresh employee in almost every row and copy that id into the calls that need it', () => {
    const ids = rows.map((r) => /[(（](E\d{4})[)）]/.exec(r.instruction)![1]);
    // Ids are E1000-E9999: thousands of distinct users, too many to memorise.
    expect(new Set(ids).size).toBeGreaterThan(8000);
    // Calls about the asking user (no other employee id in the question) carry exactly the id from the system line.
    const own = rows.filter((r) => r.output.includes('"employeeId"') && !/E\d{4}/.test(r.input));
    expect(own.length).toBeGreaterThan(1000);
    expect(own.filter((r) => !r.output.includes(`"employeeId":"${/[(（](E\d{4})[)）]/.exec(r.instruction)![1]}"`))).toEqual([]);
  });

  it('never use a held-out phrasing: extra wordings differ from every phrasing of the sample intents', () => {
    const sample = new Set(INTENTS.flatMap((i) => [...i.phrasings.zh, ...i.phrasings.en]));
    const extra = Object.values(EXTRA_PHRASINGS).flatMap((p) => [...p.zh, ...p.en]);
    expect(extra.length).toBeGreaterThan(100);
    expect(extra.filter((t) => sample.has(t))).toEqual([]);
    expect(Object.keys(EXTRA_PHRASINGS).sort()).toEqual(INTENTS.map((i) => i.name).sort());
    // Distinct questions by the ten thousand (some, like 我的假期还剩多少, name no entity and recur).
    expect(new Set(rows.map((r) => r.input)).size).toBeGreaterThan(0.75 * rows.length);
  });
});

describe('relative dates', () => {
  it('resolves Chinese and English phrases against the stated date (Monday 2025-06-02)', () => {
    const byZh = Object.fromEntries(futureDatePhrases('2025-06-02').map((p) => [p.zh, p]));
    expect(byZh['明天']).toEqual({ zh: '明天', en: 'tomorrow', date: '2025-06-03' });
    expect(byZh['下周一']).toMatchObject({ en: 'next Monday', date: '2025-06-09' });
    expect(byZh['下周五']).toMatchObject({ en: 'next Friday', date: '2025-06-13' });
    expect(byZh['这周五']).toMatchObject({ en: 'this Friday', date: '2025-06-06' });
    expect(byZh['6月6号']).toMatchObject({ en: 'on June 6', date: '2025-06-06' });
    const past = Object.fromEntries(pastDatePhrases('2025-06-02').map((p) => [p.en, p.date]));
    expect(past).toMatchObject({ yesterday: '2025-06-01', 'last Friday': '2025-05-30' });
  });

  it('from a Saturday, 下周一 is two days later and this week has no Wednesday left', () => {
    const byZh = Object.fromEntries(futureDatePhrases('2025-06-07').map((p) => [p.zh, p.date]));
    expect(byZh['下周一']).toBe('2025-06-09');
    expect(byZh['这周三']).toBeUndefined();
  });

  it('the generated calls use those dates', () => {
    const rows = data.files['sft_data.jsonl'].trim().split('\n').map((l) => JSON.parse(l) as { input: string; output: string });
    const tomorrow = rows.filter((r) => r.input.includes('明天') && r.output.includes('"date"'));
    expect(tomorrow.length).toBeGreaterThan(5);
    for (const r of tomorrow) expect(r.output).toContain('2025-06-03');
    const nextFriday = rows.filter((r) => r.input.includes('next Friday') && r.output.includes('"date"'));
    for (const r of nextFriday) expect(r.output).toContain('2025-06-13');
  });
});
