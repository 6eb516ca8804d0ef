// A JSON Schema checker that interprets the schema instead of generating code. ajv compiles schemas to
// JavaScript with `new Function`, which the studio's Content-Security-Policy (no 'unsafe-eval') forbids;
// there the validator falls back to this. It covers the keywords tool schemas use, reports errors in
// ajv's shape (keyword, instancePath, params, message) and uses ajv-formats' own format definitions,
// and a differential test checks it gives ajv's verdicts.

import type { ErrorObject } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { JsonSchema } from './types.ts';

type Json = unknown;
type FormatDef = RegExp | ((s: string) => boolean) | { validate: RegExp | ((s: string | number) => boolean); type?: string };

const escapePointer = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

function typeOf(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function hasType(v: Json, t: string): boolean {
  switch (t) {
    case 'null': return v === null;
    case 'boolean': return typeof v === 'boolean';
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isFinite(v) && v % 1 === 0;
    case 'array': return Array.isArray(v);
    case 'object': return typeOf(v) === 'object';
    default: return false;
  }
}

/** Deep equality of JSON values (enum, const, uniqueItems), as ajv's fast-deep-equal. */
function equal(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (typeOf(a) === 'object' && typeOf(b) === 'object') {
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b as object, k) && equal((a as Record<string, Json>)[k], (b as Record<string, Json>)[k]));
  }
  return false;
}

/** String length in Unicode code points, as ajv counts it. */
const codePoints = (s: string) => [...s].length;

function checkFormat(name: string, v: Json): boolean | undefined {
  const def = (fullFormats as Record<string, FormatDef>)[name];
  if (!def) return undefined; // unknown format: ajv with strict: false ignores it
  if (def instanceof RegExp) return typeof v !== 'string' || def.test(v);
  if (typeof def === 'function') return typeof v !== 'string' || def(v);
  const want = def.type ?? 'string';
  if (typeof v !== want) return true;
  return def.validate instanceof RegExp ? def.validate.test(String(v)) : def.validate(v as string | number);
}

