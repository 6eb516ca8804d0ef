// Loads a tool set from text: a JSON list of OpenAI/Qwen definitions (or `{"tools": [...]}`, or BFCL-style
// bare `{name, description, parameters}` entries), or an OpenAPI 3.x document in JSON or YAML.
// Every definition is checked; a bad one is reported with its index and field and the rest are kept.

import { parse as parseYaml } from 'yaml';
import { importOpenApi, readApiDocument, type ImportProblem, type OperationBinding } from './openapi.ts';
import type { ToolDefinition } from './types.ts';
import { toJsonSchema } from './validate-args.ts';

export interface LoadedToolSet {
  source: 'definitions' | 'openapi';
  title: string;
  tools: ToolDefinition[];
  bindings?: OperationBinding[];
  errors: ImportProblem[];
  warnings: ImportProblem[];
}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Checks one entry and returns it in the canonical `{type: "function", function: {...}}` shape. */
export function normaliseToolDefinition(v: unknown, at: string): ToolDefinition | ImportProblem {
  if (!isObj(v)) return { at, message: 'expected a tool definition object' };
  const fn = isObj(v.function) ? v.function : v; // bare BFCL / OpenAI-legacy entries carry the fields directly
  if (typeof fn.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(fn.name)) {
    return { at: `${at}.name`, message: `tool name must be an identifier (letters, digits, _ . -), got ${JSON.stringify(fn.name ?? null)}` };
  }
  const params = fn.parameters ?? { type: 'object', properties: {} };
  if (!isObj(params)) return { at: `${at}.parameters`, message: 'must be a JSON Schema object' };
  const schema = toJsonSchema(params);
  if (schema.type !== undefined && schema.type !== 'object') {
    return { at: `${at}.parameters.type`, message: `the arguments schema must be an object, got ${JSON.stringify(params.type)}` };
  }
  if (schema.properties !== undefined && !isObj(schema.properties)) return { at: `${at}.parameters.properties`, message: 'must be a mapping' };
  if (schema.required !== undefined && !(Array.isArray(schema.required) && schema.required.every((r) => typeof r === 'string'))) {
    return { at: `${at}.parameters.required`, message: 'must be a list of parameter names' };
  }
  const missing = ((schema.required as string[] | undefined) ?? []).filter((r) => !isObj(schema.properties) || !(r in schema.properties));
  if (missing.length) return { at: `${at}.parameters.required`, message: `lists ${missing.map((m) => `"${m}"`).join(', ')} that ${missing.length > 1 ? 'are' : 'is'} not in properties` };
  return {
    type: 'function',
    function: { name: fn.name, ...(typeof fn.description === 'string' ? { description: fn.description } : {}), parameters: params },
  };
}

/** Reads a tool-set file of either kind. Throws only when nothing in it can be read. */
export function loadToolSet(text: string, file = 'tools'): LoadedToolSet {
  const doc = parseAny(text, file);
  if (isObj(doc) && (typeof doc.openapi === 'string' || typeof doc.swagger === 'string')) {
    const r = importOpenApi(text, file);
    return { source: 'openapi', title: r.title, tools: r.tools, bindings: r.bindings, errors: r.errors, warnings: r.warnings };
  }
  const list = Array.isArray(doc) ? doc : isObj(doc) && Array.isArray(doc.tools) ? doc.tools : undefined;
  if (!list) throw new Error(`${file}: expected a list of tool definitions, {"tools": [...]}, or an OpenAPI 3.x document`);
  const tools: ToolDefinition[] = [];
  const errors: ImportProblem[] = [];
  const names = new Set<string>();
  list.forEach((entry, i) => {
    const r = normaliseToolDefinition(entry, `[${i}]`);
    if ('at' in r) errors.push(r);
    else if (names.has(r.function.name)) errors.push({ at: `[${i}].name`, message: `duplicate tool name "${r.function.name}"` });
    else {
      names.add(r.function.name);
      tools.push(r);
    }
  });
  return { source: 'definitions', title: file, tools, errors, warnings: [] };
}

/** JSON when it looks like JSON, else YAML (a YAML list of definitions is fine too). */
function parseAny(text: string, file: string): unknown {
  const head = text.trimStart()[0];
  if (head === '{') return readApiDocument(text, file);
  try {
    return head === '[' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new Error(`${file}: not valid ${head === '[' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
}
