// The Python ports an export carries against the TypeScript they port, on the sample data: the rule reward
// (every component, on every row of every sample file, on the gold answer and on wrong ones built from it) and the
// mock world (every call of every row, chains in order, results byte for byte). python3 with no extra packages.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetExample, Turn } from '../../../src/data/conversation.ts';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { computeReward, REWARD_COMPONENTS } from '../../../src/eval/reward.ts';
import { printCallString } from '../../../src/tools/call-string.ts';
import { enterpriseEnvironment } from '../../../src/tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS, ENTERPRISE_TOOL_NAMES } from '../../../src/tools/enterprise/tool-set.ts';
import type { ToolCall } from '../../../src/tools/types.ts';
import { assistantText } from '../../../src/export/run.ts';
import { writeExport } from './helpers.ts';

const FILES = ['sft_data', 'rm_data', 'ppo_data', 'chains_data', 'eval_data', 'eval_chains', 'sft_varied_data'];
const tools = [...ENTERPRISE_TOOLS];
const env = enterpriseEnvironment();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parity-'));
  writeExport(dir, 'trl');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function python(mode: 'reward' | 'world', lines: unknown[]): unknown[] {
  const cases = join(dir, `${mode}-cases.jsonl`);
  const out = join(dir, `${mode}-out.jsonl`);
  writeFileSync(cases, lines.map((l) => JSON.stringify(l) + '\n').join(''));
  execFileSync('python3', [join(import.meta.dirname, 'parity_driver.py'), dir, mode, cases, out], { stdio: 'pipe', maxBuffer: 1 << 28 });
  return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

const examplesOf = (file: string) => readDatasetText(readFileSync(`public/data/${file}.jsonl`, 'utf8'), { tools }).examples;
const rawLines = (file: string) => readFileSync(`public/data/${file}.jsonl`, 'utf8').split('\n');

interface Case { output: string; expected: ToolCall[]; prefix: ToolCall[]; require_think: boolean; where: string }

/** Wrong answers built from a gold step: each hits other branches of the parser and the components. */
function variants(expected: ToolCall[], n: number): string[] {
  const hermes = (calls: ToolCall[]) => assistantText({ role: 'assistant', calls });
  const out = [hermes(expected), `<think>step ${n}</think>\n${hermes(expected)}`];
  if (expected.length === 0) return [...out, hermes([{ name: 'queryWeather', arguments: { city: '北京' } }]), '', 'Sure.'];
  const [first, ...rest] = expected;
  const keys = Object.keys(first.arguments);
  const changed = keys.length ? { ...first.arguments, [keys[n % keys.length]]: bump(first.arguments[keys[n % keys.length]]) } : { extra: 1 };
  const other = ENTERPRISE_TOOL_NAMES[(ENTERPRISE_TOOL_NAMES.indexOf(first.name) + 1 + (n % 5)) % ENTERPRISE_TOOL_NAMES.length];
  const calls = [
    [{ name: first.name, arguments: changed }, ...rest],
    [{ name: other, arguments: first.arguments }, ...rest],
    rest.length ? rest : [...expected, { name: 'getLeaveBalance', arguments: { employeeId: 'E1001' } }],
    [{ name: first.name, arguments: Object.fromEntries(Object.entries(first.arguments).slice(1)) }, ...rest],
  ];
  const json = JSON.stringify(expected.length === 1 ? { tool_call: { tool_name: first.name, parameters: first.arguments } } : expected.map((c) => ({ tool_call: { tool_name: c.name, parameters: c.arguments } })));
  let callString = '';
  try {
    callString = printCallString(expected);
  } catch {
    callString = `${first.name}(`;
  }
  const full = hermes(expected);
  return [...out, ...calls.map(hermes), json, callString, full.slice(0, Math.floor(full.length / 2)), `[${callString.replace(/; /g, ', ')}]`, '```json\n' + json + '\n```'];
}

function bump(v: unknown): unknown {
  if (typeof v === 'number') return v + 1;
  if (typeof v === 'string') return v.length % 2 ? v.toUpperCase() + ' ' : v + 'x';
  if (typeof v === 'boolean') return !v;
  return 'changed';
}

const stepsOf = (turns: Turn[]) => turns.flatMap((t) => (t.role === 'assistant' ? [t] : []));

function casesOf(file: string): Case[] {
  const raw = rawLines(file);
  const cases: Case[] = [];
  // Every row with its own answers and the gold call; the wrong answers on every 4th row (every 50th of the 24,000
  // varied rows), which keeps the test near a minute on a loaded 2-core machine.
  const every = file === 'sft_varied_data' ? 50 : 4;
  let n = 0;
  for (const ex of examplesOf(file) as DatasetExample[]) {
    const row = JSON.parse(raw[ex.line - 1]) as Record<string, unknown>;
    const texts = (v: unknown) => (typeof v === 'string' ? [v] : []);
    const push = (output: string, expected: ToolCall[], prefix: ToolCall[]) => {
      cases.push({ output, expected, prefix, require_think: n % 7 === 3, where: `${file}:${ex.line}` });
      n++;
    };
    if (ex.kind === 'conversational') {
      const prefix: ToolCall[] = [];
      for (const step of stepsOf(ex.conversation.turns)) {
        for (const out of ex.line % every === 0 ? variants(step.calls, n) : variants(step.calls, n).slice(0, 1)) push(out, step.calls, [...prefix]);
        prefix.push(...step.calls);
      }
      continue;
    }
    const gold = ex.kind === 'sft' ? stepsOf(ex.conversation.turns).flatMap((t) => t.calls) : ex.kind === 'rm' ? stepsOf(ex.chosen).flatMap((t) => t.calls) : stepsOf(ex.reference ?? []).flatMap((t) => t.calls);
    const rawOutputs = [...texts(row.output), ...texts(row.chosen), ...texts(row.rejected), ...texts(row.response), ...texts(row.answer)];
    for (const out of rawOutputs) push(out, gold, []);
    for (const out of ex.line % every === 0 ? variants(gold, n) : file === 'sft_varied_data' ? [] : variants(gold, n).slice(0, 1)) push(out, gold, []);
  }
  return cases;
}

describe('reward.py equals src/eval/reward.ts', () => {
  for (const file of FILES) {
    it(`every row of ${file}.jsonl, every component`, () => {
      const cases = casesOf(file);
      expect(cases.length).toBeGreaterThan(200);
      const py = python('reward', cases) as Record<string, number>[];
      expect(py.length).toBe(cases.length);
      let mismatches = 0;
      const seen = new Set<string>();
      cases.forEach((c, i) => {
        const ts = computeReward({ output: c.output, expected: c.expected, tools, environment: env, prefix: c.prefix }, { name: 't', weights: { format: 1 }, requireThink: c.require_think }).components;
        for (const k of REWARD_COMPONENTS) seen.add(`${k}=${ts[k]}`);
        if (REWARD_COMPONENTS.some((k) => ts[k] !== py[i][k])) {
          if (mismatches++ < 5) console.error(c.where, JSON.stringify(c.output).slice(0, 300), JSON.stringify(ts), JSON.stringify(py[i]));
        }
      });
      expect(mismatches).toBe(0);
      // The cases reach both ends of the components, not one value.
      for (const k of ['format', 'intent', 'binary']) for (const v of [0, 1]) expect(seen.has(`${k}=${v}`), `${k}=${v} in ${file}`).toBe(true);
    }, 300_000);
  }
});

describe('mock_world.py equals the TypeScript executors', () => {
  it('every call of every sample row gives the same result or error, chains in order; chain tool results byte for byte', () => {
    const sequences: { calls: ToolCall[]; where: string; recorded?: (string | null)[] }[] = [];
    for (const file of FILES) {
      for (const ex of examplesOf(file) as DatasetExample[]) {
        const turns = ex.kind === 'sft' || ex.kind === 'conversational' ? ex.conversation.turns : ex.kind === 'rm' ? [...ex.chosen, ...ex.rejected] : ex.reference ?? [];
        if (ex.kind === 'conversational') {
          // The chain as recorded: its calls in order, and the tool results the generator wrote for each.
          const calls: ToolCall[] = [];
          const recorded: (string | null)[] = [];
          turns.forEach((t, i) => {
            if (t.role !== 'assistant') return;
            const next = turns[i + 1];
            t.calls.forEach((c, k) => {
              calls.push(c);
              recorded.push(next?.role === 'tool' ? (next.results[k]?.content ?? null) : null);
            });
          });
          sequences.push({ calls, where: `${file}:${ex.line}`, recorded });
        } else {
          for (const t of stepsOf(turns)) for (const c of t.calls) sequences.push({ calls: [c], where: `${file}:${ex.line}` });
        }
      }
    }
    // Calls the data never makes: schema errors of each kind, unknown ids, a past date, an unknown tool.
    sequences.push({ where: 'synthetic', calls: [
      { name: 'queryWeather', arguments: {} }, { name: 'queryWeather', arguments: { city: 'Paris', unit: 'kelvin', extra: true } },
      { name: 'searchMeetingRooms', arguments: { date: '2025-02-30', startTime: '9:00', endTime: '10:00', minCapacity: 0 } },
      { name: 'submitExpenseReport', arguments: { employeeId: 'E1001', amount: 0, category: 'travel', date: '2025-06-01' } },
      { name: 'bookMeetingRoom', arguments: { roomId: 'BJ-301', date: '2025-05-01', startTime: '10:00', endTime: '11:00', organizerId: 'E1001' } },
      { name: 'getEmployeeInfo', arguments: { employeeId: 'E9999' } }, { name: 'noSuchTool', arguments: {} },
      { name: 'submitLeaveRequest', arguments: { employeeId: 'E1001', leaveType: 'annual', startDate: '2025-06-07', endDate: '2025-06-08' } },
      { name: 'submitLeaveRequest', arguments: { employeeId: 'E1001', leaveType: 'personal', startDate: '2025-06-09', endDate: '2025-07-18' } },
      { name: 'queryWeather', arguments: { city: 'new york', date: '2025-06-05', unit: 'fahrenheit' } },
      { name: 'searchEmployees', arguments: { department: 'zz' } }, { name: 'cancelOrder', arguments: { orderId: 'ORD-250001' } },
      { name: 'cancelOrder', arguments: { orderId: 'ORD-250001' } },
    ] });
    const py = python('world', sequences) as { ok: boolean; text?: string; type?: string; message?: string }[][];
    let mismatches = 0;
    let compared = 0;
    let recordedChecked = 0;
    const errorTypes = new Set<string>();
    sequences.forEach((s, i) => {
      const world = env.create();
      s.calls.forEach((c, k) => {
        const r = world.execute(c);
        const p = py[i][k];
        compared++;
        const same = r.ok ? p.ok && p.text === JSON.stringify(r.result) : !p.ok && p.type === r.error.type && p.message === r.error.message;
        if (!r.ok) errorTypes.add(r.error.type);
        if (!same && mismatches++ < 5) console.error(s.where, JSON.stringify(c), JSON.stringify(r), JSON.stringify(p));
        if (s.recorded?.[k]) {
          recordedChecked++;
          expect(p.text, `${s.where} call ${k}`).toBe(s.recorded[k]);
        }
      });
    });
    expect(mismatches).toBe(0);
    expect(compared).toBeGreaterThan(25_000);
    expect(recordedChecked).toBeGreaterThan(500);
    expect([...errorTypes].sort()).toEqual(['conflict', 'insufficient_balance', 'invalid_arguments', 'invalid_request', 'not_found', 'unknown_tool']);
  }, 300_000);
});
