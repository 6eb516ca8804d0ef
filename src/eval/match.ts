// Matching one predicted call against one gold call with BFCL's AST semantics, for our own data:
// the gold call and its tool schema are turned into a BFCL function description + possible answer,
// then the BFCL checker decides (string normalisation, int for float, allowed values, "" = optional,
// unexpected parameters fail).

import type { JsonSchema, ToolCall, ToolDefinition } from '../tools/types.ts';
import { checkSimpleCall, type BfclFunction, type BfclParam, type CheckResult, type PossibleAnswer } from './bfcl/ast-checker.ts';
import { fromJs, isPyDict, type PyDict, type PyValue } from './bfcl/py-value.ts';

/**
 * A reference call. `arguments` holds the canonical values (what a reference chain executes);
 * `alternatives` lists other accepted values per parameter, BFCL-style, where "" means "may be omitted".
 */
export interface GoldCall extends ToolCall {
  alternatives?: Record<string, unknown[]>;
}

/** BFCL type name for a JSON Schema type (or for a value when the schema says nothing). */
function bfclType(schema: JsonSchema | undefined, sample: unknown): string {
  let t = schema?.type;
  if (Array.isArray(t)) t = t.find((x) => x !== 'null');
  switch (t) {
    case 'string': return 'string';
    case 'integer': return 'integer';
    case 'number': return 'float';
    case 'boolean': return 'boolean';
    case 'array': return 'array';
    case 'object': return 'dict';
    case 'dict': case 'float': case 'tuple': case 'any': return t;
  }
  return inferType(sample);
}

function inferType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return 'float'; // 'float' accepts ints too: the lenient choice without a schema
  if (Array.isArray(v)) return 'array';
  if (v !== null && typeof v === 'object') return 'dict';
  return 'any';
}

/**
 * Item type of a gold list when the schema gives none. BFCL checks list items without its int-to-float
 * conversion, so ints are 'integer' and non-integral numbers 'float'; a list of mixed kinds (ints and
 * floats included) gets no item type, hence no item check, rather than one its own gold value would fail.
 */
function inferItemType(sample: unknown): string | undefined {
  if (!Array.isArray(sample) || sample.length === 0) return undefined;
  const kinds = new Set(sample.map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'float') : inferType(v))));
  return kinds.size === 1 ? [...kinds][0] : undefined;
}

function paramFor(schema: JsonSchema | undefined, sample: unknown): BfclParam {
  const type = bfclType(schema, sample);
  if (type !== 'array' && type !== 'tuple') return { type };
  const items = schema?.items as JsonSchema | undefined;
  const itemType = items?.type !== undefined ? bfclType(items, undefined) : inferItemType(sample);
  return itemType === undefined ? { type } : { type, items: { type: itemType } };
}

/** The BFCL function description for a gold call: from its tool schema when there is one, else inferred. */
export function bfclFunctionFor(gold: GoldCall, tool?: ToolDefinition): BfclFunction {
  const props = (tool?.function.parameters.properties ?? {}) as Record<string, JsonSchema>;
  const properties: Record<string, BfclParam> = {};
  for (const [p, s] of Object.entries(props)) properties[p] = paramFor(s, gold.arguments[p]);
  const sampleOf = (p: string) => gold.arguments[p] ?? gold.alternatives?.[p]?.find((v) => v !== '');
  for (const p of [...Object.keys(gold.arguments), ...Object.keys(gold.alternatives ?? {})]) {
    if (!properties[p]) properties[p] = paramFor(undefined, sampleOf(p));
  }
  const required = tool
    ? ((tool.function.parameters.required as string[] | undefined) ?? [])
    : Object.keys(gold.arguments).filter((p) => !(gold.alternatives?.[p] ?? []).includes(''));
  return { name: gold.name, parameters: { type: 'dict', properties, required } };
}

/** A gold dict value as BFCL's possible-answer dict ({key: [allowed]}), recursively one level as BFCL does. */
function asPossible(v: PyValue, param: BfclParam): PyValue {
  if (param.type === 'dict' && isPyDict(v)) return wrapDict(v);
  if ((param.type === 'array' || param.type === 'tuple') && param.items?.type === 'dict' && Array.isArray(v)) {
    return v.map((x) => (isPyDict(x) ? wrapDict(x) : x));
  }
  return v;
}
function wrapDict(d: PyDict): PyDict {
  return Object.fromEntries(Object.entries(d).map(([k, x]) => [k, [x]]));
}

export function possibleAnswerFor(gold: GoldCall, fn: BfclFunction): PossibleAnswer {
  const params: Record<string, PyValue[]> = {};
  const props = fn.parameters.properties ?? {};
  for (const [p, v] of Object.entries(gold.arguments)) params[p] = [asPossible(fromJs(v), props[p])];
  for (const [p, alts] of Object.entries(gold.alternatives ?? {})) {
    params[p] = [...(params[p] ?? []), ...alts.map((a) => (a === '' ? '' : asPossible(fromJs(a), props[p])))];
  }
  return { [gold.name]: params };
}

/** Compiled matcher for one gold call (the description and answer are built once). */
export class GoldMatcher {
  readonly fn: BfclFunction;
  readonly answer: PossibleAnswer;

  constructor(readonly gold: GoldCall, tool?: ToolDefinition) {
    this.fn = bfclFunctionFor(gold, tool);
    this.answer = possibleAnswerFor(gold, this.fn);
  }

  /** Full BFCL verdict for a predicted call. */
  check(pred: ToolCall): CheckResult {
    return checkSimpleCall(this.fn, { name: pred.name, args: fromJs(pred.arguments) as PyDict }, this.answer);
  }

  /** Whether one predicted argument is right on its own (type and value, BFCL rules). */
  argumentCorrect(param: string, value: unknown): boolean {
    const allowed = this.answer[this.gold.name][param];
    const spec = this.fn.parameters.properties?.[param];
    if (!allowed || !spec) return false;
    const fn: BfclFunction = { name: this.gold.name, parameters: { properties: { [param]: spec }, required: [] } };
    return checkSimpleCall(fn, { name: this.gold.name, args: { [param]: fromJs(value) } }, { [this.gold.name]: { [param]: allowed } }).valid;
  }
}

/** Exact equality of two JSON values (no normalisation): the "exact-argument match" metric. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Maximum bipartite matching (Kuhn's augmenting paths); small sizes, so O(V·E) is fine. Returns pairs [gold, pred]. */
export function maxMatching(nGold: number, nPred: number, ok: (g: number, p: number) => boolean): [number, number][] {
  const predOwner = new Array<number>(nPred).fill(-1);
  const adj = Array.from({ length: nGold }, (_, g) => Array.from({ length: nPred }, (_, p) => p).filter((p) => ok(g, p)));
  const tryAssign = (g: number, seen: boolean[]): boolean => {
    for (const p of adj[g]) {
      if (seen[p]) continue;
      seen[p] = true;
      if (predOwner[p] < 0 || tryAssign(predOwner[p], seen)) {
        predOwner[p] = g;
        return true;
      }
    }
    return false;
  };
  for (let g = 0; g < nGold; g++) tryAssign(g, new Array<boolean>(nPred).fill(false));
  const pairs: [number, number][] = [];
  predOwner.forEach((g, p) => g >= 0 && pairs.push([g, p]));
  return pairs.sort((x, y) => x[0] - y[0]);
}
