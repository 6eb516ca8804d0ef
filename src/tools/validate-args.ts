// Validates a call's arguments against its tool's JSON Schema (types, required, enums, formats such as date)
// with ajv, after mapping BFCL's own type names (dict, float, tuple, any) onto JSON Schema. Where a page's
// Content-Security-Policy forbids the code ajv generates, the same checks run through schema-interpreter.ts.

import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { interpretSchema } from './schema-interpreter.ts';
import type { JsonSchema, ToolCall, ToolDefinition } from './types.ts';

/**
 * Which checker runs the schemas: ajv (generated code, the reference), the interpreter, or 'auto' =
 * ajv where the page allows generating code and the interpreter where a Content-Security-Policy
 * without 'unsafe-eval' forbids it (the studio's own page).
 */
export type ValidatorEngine = 'ajv' | 'interpreter' | 'auto';

let codeGeneration: boolean | undefined;
/**
 * Whether `new Function` may run here. In a browser the answer is no without asking: the studio's page and
 * workers run under a Content-Security-Policy without 'unsafe-eval' (src/util/csp.ts), and trying would file
 * a violation report every time. Elsewhere (Node: the CLI, the tests) it is tried once.
 */
export function codeGenerationAllowed(): boolean {
  if (codeGeneration === undefined) {
    const g = globalThis as { window?: unknown; WorkerGlobalScope?: unknown };
    if (g.window !== undefined || g.WorkerGlobalScope !== undefined) codeGeneration = false;
    else {
      try {
        codeGeneration = new Function('return true')() === true;
      } catch {
        codeGeneration = false;
      }
    }
  }
  return codeGeneration;
}

type Checker = (data: unknown) => ErrorObject[];

/** One problem with a call, with the JSON pointer of the offending argument ('' = the whole arguments object). */
export interface ArgumentError {
  kind: 'unknown_tool' | 'schema' | 'bad_schema';
  tool: string;
  path: string;
  message: string;
}

export interface ArgumentCheck {
  valid: boolean;
  errors: ArgumentError[];
}

// BFCL writes Python-flavoured type names; JSON Schema has its own. 'any' maps to "no constraint".
const BFCL_TYPE_MAP: Record<string, string | null> = {
  dict: 'object',
  float: 'number',
  tuple: 'array',
  any: null,
  // Other Python spellings seen in tool sets in the wild.
  int: 'integer',
  bool: 'boolean',
  str: 'string',
  list: 'array',
};

// Keywords whose value is one sub-schema / a map of sub-schemas / a list of sub-schemas.
const SUBSCHEMA_KEYS = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];
const SCHEMA_MAP_KEYS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_LIST_KEYS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];

/**
 * Returns a JSON Schema equivalent of a tool parameter schema written with BFCL type names.
 * Standard schemas come back unchanged (deep copy). BFCL's non-standard `optional: true` is dropped:
 * optionality is already expressed by `required`.
 */
export function toJsonSchema(schema: unknown): JsonSchema {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return {};
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema as JsonSchema)) {
    if (key === 'optional' && typeof value === 'boolean') continue;
    if (key === 'type') {
      const mapped = mapType(value);
      if (mapped !== undefined) out.type = mapped;
      continue;
    }
    if (SUBSCHEMA_KEYS.includes(key) && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = toJsonSchema(value);
    } else if (SUBSCHEMA_KEYS.includes(key) && key === 'items' && Array.isArray(value)) {
      out[key] = value.map(toJsonSchema); // draft-04 tuple form
    } else if (SCHEMA_MAP_KEYS.includes(key) && value !== null && typeof value === 'object') {
      out[key] = Object.fromEntries(Object.entries(value as JsonSchema).map(([k, v]) => [k, toJsonSchema(v)]));
    } else if (SCHEMA_LIST_KEYS.includes(key) && Array.isArray(value)) {
      out[key] = value.map(toJsonSchema);
    } else {
      // A JSON round trip rather than structuredClone: schemas held in UI state are proxies it refuses.
      out[key] = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
    }
  }
  return out;
}

function mapType(type: unknown): unknown {
  const one = (t: unknown): string | null => (typeof t === 'string' && t in BFCL_TYPE_MAP ? BFCL_TYPE_MAP[t] : (t as string));
  if (Array.isArray(type)) {
    const mapped = type.map(one);
    return mapped.includes(null) ? undefined : mapped;
  }
  const m = one(type);
  return m === null ? undefined : m;
}

