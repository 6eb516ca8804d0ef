// Imports an OpenAPI 3.x document (JSON or YAML) as a tool set: each operation becomes one tool whose
// parameters join the path, query and JSON body parameters, with local $refs inlined. What cannot be
// mapped (external refs, recursive schemas, file uploads, name clashes) is reported per operation with
// its location; the other operations are still imported.

import { parse as parseYaml } from 'yaml';
import type { JsonSchema, ToolDefinition } from './types.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/** How to turn a tool call back into the HTTP request. */
export interface OperationBinding {
  tool: string;
  method: string;
  path: string;
  /** Where each tool argument goes. `body` = a property of the JSON body; `wholeBody` = the body itself. */
  params: { name: string; in: 'path' | 'query' | 'body' | 'wholeBody' }[];
}

export interface ImportProblem {
  /** Location in the document, e.g. `paths./rooms/{roomId}.post.requestBody`. */
  at: string;
  message: string;
}

export interface OpenApiImport {
  title: string;
  tools: ToolDefinition[];
  bindings: OperationBinding[];
  /** Operations left out, and why. */
  errors: ImportProblem[];
  /** Things dropped on purpose (header/cookie parameters, read-only body fields). */
  warnings: ImportProblem[];
}

export class OpenApiImportError extends Error {
  constructor(readonly file: string, readonly at: string, message: string) {
    super(`${file}${at ? ` (${at})` : ''}: ${message}`);
    this.name = 'OpenApiImportError';
  }
}

class Unmappable extends Error {
  constructor(readonly at: string, message: string) {
    super(message);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads JSON or YAML text into a document object. */
export function readApiDocument(text: string, file: string): Obj {
  let doc: unknown;
  const trimmed = text.trimStart();
  try {
    doc = trimmed.startsWith('{') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new OpenApiImportError(file, '', `not valid ${trimmed.startsWith('{') ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
  if (!isObj(doc)) throw new OpenApiImportError(file, '', 'expected an OpenAPI document (a mapping with "openapi" and "paths")');
  return doc;
}

/** Resolves local JSON pointers (`#/components/schemas/Room`). */
function resolvePointer(doc: Obj, ref: string, at: string): unknown {
  if (!ref.startsWith('#/')) throw new Unmappable(at, `external $ref "${ref}" cannot be resolved: only local refs (#/...) are supported`);
  let cur: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    let key: string;
    try {
      key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    } catch {
      throw new Unmappable(at, `$ref "${ref}" has a malformed %-escape in "${raw}"`);
    }
    if (!isObj(cur) || !(key in cur)) throw new Unmappable(at, `$ref "${ref}" points to nothing`);
    cur = cur[key];
  }
  return cur;
}

/** Follows a $ref chain on one object (parameters, request bodies). */
function deref(doc: Obj, v: unknown, at: string, seen: string[] = []): unknown {
  if (isObj(v) && typeof v.$ref === 'string') {
    if (seen.includes(v.$ref)) throw new Unmappable(at, `$ref cycle: ${[...seen, v.$ref].join(' -> ')}`);
    return deref(doc, resolvePointer(doc, v.$ref, at), at, [...seen, v.$ref]);
  }
  return v;
}

/**
 * Inlines every $ref of a schema and turns OpenAPI 3.0 dialect into JSON Schema
 * (`nullable: true` -> a "null" type). Recursive schemas cannot be inlined and are reported.
 */
function inlineSchema(doc: Obj, schema: unknown, at: string, stack: string[] = []): JsonSchema {
  if (!isObj(schema)) return {};
  if (typeof schema.$ref === 'string') {
    if (stack.includes(schema.$ref)) throw new Unmappable(at, `recursive schema ${[...stack, schema.$ref].join(' -> ')} cannot be inlined into a tool`);
    return inlineSchema(doc, resolvePointer(doc, schema.$ref, at), at, [...stack, schema.$ref]);
  }
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'nullable' || k === 'discriminator' || k === 'xml' || k === 'externalDocs') continue;
    if (k === 'properties' && isObj(v)) out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, inlineSchema(doc, s, `${at}.properties.${p}`, stack)]));
    else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && isObj(v)) out[k] = inlineSchema(doc, v, `${at}.${k}`, stack);
    else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) out[k] = v.map((s, i) => inlineSchema(doc, s, `${at}.${k}[${i}]`, stack));
    else out[k] = structuredClone(v);
  }
  if (schema.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (out.format === 'binary') {
    throw new Unmappable(at, 'file uploads (format: binary) cannot be passed as JSON tool arguments');
  }
  return out;
}

