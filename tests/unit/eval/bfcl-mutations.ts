// Builds checker test cases from BFCL possible answers: the correct call (must be valid), harmless
// variants BFCL accepts (string case, int for float, omitted optional, other call order), and each
// kind of wrong call (wrong name, wrong value, missing required, extra parameter, wrong type, wrong count).

import { Rng } from '../../../src/util/rng.ts';
import type { BfclFunction, PossibleAnswer, PyCall } from '../../../src/eval/bfcl/ast-checker.ts';
import { standardizeString } from '../../../src/eval/bfcl/ast-checker.ts';
import type { BfclCase } from '../../../src/eval/bfcl/bfcl-data.ts';
import { isPyDict, pyContains, PyFloat, pyType, type PyDict, type PyValue } from '../../../src/eval/bfcl/py-value.ts';

export interface MutationCase {
  id: string;
  kind: string;
  /** The verdict BFCL must give, known by construction; undefined for fuzz cases. */
  expectValid: boolean | undefined;
  calls: PyCall[];
}

const isOptionalMarker = (v: PyValue) => v === '';
const firstReal = (allowed: PyValue[]) => allowed.find((v) => !isOptionalMarker(v));

function fnFor(c: BfclCase, name: string): BfclFunction {
  return c.functions.find((f) => f.name === name)!;
}