/** Validates `data` against `schema`; returns every error (allErrors), [] when valid. */
export function interpretSchema(schema: JsonSchema | boolean, data: Json, path = '', schemaPath = '#'): ErrorObject[] {
  if (schema === true) return [];
  if (schema === false) return [err('false schema', path, `${schemaPath}`, {}, 'boolean schema is false', data)];
  const s = schema as Record<string, unknown>;
  const errors: ErrorObject[] = [];
  const push = (keyword: string, params: Record<string, unknown>, message: string, sub = keyword) => errors.push(err(keyword, path, `${schemaPath}/${sub}`, params, message, data, s[keyword]));

  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    if (!types.some((t) => hasType(data, t))) {
      // Like ajv, keep going: enum/const/combinators still report; type-specific keywords below
      // only apply to values of their own type anyway.
      push('type', { type: types.join(',') }, `must be ${types.join(',')}`);
    }
  }
  if (s.enum !== undefined && Array.isArray(s.enum) && !s.enum.some((e) => equal(e, data))) {
    push('enum', { allowedValues: s.enum }, 'must be equal to one of the allowed values');
  }
  if ('const' in s && !equal(s.const, data)) push('const', { allowedValue: s.const }, 'must be equal to constant');

  if (typeof data === 'number') {
    const lim = (k: string, ok: (l: number) => boolean, cmp: string) => {
      if (typeof s[k] === 'number' && !ok(s[k] as number)) push(k, { comparison: cmp, limit: s[k] }, `must be ${cmp} ${s[k]}`);
    };
    lim('maximum', (l) => data <= l, '<=');
    lim('minimum', (l) => data >= l, '>=');
    lim('exclusiveMaximum', (l) => data < l, '<');
    lim('exclusiveMinimum', (l) => data > l, '>');
    if (typeof s.multipleOf === 'number') {
      const q = data / (s.multipleOf as number);
      if (Math.abs(q - Math.round(q)) > 1e-9 * Math.max(1, Math.abs(q))) push('multipleOf', { multipleOf: s.multipleOf }, `must be multiple of ${s.multipleOf}`);
    }
  }
  if (typeof data === 'string') {
    if (typeof s.maxLength === 'number' && codePoints(data) > s.maxLength) push('maxLength', { limit: s.maxLength }, `must NOT have more than ${s.maxLength} characters`);
    if (typeof s.minLength === 'number' && codePoints(data) < s.minLength) push('minLength', { limit: s.minLength }, `must NOT have fewer than ${s.minLength} characters`);
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(data)) push('pattern', { pattern: s.pattern }, `must match pattern "${s.pattern}"`);
  }
  if (typeof s.format === 'string' && checkFormat(s.format, data) === false) push('format', { format: s.format }, `must match format "${s.format}"`);

  if (Array.isArray(data)) {
    if (typeof s.maxItems === 'number' && data.length > s.maxItems) push('maxItems', { limit: s.maxItems }, `must NOT have more than ${s.maxItems} items`);
    if (typeof s.minItems === 'number' && data.length < s.minItems) push('minItems', { limit: s.minItems }, `must NOT have fewer than ${s.minItems} items`);
    if (s.uniqueItems === true) {
      outer: for (let i = data.length - 1; i > 0; i--) {
        for (let j = i - 1; j >= 0; j--) {
          if (equal(data[i], data[j])) {
            push('uniqueItems', { i, j }, `must NOT have duplicate items (items ## ${j} and ${i} are identical)`);
            break outer;
          }
        }
      }
    }
    const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as JsonSchema[]) : Array.isArray(s.items) ? (s.items as JsonSchema[]) : [];
    prefix.forEach((sub, i) => {
      if (i < data.length) errors.push(...interpretSchema(sub, data[i], `${path}/${i}`, `${schemaPath}/items/${i}`));
    });
    const rest = !Array.isArray(s.items) && s.items !== undefined ? s.items : Array.isArray(s.items) ? s.additionalItems : undefined;
    if (rest !== undefined) {
      for (let i = prefix.length; i < data.length; i++) errors.push(...interpretSchema(rest as JsonSchema | boolean, data[i], `${path}/${i}`, `${schemaPath}/items`));
    }
    if (s.contains !== undefined && !data.some((x) => interpretSchema(s.contains as JsonSchema, x).length === 0)) push('contains', {}, 'must contain at least 1 valid item(s)');
  }

  if (typeOf(data) === 'object') {
    const obj = data as Record<string, Json>;
    const keys = Object.keys(obj);
    if (typeof s.maxProperties === 'number' && keys.length > s.maxProperties) push('maxProperties', { limit: s.maxProperties }, `must NOT have more than ${s.maxProperties} properties`);
    if (typeof s.minProperties === 'number' && keys.length < s.minProperties) push('minProperties', { limit: s.minProperties }, `must NOT have fewer than ${s.minProperties} properties`);
    if (Array.isArray(s.required)) {
      for (const r of s.required as string[]) if (!Object.hasOwn(obj, r)) push('required', { missingProperty: r }, `must have required property '${r}'`);
    }
    const props = (s.properties ?? {}) as Record<string, JsonSchema | boolean>;
    const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, JsonSchema | boolean>).map(([p, sub]) => [new RegExp(p, 'u'), sub] as const);
    for (const k of keys) {
      let known = false;
      if (Object.hasOwn(props, k)) {
        known = true;
        errors.push(...interpretSchema(props[k], obj[k], `${path}/${escapePointer(k)}`, `${schemaPath}/properties/${escapePointer(k)}`));
      }
      for (const [re, sub] of patterns) {
        if (re.test(k)) {
          known = true;
          errors.push(...interpretSchema(sub, obj[k], `${path}/${escapePointer(k)}`, `${schemaPath}/patternProperties`));
        }
      }
      if (!known && s.additionalProperties !== undefined) {
        if (s.additionalProperties === false) push('additionalProperties', { additionalProperty: k }, 'must NOT have additional properties');
        else errors.push(...interpretSchema(s.additionalProperties as JsonSchema, obj[k], `${path}/${escapePointer(k)}`, `${schemaPath}/additionalProperties`));
      }
      if (s.propertyNames !== undefined && interpretSchema(s.propertyNames as JsonSchema, k).length) {
        push('propertyNames', { propertyName: k }, 'property name must be valid');
      }
    }
    if (typeOf(s.dependentRequired) === 'object') {
      for (const [k, deps] of Object.entries(s.dependentRequired as Record<string, string[]>)) {
        if (!Object.hasOwn(obj, k)) continue;
        for (const d of deps) if (!Object.hasOwn(obj, d)) push('dependentRequired', { property: k, missingProperty: d, depsCount: deps.length, deps: deps.join(', ') }, `must have property ${d} when property ${k} is present`);
      }
    }
  }

  if (Array.isArray(s.allOf)) (s.allOf as JsonSchema[]).forEach((sub, i) => errors.push(...interpretSchema(sub, data, path, `${schemaPath}/allOf/${i}`)));
  if (Array.isArray(s.anyOf)) {
    const subs = (s.anyOf as JsonSchema[]).map((sub, i) => interpretSchema(sub, data, path, `${schemaPath}/anyOf/${i}`));
    if (!subs.some((e) => e.length === 0)) {
      errors.push(...subs.flat());
      push('anyOf', {}, 'must match a schema in anyOf');
    }
  }
  if (Array.isArray(s.oneOf)) {
    const subs = (s.oneOf as JsonSchema[]).map((sub, i) => interpretSchema(sub, data, path, `${schemaPath}/oneOf/${i}`));
    const passing = subs.map((e, i) => (e.length === 0 ? i : -1)).filter((i) => i >= 0);
    if (passing.length !== 1) {
      if (passing.length === 0) errors.push(...subs.flat());
      push('oneOf', { passingSchemas: passing.length ? passing : null }, 'must match exactly one schema in oneOf');
    }
  }
  if (s.not !== undefined && interpretSchema(s.not as JsonSchema, data).length === 0) push('not', {}, 'must NOT be valid');
  if (s.if !== undefined) {
    const ifOk = interpretSchema(s.if as JsonSchema, data).length === 0;
    const branch = ifOk ? s.then : s.else;
    if (branch !== undefined) {
      const sub = interpretSchema(branch as JsonSchema, data, path, `${schemaPath}/${ifOk ? 'then' : 'else'}`);
      if (sub.length) {
        errors.push(...sub);
        push('if', { failingKeyword: ifOk ? 'then' : 'else' }, `must match "${ifOk ? 'then' : 'else'}" schema`);
      }
    }
  }
  return errors;
}

function err(keyword: string, instancePath: string, schemaPath: string, params: Record<string, unknown>, message: string, data: Json, schema?: unknown): ErrorObject {
  return { keyword, instancePath, schemaPath, params, message, data, schema } as ErrorObject;
}
