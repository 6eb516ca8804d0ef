// What tells a preference pair's two sides apart, for explaining a reward model's misses (demo:rm's cause table, the
// studio's reward inspector): the tool, one argument's value (and whether the right value is written in the prompt,
// so the model only has to compare, or must be derived, like a date from "next Tuesday"), a missing argument, or
// the call's format.
import type { DatasetExample, Turn } from '../data/conversation.ts';
import type { ToolCall } from '../tools/types.ts';
import { jsonEqual } from './match.ts';

export interface PairDifference {
  /** 'tool': another tool name; 'value': one argument's value; 'missing': an argument left out; 'format': undecodable call; 'answer': text vs call; 'other'. */
  what: 'tool' | 'value' | 'missing' | 'format' | 'answer' | 'other';
  /** The argument that differs (value, missing). */
  argument?: string;
  /** For a changed value: the right value appears verbatim in the prompt (system line or question). */
  inPrompt?: boolean;
  /** One line for tables: e.g. "value of employeeId (in the prompt)". */
  label: string;
}

const firstCalls = (turns: Turn[]): ToolCall[] => turns.flatMap((t) => (t.role === 'assistant' ? t.calls : []));
const unparsed = (turns: Turn[]) => turns.some((t) => t.role === 'assistant' && t.unparsed !== undefined);

export function pairDifference(ex: Extract<DatasetExample, { kind: 'rm' }>): PairDifference {
  if (unparsed(ex.rejected)) return { what: 'format', label: 'undecodable call' };
  const good = firstCalls(ex.chosen);
  const bad = firstCalls(ex.rejected);
  if (good.length === 0 || bad.length === 0) return { what: 'answer', label: good.length === 0 ? 'call where a text answer was due' : 'text where a call was due' };
  for (let i = 0; i < Math.min(good.length, bad.length); i++) {
    const [g, b] = [good[i], bad[i]];
    if (g.name !== b.name) return { what: 'tool', label: `tool ${g.name} -> ${b.name}` };
    const missing = Object.keys(g.arguments).find((k) => !(k in b.arguments));
    if (missing) return { what: 'missing', argument: missing, label: `missing ${missing}` };
    const changed = Object.keys(g.arguments).find((k) => !jsonEqual(g.arguments[k], b.arguments[k]));
    if (changed) {
      const v = g.arguments[changed];
      const text = [ex.prompt.system ?? '', ...ex.prompt.turns.map((t) => (t.role === 'user' ? t.content : ''))].join('\n');
      const inPrompt = (typeof v === 'string' || typeof v === 'number') && text.includes(String(v));
      return { what: 'value', argument: changed, inPrompt, label: `value of ${changed} (${inPrompt ? 'written in the prompt' : 'derived, not written in the prompt'})` };
    }
  }
  return { what: 'other', label: good.length !== bad.length ? 'number of calls' : 'other' };
}
