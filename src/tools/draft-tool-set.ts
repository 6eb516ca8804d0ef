// The tools a dataset's calls use, and a tool set drafted from them: every tool name, its parameters, the
// JSON types their values had (a date-shaped string becomes format "date"), which parameters every call
// gave (required), and a few example values. The validator counts usage while it reads (bounded memory,
// whatever the file), so a user without a tool set sees what the data calls and can start from a draft
// instead of writing JSON Schema by hand.
import type { JsonSchema, ToolCall, ToolDefinition } from './types.ts';

export type JsonTypeName = 'string' | 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'null';

export interface ParameterUsage {
  name: string;
  /** Calls that gave this parameter. */
  calls: number;
  /** How often each JSON type was seen. */
  types: Partial<Record<JsonTypeName, number>>;
  /** Types of array elements, over every array value seen. */
  itemTypes?: Partial<Record<JsonTypeName, number>>;
  /** String values that were ISO dates (YYYY-MM-DD). */
  dates: number;
  /** A few distinct values as text (each cut to 40 characters). */
  examples: string[];
}

export interface ToolUsage {
  name: string;
  calls: number;
  parameters: ParameterUsage[];
}

export interface ToolUsageReport {
  /** Tools by number of calls, most used first. */
  tools: ToolUsage[];
  /** Calls to tools beyond the first MAX_TOOLS names (counted, not described). */
  otherCalls: number;
}

/** Bounds that keep a hostile or huge file from growing the summary without limit. */
export const USAGE_LIMITS = { tools: 500, parametersPerTool: 100, examples: 3, exampleChars: 40 } as const;

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function jsonTypeOf(v: unknown): JsonTypeName {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'object') return 'object';
  return 'string';
}

const bump = (m: Partial<Record<JsonTypeName, number>>, t: JsonTypeName) => (m[t] = (m[t] ?? 0) + 1);

/** Counts the calls it is given; `report()` is a plain, structured-cloneable summary. */
export class ToolUsageCounter {
  private readonly tools = new Map<string, { calls: number; params: Map<string, ParameterUsage> }>();
  private otherCalls = 0;

  add(call: ToolCall): void {
    let tool = this.tools.get(call.name);
    if (!tool) {
      if (this.tools.size >= USAGE_LIMITS.tools) {
        this.otherCalls++;
        return;
      }
      tool = { calls: 0, params: new Map() };
      this.tools.set(call.name, tool);
    }
    tool.calls++;
    for (const [name, value] of Object.entries(call.arguments ?? {})) {
      let p = tool.params.get(name);
      if (!p) {
        if (tool.params.size >= USAGE_LIMITS.parametersPerTool) continue;
        p = { name, calls: 0, types: {}, dates: 0, examples: [] };
        tool.params.set(name, p);
      }
      p.calls++;
      const type = jsonTypeOf(value);
      bump(p.types, type);
      if (type === 'string' && DATE.test(value as string)) p.dates++;
      if (type === 'array') for (const item of value as unknown[]) bump((p.itemTypes ??= {}), jsonTypeOf(item));
      const text = (typeof value === 'string' ? value : JSON.stringify(value)).slice(0, USAGE_LIMITS.exampleChars);
      if (p.examples.length < USAGE_LIMITS.examples && !p.examples.includes(text)) p.examples.push(text);
    }
  }

  report(): ToolUsageReport {
    const tools = [...this.tools].map(([name, t]) => ({ name, calls: t.calls, parameters: [...t.params.values()].map((p) => structuredClone(p)) }));
    tools.sort((a, b) => b.calls - a.calls || (a.name < b.name ? -1 : 1));
    return { tools, otherCalls: this.otherCalls };
  }
}

/** The JSON Schema `type` for a set of observed types: integer+number is number; null makes it nullable. */
export function schemaType(types: Partial<Record<JsonTypeName, number>>): JsonTypeName | JsonTypeName[] | undefined {
  let seen = (Object.keys(types) as JsonTypeName[]).filter((t) => (types[t] ?? 0) > 0);
  if (seen.includes('integer') && seen.includes('number')) seen = seen.filter((t) => t !== 'integer');
  const order: JsonTypeName[] = ['string', 'integer', 'number', 'boolean', 'array', 'object', 'null'];
  seen.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  if (seen.length === 0) return undefined;
  return seen.length === 1 ? seen[0] : seen;
}

/** One parameter's draft schema from its usage. */
export function draftParameter(p: ParameterUsage): JsonSchema {
  const schema: JsonSchema = {};
  const type = schemaType(p.types);
  if (type !== undefined) schema.type = type;
  if (p.dates > 0 && p.dates === p.types.string) schema.format = 'date';
  if (p.itemTypes) {
    const items = schemaType(p.itemTypes);
    if (items !== undefined) schema.items = { type: items };
  }
  if (p.examples.length) schema.description = `e.g. ${p.examples.join(', ')}`;
  return schema;
}

/**
 * A tool set drafted from usage: each tool's parameters with inferred types, required = given by every call.
 * It is a starting point to edit (descriptions, enums, tighter types), not a specification.
 */
export function draftToolSet(usage: ToolUsageReport | ToolUsage[], source = 'the dataset'): ToolDefinition[] {
  const tools = Array.isArray(usage) ? usage : usage.tools;
  return tools.map((t) => {
    const properties: Record<string, JsonSchema> = {};
    for (const p of t.parameters) properties[p.name] = draftParameter(p);
    const required = t.parameters.filter((p) => p.calls === t.calls).map((p) => p.name);
    return {
      type: 'function',
      function: {
        name: t.name,
        description: `Drafted from ${t.calls} call${t.calls === 1 ? '' : 's'} in ${source}: describe what ${t.name} does.`,
        parameters: { type: 'object', properties, required },
      },
    };
  });
}

/** `queryWeather (120 calls: location, date)` lines for reports. */
export function usageLines(usage: ToolUsageReport): string[] {
  const lines = usage.tools.map((t) => `${t.name} (${t.calls} call${t.calls === 1 ? '' : 's'}${t.parameters.length ? `: ${t.parameters.map((p) => p.name).join(', ')}` : ''})`);
  if (usage.otherCalls) lines.push(`... and ${usage.otherCalls} calls to further tools`);
  return lines;
}