/** Formats one ajv error as a sentence that names the argument and the rule it broke. */
function describe(tool: string, e: ErrorObject): ArgumentError {
  const where = e.instancePath ? `argument "${e.instancePath.slice(1).replace(/\//g, '.')}"` : 'arguments';
  let message: string;
  switch (e.keyword) {
    case 'required':
      message = `missing required argument "${(e.params as { missingProperty: string }).missingProperty}"`;
      break;
    case 'additionalProperties':
      message = `unexpected argument "${(e.params as { additionalProperty: string }).additionalProperty}"`;
      break;
    case 'enum':
      message = `${where} must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}, got ${JSON.stringify(e.data)}`;
      break;
    case 'format':
      message = `${where} must match format "${(e.params as { format: string }).format}", got ${JSON.stringify(e.data)}`;
      break;
    case 'type':
      message = `${where} must be ${(e.params as { type: string }).type}, got ${JSON.stringify(e.data)}`;
      break;
    default:
      message = `${where} ${e.message ?? 'is invalid'}${e.data !== undefined && typeof e.data !== 'object' ? ` (got ${JSON.stringify(e.data)})` : ''}`;
  }
  return { kind: 'schema', tool, path: e.instancePath, message: `${tool}: ${message}` };
}

/** Validates calls against a tool set; compiles each tool's schema once. */
export class ArgumentValidator {
  private readonly ajv: Ajv | null;
  private readonly tools = new Map<string, ToolDefinition>();
  private readonly compiled = new Map<string, Checker | ArgumentError>();
  readonly engine: 'ajv' | 'interpreter';

  constructor(tools: readonly ToolDefinition[], engine: ValidatorEngine = 'auto') {
    this.engine = engine === 'auto' ? (codeGenerationAllowed() ? 'ajv' : 'interpreter') : engine;
    // verbose: errors carry the offending value, so messages can quote it.
    // strict: false because real tool sets carry keywords ajv does not know (BFCL's `optional`, vendor `x-` keys).
    this.ajv = this.engine === 'ajv' ? new Ajv({ allErrors: true, strict: false, validateFormats: true, verbose: true }) : null;
    if (this.ajv) addFormats(this.ajv);
    for (const t of tools) this.tools.set(t.function.name, t);
  }

  has(name: string): boolean {
    return this.tools.has(name);
  }

  private compile(name: string): Checker | ArgumentError {
    let v = this.compiled.get(name);
    if (v) return v;
    const tool = this.tools.get(name)!;
    const schema = toJsonSchema(tool.function.parameters ?? { type: 'object' });
    try {
      if (this.ajv) {
        const fn = this.ajv.compile(schema);
        v = (data) => (fn(data) ? [] : (fn.errors ?? []));
      } else {
        if (JSON.stringify(schema).includes('"$ref"')) throw new Error('$ref needs ajv, which cannot run under this page\'s Content-Security-Policy');
        v = (data) => interpretSchema(schema, data);
      }
    } catch (err) {
      v = { kind: 'bad_schema', tool: name, path: '', message: `${name}: its parameter schema does not compile: ${(err as Error).message}` };
    }
    this.compiled.set(name, v);
    return v;
  }

  check(call: ToolCall): ArgumentCheck {
    if (!this.tools.has(call.name)) {
      return { valid: false, errors: [{ kind: 'unknown_tool', tool: call.name, path: '', message: `unknown tool "${call.name}"` }] };
    }
    const v = this.compile(call.name);
    if (typeof v !== 'function') return { valid: false, errors: [v] };
    let errors: ErrorObject[];
    try {
      errors = v(call.arguments);
    } catch (err) {
      // A schema that compiles but cannot finish (a $ref to itself: "#/") must not take the caller down.
      return { valid: false, errors: [{ kind: 'bad_schema', tool: call.name, path: '', message: `${call.name}: its parameter schema cannot be checked: ${(err as Error).message}` }] };
    }
    return errors.length ? { valid: false, errors: errors.map((e) => describe(call.name, e)) } : { valid: true, errors: [] };
  }
}

/** One-shot convenience: validate one call against a tool set. */
export function validateCall(call: ToolCall, tools: readonly ToolDefinition[], engine: ValidatorEngine = 'auto'): ArgumentCheck {
  return new ArgumentValidator(tools, engine).check(call);
}