/**
 * `allOf` of object schemas (the common "NewPet + id" composition) as one object schema, so a body built
 * that way still becomes separate tool arguments. Anything else comes back unchanged.
 */
function flattenAllOf(schema: JsonSchema): JsonSchema {
  const parts = schema.allOf;
  if (!Array.isArray(parts)) return schema;
  const flat = (parts as JsonSchema[]).map(flattenAllOf);
  if (!flat.every((p) => (p.type === 'object' || (p.type === undefined && isObj(p.properties))) && p.allOf === undefined && p.anyOf === undefined && p.oneOf === undefined)) return schema;
  const { allOf: _drop, ...rest } = schema;
  const properties: Record<string, JsonSchema> = { ...((rest.properties as Record<string, JsonSchema>) ?? {}) };
  const required = new Set<string>((rest.required as string[] | undefined) ?? []);
  for (const p of flat) {
    Object.assign(properties, p.properties ?? {});
    for (const r of (p.required as string[] | undefined) ?? []) required.add(r);
    if (p.additionalProperties === false) rest.additionalProperties = false;
  }
  return { ...rest, type: 'object', properties, ...(required.size ? { required: [...required] } : {}) };
}

/** A tool name from the operationId, or from the method and path: GET /rooms/{roomId} -> getRoomsByRoomId. */
function toolName(op: Obj, method: string, path: string): string {
  if (typeof op.operationId === 'string' && op.operationId.trim()) return op.operationId.trim().replace(/[^A-Za-z0-9_.-]/g, '_');
  const words = path.split('/').filter(Boolean).map((seg) => {
    const m = /^\{(.+)\}$/.exec(seg);
    const w = (m ? `by_${m[1]}` : seg).split(/[^A-Za-z0-9]+/).filter(Boolean);
    return w.map((x) => x[0].toUpperCase() + x.slice(1)).join('');
  });
  return method + words.join('');
}

function mediaSchema(content: unknown): { type: string; schema: unknown } | undefined {
  if (!isObj(content)) return undefined;
  const types = Object.keys(content);
  const pick = types.find((t) => t === 'application/json' || /\+json$/.test(t))
    ?? types.find((t) => t === 'application/x-www-form-urlencoded' || t === 'multipart/form-data');
  if (!pick) return undefined;
  return { type: pick, schema: (content[pick] as Obj | undefined)?.schema };
}