/** A concrete value from an allowed value: possible-answer dicts ({k: [allowed]}) become plain dicts. */
function concretize(v: PyValue, type: string | undefined, itemType: string | undefined): PyValue {
  if ((type === 'dict') && isPyDict(v)) return concreteDict(v);
  if ((type === 'array' || type === 'tuple') && itemType === 'dict' && Array.isArray(v)) return v.map((x) => (isPyDict(x) ? concreteDict(x) : x));
  return v;
}
function concreteDict(d: PyDict): PyDict {
  const out: PyDict = {};
  for (const [k, allowed] of Object.entries(d)) {
    if (!Array.isArray(allowed)) continue;
    if (pyContains(allowed, '')) continue;
    const v = firstReal(allowed);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** The ground-truth call for one possible answer. */
export function correctCall(c: BfclCase, answer: PossibleAnswer): PyCall {
  const name = Object.keys(answer)[0];
  const fn = fnFor(c, name);
  const required = fn.parameters.required ?? [];
  const args: PyDict = {};
  for (const [param, allowed] of Object.entries(answer[name])) {
    if (pyContains(allowed, '') && !required.includes(param)) continue;
    const v = firstReal(allowed);
    if (v === undefined) continue;
    const schema = fn.parameters.properties?.[param];
    args[param] = concretize(v, schema?.type, schema?.items?.type);
  }
  return { name, args };
}

const clone = (calls: PyCall[]): PyCall[] => calls.map((c) => ({ name: c.name, args: { ...c.args } }));

/** Answer-allowed check under BFCL's string normalisation (top level only), used to pick wrong values. */
function allowedLoosely(v: PyValue, allowed: PyValue[]): boolean {
  if (typeof v === 'string') return allowed.some((a) => typeof a === 'string' && standardizeString(a) === standardizeString(v));
  return pyContains(allowed, v);
}

function wrongValue(v: PyValue, allowed: PyValue[]): PyValue | undefined {
  const candidates: PyValue[] = [];
  if (typeof v === 'string') candidates.push(`zq${v}x`, 'zqzqzq');
  else if (typeof v === 'number') candidates.push(v + 7919, -v - 13);
  else if (v instanceof PyFloat) candidates.push(new PyFloat(v.value + 0.37), new PyFloat(-v.value - 1.5));
  else if (typeof v === 'boolean') candidates.push(!v);
  else if (Array.isArray(v)) candidates.push(v.length ? [...v, v[0]] : ['zq'], v.slice(1));
  return candidates.find((c) => !allowedLoosely(c, allowed) && !(Array.isArray(c) && allowed.some((a) => Array.isArray(a) && a.length === c.length && c.every((x, i) => typeof x === 'string' && typeof a[i] === 'string' ? standardizeString(x) === standardizeString(a[i] as string) : false))));
}

const PY_OF: Record<string, string> = { string: 'str', integer: 'int', float: 'float', boolean: 'bool', array: 'list', tuple: 'list', dict: 'dict', any: 'str' };

function wrongType(schemaType: string, allowed: PyValue[]): PyValue | undefined {
  const expected = PY_OF[schemaType];
  const answerType = firstReal(allowed) !== undefined ? pyType(firstReal(allowed)!) : null;
  const candidates: PyValue[] = ['wrongtype', 98765, [], {}, true];
  return candidates.find((c) => {
    const t = pyType(c);
    if (t === expected || t === answerType) return false;
    if (expected === 'float' && t === 'int') return false; // BFCL converts int to float
    return true;
  });
}

/** All test cases for one BFCL case; `rng` shuffles parallel calls. */
export function mutationCases(c: BfclCase, rng: Rng): MutationCase[] {
  const out: MutationCase[] = [];
  const good = c.answers.map((a) => correctCall(c, a));
  const add = (kind: string, expectValid: boolean, calls: PyCall[]) => out.push({ id: c.id, kind, expectValid, calls });
  add('correct', true, good);
  if (good.length > 1) add('shuffled_order', true, rng.shuffle(clone(good)));

  const first = good[0];
  const fn = fnFor(c, first.name);
  const props = fn.parameters.properties ?? {};
  const allowedOf = (p: string) => c.answers[0][first.name][p];

  // Harmless variants.
  for (const [p, v] of Object.entries(first.args)) {
    const type = props[p]?.type;
    if (type === 'string' && typeof v === 'string' && /^[\x20-\x7e]+$/.test(v) && v.toUpperCase() !== v) {
      const calls = clone(good);
      calls[0].args[p] = `${v.toUpperCase()}`;
      add('string_case', true, calls);
      break;
    }
  }
  for (const [p, v] of Object.entries(first.args)) {
    if (props[p]?.type === 'float' && v instanceof PyFloat && Number.isInteger(v.value)) {
      const calls = clone(good);
      calls[0].args[p] = v.value;
      add('int_for_float', true, calls);
      break;
    }
  }
  for (const [p, allowed] of Object.entries(c.answers[0][first.name])) {
    const real = allowed.filter((a) => !isOptionalMarker(a));
    if (real.length > 1 && p in first.args) {
      const calls = clone(good);
      calls[0].args[p] = concretize(real[1], props[p]?.type, props[p]?.items?.type);
      add('second_allowed_value', true, calls);
      break;
    }
  }

  // Wrong calls.
  {
    const calls = clone(good);
    calls[0].name = `${first.name}_v2`;
    add('wrong_name', false, calls);
  }
  const other = c.functions.find((f) => f.name !== first.name && !c.answers.some((a) => Object.keys(a)[0] === f.name));
  if (other) {
    const calls = clone(good);
    calls[0].name = other.name;
    add('other_function', false, calls);
  }
  for (const [p, v] of Object.entries(first.args)) {
    const w = wrongValue(v, allowedOf(p));
    if (w !== undefined) {
      const calls = clone(good);
      calls[0].args[p] = w;
      add('wrong_value', false, calls);
      break;
    }
  }
  const req = (fn.parameters.required ?? []).find((p) => p in first.args);
  if (req) {
    const calls = clone(good);
    delete calls[0].args[req];
    add('missing_required', false, calls);
  }
  const notOptional = Object.keys(first.args).find((p) => !(fn.parameters.required ?? []).includes(p) && !pyContains(allowedOf(p), ''));
  if (notOptional) {
    const calls = clone(good);
    delete calls[0].args[notOptional];
    add('missing_unmarked_optional', false, calls);
  }
  {
    const calls = clone(good);
    calls[0].args.zz_unexpected_param = 1;
    add('extra_param', false, calls);
  }
  const schemaOnly = Object.keys(props).find((p) => !(p in c.answers[0][first.name]));
  if (schemaOnly) {
    const calls = clone(good);
    calls[0].args[schemaOnly] = 'x';
    add('param_not_in_answer', false, calls);
  }
  for (const [p, v] of Object.entries(first.args)) {
    const type = props[p]?.type;
    if (!type) continue;
    const w = wrongType(type, allowedOf(p));
    if (w !== undefined && pyType(w) !== pyType(v)) {
      const calls = clone(good);
      calls[0].args[p] = w;
      add('wrong_type', false, calls);
      break;
    }
  }
  add('no_call', false, []);
  add('one_extra_call', false, [...clone(good), clone(good)[0]]);
  if (good.length > 1) add('one_call_missing', false, clone(good).slice(0, -1));
  return out;
}

// Values that exercise BFCL's type rules: int vs float (3 vs 3.0), bool vs int, None, empty containers.
const FUZZ_POOL: PyValue[] = ['', 'abc', 0, 1, 2.5, new PyFloat(3), true, false, null, [], [1, 2], ['a'], {}, { a: 1 }, [new PyFloat(1), 2]];

/** Random perturbations of the correct calls (a value swapped from FUZZ_POOL, or a parameter dropped). */
export function fuzzCases(c: BfclCase, good: PyCall[], rng: Rng, n: number): MutationCase[] {
  const out: MutationCase[] = [];
  for (let k = 0; k < n; k++) {
    const calls = clone(good);
    if (calls.length === 0) continue;
    const ci = rng.int(calls.length);
    const keys = Object.keys(calls[ci].args);
    const props = Object.keys(fnFor(c, calls[ci].name).parameters.properties ?? {});
    const p = rng.next() < 0.7 && keys.length ? rng.pick(keys) : rng.pick(props.length ? props : ['q']);
    if (rng.next() < 0.2) delete calls[ci].args[p];
    else calls[ci].args[p] = rng.pick(FUZZ_POOL);
    out.push({ id: c.id, kind: 'fuzz', expectValid: undefined, calls });
  }
  return out;
}

/** The agreement corpus for one case: constructed cases, then 6 fuzz cases. Order and RNG use are fixed. */
export function agreementCorpus(c: BfclCase, rng: Rng): MutationCase[] {
  const ms = mutationCases(c, rng);
  return [...ms, ...fuzzCases(c, ms[0].calls, rng, 6)];
}

export const AGREEMENT_CATEGORIES = ['simple_python', 'multiple', 'parallel', 'parallel_multiple'] as const;
export const AGREEMENT_SEED = 1;