function mapOperation(doc: Obj, path: string, method: string, op: Obj, pathParams: unknown[], warnings: ImportProblem[]): { tool: ToolDefinition; binding: OperationBinding } {
  const at = `paths.${path}.${method}`;
  const name = toolName(op, method, path);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const params: OperationBinding['params'] = [];

  // Operation-level parameters override path-level ones with the same name and location.
  const merged = new Map<string, { p: Obj; where: string }>();
  const addParams = (list: unknown, where: string) => {
    if (list === undefined) return;
    if (!Array.isArray(list)) throw new Unmappable(where, '"parameters" must be a list');
    list.forEach((raw, i) => {
      const p = deref(doc, raw, `${where}[${i}]`);
      if (!isObj(p) || typeof p.name !== 'string' || typeof p.in !== 'string') throw new Unmappable(`${where}[${i}]`, 'a parameter needs "name" and "in"');
      merged.set(`${p.in}:${p.name}`, { p, where: `${where}[${i}]` });
    });
  };
  addParams(pathParams, `paths.${path}.parameters`);
  addParams(op.parameters, `${at}.parameters`);

  for (const { p, where } of merged.values()) {
    const pname = p.name as string;
    if (p.in === 'header' || p.in === 'cookie') {
      warnings.push({ at: where, message: `${p.in} parameter "${pname}" left out: transport detail, not a tool argument` });
      continue;
    }
    if (p.in !== 'path' && p.in !== 'query') throw new Unmappable(where, `parameter location "${String(p.in)}" is not one of path, query, header, cookie`);
    const schemaSrc = p.schema ?? mediaSchema(p.content)?.schema;
    const schema = inlineSchema(doc, schemaSrc ?? { type: 'string' }, `${where}.schema`);
    if (typeof p.description === 'string' && schema.description === undefined) schema.description = p.description;
    if (properties[pname]) throw new Unmappable(where, `parameter "${pname}" appears both in the path and the query`);
    properties[pname] = schema;
    if (p.in === 'path' || p.required === true) required.push(pname);
    params.push({ name: pname, in: p.in });
  }

  if (op.requestBody !== undefined) {
    const body = deref(doc, op.requestBody, `${at}.requestBody`);
    if (!isObj(body)) throw new Unmappable(`${at}.requestBody`, 'expected a request body object');
    const media = mediaSchema(body.content);
    if (!media) {
      const types = isObj(body.content) ? Object.keys(body.content).join(', ') : 'none';
      throw new Unmappable(`${at}.requestBody.content`, `no JSON or form body to map (content types: ${types})`);
    }
    const bodyAt = `${at}.requestBody.content.${media.type}.schema`;
    const schema = flattenAllOf(inlineSchema(doc, media.schema ?? {}, bodyAt));
    const bodyRequired = body.required === true;
    if (schema.type === 'object' || (schema.type === undefined && isObj(schema.properties))) {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const req = Array.isArray(schema.required) ? (schema.required as string[]) : [];
      for (const [pname, ps] of Object.entries(props)) {
        // The server fills read-only fields (ids, timestamps); a caller never sends them.
        if (ps.readOnly === true) {
          warnings.push({ at: `${bodyAt}.properties.${pname}`, message: `read-only body field "${pname}" left out` });
          continue;
        }
        if (properties[pname]) throw new Unmappable(`${bodyAt}.properties.${pname}`, `body field "${pname}" clashes with the ${params.find((x) => x.name === pname)?.in} parameter of the same name`);
        properties[pname] = ps;
        if (bodyRequired && req.includes(pname)) required.push(pname);
        params.push({ name: pname, in: 'body' });
      }
    } else {
      if (properties.body) throw new Unmappable(bodyAt, 'a non-object body maps to the argument "body", which a parameter already uses');
      properties.body = schema;
      if (bodyRequired) required.push('body');
      params.push({ name: 'body', in: 'wholeBody' });
    }
  }

  const description = [op.summary, op.description].filter((x) => typeof x === 'string' && x.trim()).join(' — ') || `${method.toUpperCase()} ${path}`;
  return {
    tool: { type: 'function', function: { name, description, parameters: { type: 'object', properties, required } } },
    binding: { tool: name, method: method.toUpperCase(), path, params },
  };
}

/** Imports every operation; throws only when the document as a whole is not OpenAPI 3.x. */
export function importOpenApi(text: string, file = 'openapi'): OpenApiImport {
  const doc = readApiDocument(text, file);
  if (typeof doc.swagger === 'string') throw new OpenApiImportError(file, 'swagger', `Swagger ${doc.swagger} is not supported; convert it to OpenAPI 3.x first`);
  if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.')) {
    throw new OpenApiImportError(file, 'openapi', `expected "openapi": "3.x", got ${JSON.stringify(doc.openapi ?? null)}`);
  }
  if (!isObj(doc.paths)) throw new OpenApiImportError(file, 'paths', 'expected a mapping of paths to operations');
  const tools: ToolDefinition[] = [];
  const bindings: OperationBinding[] = [];
  const errors: ImportProblem[] = [];
  const warnings: ImportProblem[] = [];
  const names = new Set<string>();
  for (const [path, rawItem] of Object.entries(doc.paths)) {
    let item: unknown;
    try {
      item = deref(doc, rawItem, `paths.${path}`);
    } catch (e) {
      if (e instanceof Unmappable) errors.push({ at: e.at, message: e.message });
      else throw e;
      continue;
    }
    if (!isObj(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      try {
        const { tool, binding } = mapOperation(doc, path, method, op, (item.parameters as unknown[]) ?? [], warnings);
        if (names.has(tool.function.name)) throw new Unmappable(`paths.${path}.${method}`, `tool name "${tool.function.name}" is already used by another operation`);
        names.add(tool.function.name);
        tools.push(tool);
        bindings.push(binding);
      } catch (e) {
        if (e instanceof Unmappable) errors.push({ at: e.at, message: e.message });
        else throw e;
      }
    }
  }
  const info = isObj(doc.info) ? doc.info : {};
  return { title: typeof info.title === 'string' ? info.title : file, tools, bindings, errors, warnings };
}
