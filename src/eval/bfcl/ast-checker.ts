// BFCL's AST checker for Python-style function calls, reimplemented from its documented behaviour
// (Berkeley Function Calling Leaderboard, ShishirPatil/gorilla, bfcl_eval/eval_checker/ast_eval):
// a call is valid when its name matches, required parameters are present, no parameter is unexpected,
// each value has the right (Python) type and is one of the allowed values after string normalisation,
// and every answer parameter without "" among its allowed values is present. Parallel categories match
// calls to answers greedily in answer order, with exactly as many calls as answers.
// The verdicts must agree with BFCL's on every case, quirks included, so the order of checks follows it.

import {
  fromJs, isPyDict, pyContains, pyEquals, pyLen, pyRepr, pySequence, pyType,
  PyFloat, type PyDict, type PyTypeName, type PyValue,
} from './py-value.ts';

/** A function description as BFCL writes it (types are BFCL's: dict, float, tuple, any, ...). */
export interface BfclFunction {
  name: string;
  description?: string;
  parameters: { type?: string; properties?: Record<string, BfclParam>; required?: string[] };
}
export interface BfclParam {
  type?: string;
  items?: { type?: string };
  [key: string]: unknown;
}

/** One ground-truth call: `{fn name: {param: [allowed values...]}}` ("" among them = may be omitted). */
export type PossibleAnswer = Record<string, Record<string, PyValue[]>>;

/** A decoded model call with Python-typed arguments. */
export interface PyCall {
  name: string;
  args: PyDict;
}

export interface CheckResult {
  valid: boolean;
  errors: string[];
  errorType?: string;
}

export type BfclCategory = 'simple' | 'multiple' | 'parallel' | 'parallel_multiple';

/** Options that mirror BFCL's per-model settings. */
export interface CheckOptions {
  /** BFCL's `underscore_to_dot` models: expected names have '.' replaced by '_' before comparing. */
  underscoreToDot?: boolean;
}

// BFCL's Python type mapping; 'number' and 'object' are JSON Schema spellings we also accept (our tool sets).
const PYTHON_TYPE: Record<string, PyTypeName> = {
  string: 'str', integer: 'int', float: 'float', number: 'float', boolean: 'bool',
  array: 'list', tuple: 'list', dict: 'dict', object: 'dict', any: 'str',
};
const NESTED_CHECKED = new Set(['array', 'tuple']);

const ok = (): CheckResult => ({ valid: true, errors: [] });
const bad = (errorType: string, ...errors: string[]): CheckResult => ({ valid: false, errors, errorType });

/** BFCL's string normalisation: drop spaces and , . / - _ * ^, lower-case, read ' as ". */
export function standardizeString(s: string): string {
  return s.replace(/[ ,./\-_*^]/g, '').toLowerCase().replace(/'/g, '"');
}

const standardizeIfString = (v: PyValue): PyValue => (typeof v === 'string' ? standardizeString(v) : v);

/** Type of the first allowed value that is not "" (the optional marker); null if there is none. */
function possibleAnswerType(allowed: PyValue[]): PyTypeName | null {
  for (const a of allowed) if (!(typeof a === 'string' && a === '')) return pyType(a);
  return null;
}

interface TypeCheck extends CheckResult {
  isVariable: boolean;
}

function typeCheck(
  param: string, value: PyValue, allowed: PyValue[], expectedDesc: string, expected: PyTypeName, nested: PyTypeName | null,
): TypeCheck {
  const answerType = possibleAnswerType(allowed);
  // An answer whose type differs from the schema's is a "variable" (e.g. a name standing for a value).
  const isVariable = answerType !== null && answerType !== expected;
  if (pyType(value) === expected) {
    if (nested === null) return { ...ok(), isVariable };
    for (const item of allowed) {
      let flag = true;
      if (Array.isArray(item)) {
        for (const v of value as PyValue[]) {
          if (!typeCheck(param, v, item, nested, nested, null).valid) {
            flag = false;
            break;
          }
        }
      }
      if (flag) return { ...ok(), isVariable };
    }
    return {
      valid: false, isVariable, errorType: 'type_error:nested',
      errors: [`Nested type checking failed for parameter '${param}'. Expected outer type ${expectedDesc} with inner type ${nested}. Parameter value: ${pyRepr(value)}.`],
    };
  }
  if (answerType !== null && pyType(value) === answerType) return { ...ok(), isVariable: true };
  return {
    valid: false, isVariable, errorType: 'type_error:simple',
    errors: [`Incorrect type for parameter '${param}'. Expected type ${expectedDesc}, got ${pyType(value)}. Parameter value: ${pyRepr(value)}.`],
  };
}

function stringCheck(param: string, value: string, allowed: PyValue[]): CheckResult {
  const std = allowed.filter((a): a is string => typeof a === 'string').map(standardizeString);
  if (!std.includes(standardizeString(value))) {
    return bad('value_error:string', `Invalid value for parameter '${param}': ${pyRepr(value)}. Expected one of ${pyRepr(allowed)}. Case insensitive.`);
  }
  return ok();
}

function listCheck(param: string, value: PyValue[], allowed: PyValue[]): CheckResult {
  const stdValue = value.map(standardizeIfString);
  // BFCL indexes each allowed value as a sequence: a list's items, or a string's characters ("" -> []).
  const stdAllowed = allowed.map((a) => (pySequence(a) ?? []).map(standardizeIfString));
  if (!stdAllowed.some((a) => pyEquals(stdValue, a))) {
    return bad('value_error:list/tuple', `Invalid value for parameter '${param}': ${pyRepr(value)}. Expected one of ${pyRepr(allowed)}.`);
  }
  return ok();
}

function dictCheck(param: string, value: PyValue, allowed: PyValue[]): CheckResult {
  let result = bad('dict_checker:unclear');
  if (!isPyDict(value)) return bad('dict_checker:unclear', `Parameter '${param}' is not a dict: ${pyRepr(value)}.`);
  for (const candidate of allowed) {
    if (candidate === '') continue;
    result = bad('dict_checker:unclear');
    let flag = true;
    const cand: PyDict = isPyDict(candidate) ? candidate : {};
    for (const [key, v] of Object.entries(value)) {
      if (!Object.hasOwn(cand, key)) {
        result = bad('value_error:dict_key', `Unexpected dict key parameter: '${key}'.`);
        flag = false;
        break;
      }
      const stdAllowed = (pySequence(cand[key]) ?? []).map(standardizeIfString);
      if (!pyContains(stdAllowed, standardizeIfString(v))) {
        result = bad('value_error:dict_value', `Invalid value for parameter '${key}': ${pyRepr(v)}. Expected one of ${pyRepr(stdAllowed)}.`);
        flag = false;
        break;
      }
    }
    for (const [key, allowedValues] of Object.entries(cand)) {
      if (!Object.hasOwn(value, key) && !pyContains(allowedValues, '')) {
        result.valid = false;
        result.errors.push(`Missing dict key parameter: '${key}'.`);
        result.errorType = 'value_error:dict_key';
        flag = false;
        break;
      }
    }
    if (flag) return ok();
  }
  return result;
}

function listDictCheck(param: string, value: PyValue[], allowed: PyValue[]): CheckResult {
  let result = bad('list_dict_checker:unclear');
  for (const candidate of allowed) {
    if (pyLen(candidate) !== value.length) {
      result = bad('value_error:list_dict_count', 'Wrong number of dictionaries in the list.');
      continue;
    }
    const items = pySequence(candidate) ?? [];
    let flag = true;
    for (let i = 0; i < value.length; i++) {
      result = dictCheck(param, value[i], [items[i] ?? null]);
      if (!result.valid) {
        flag = false;
        break;
      }
    }
    if (flag) return ok();
  }
  return result;
}

/** Checks one call against one function description and one possible answer. */
export function checkSimpleCall(fn: BfclFunction, call: PyCall, answer: PossibleAnswer, opts: CheckOptions = {}): CheckResult {
  const allowedByParam = Object.values(answer)[0] ?? {};
  const properties = fn.parameters.properties ?? {};
  const required = fn.parameters.required ?? [];
  const fnName = opts.underscoreToDot ? fn.name.replace(/\./g, '_') : fn.name;

  if (call.name !== fnName) {
    return bad('simple_function_checker:wrong_func_name', `Function name '${fnName}' not found in model output.`);
  }
  for (const param of required) {
    if (!Object.hasOwn(call.args, param)) {
      return bad('simple_function_checker:missing_required', `Missing required parameter: '${param}'.`);
    }
  }
  for (const [param, raw] of Object.entries(call.args)) {
    if (!Object.hasOwn(properties, param) || !Object.hasOwn(allowedByParam, param)) {
      return bad('simple_function_checker:unexpected_param', `Unexpected parameter: '${param}'.`);
    }
    const allowed = allowedByParam[param];
    const expectedDesc = properties[param].type ?? 'any';
    const expected = PYTHON_TYPE[expectedDesc];
    if (expected === undefined) return bad('type_error:unsupported', `Unsupported type '${expectedDesc}' for parameter '${param}'.`);
    const nestedDesc = NESTED_CHECKED.has(expectedDesc) ? properties[param].items?.type : undefined;
    const nested = nestedDesc !== undefined ? (PYTHON_TYPE[nestedDesc] ?? null) : null;
    // Python converts int to float where a float is expected (bool is not an int for type()).
    let value = raw;
    if (expectedDesc === 'float' && typeof value === 'number' && Number.isInteger(value)) value = new PyFloat(value);
    if (expectedDesc === 'number' && typeof value === 'number' && Number.isInteger(value)) value = new PyFloat(value);

    const tc = typeCheck(param, value, allowed, expectedDesc, expected, nested);
    if (!tc.valid) return { valid: false, errors: tc.errors, errorType: tc.errorType };
    if (!tc.isVariable) {
      let r: CheckResult | undefined;
      if (expected === 'dict') r = dictCheck(param, value, allowed);
      else if (expected === 'list' && nested === 'dict') r = listDictCheck(param, value as PyValue[], allowed);
      else if (expected === 'str') r = stringCheck(param, value as string, allowed);
      else if (expected === 'list') r = listCheck(param, value as PyValue[], allowed);
      if (r) {
        if (!r.valid) return r;
        continue;
      }
    }
    if (!pyContains(allowed, value)) {
      return bad('value_error:others', `Invalid value for parameter '${param}': ${pyRepr(value)}. Expected one of ${pyRepr(allowed)}.`);
    }
  }
  for (const [param, allowed] of Object.entries(allowedByParam)) {
    if (!Object.hasOwn(call.args, param) && !pyContains(allowed, '')) {
      return bad('simple_function_checker:missing_optional', `Optional parameter '${param}' not provided and not marked as optional.`);
    }
  }
  return ok();
}

function findFunction(fns: readonly BfclFunction[], name: string): BfclFunction | undefined {
  return fns.find((f) => f.name === name);
}

/** Order-insensitive matching of parallel calls: greedy, in answer order, exact count (as BFCL does). */
export function checkParallelNoOrder(fns: readonly BfclFunction[], calls: readonly PyCall[], answers: readonly PossibleAnswer[], opts: CheckOptions = {}): CheckResult {
  if (calls.length !== answers.length) return bad('parallel_function_checker_no_order:wrong_count', 'Wrong number of functions.');
  const matched = new Set<number>();
  for (let i = 0; i < answers.length; i++) {
    const expectedName = Object.keys(answers[i])[0];
    const fn = findFunction(fns, expectedName);
    if (!fn) return bad('parallel_function_checker_no_order:no_description', `No description for function '${expectedName}'.`);
    const subErrors: string[] = [];
    let found = false;
    for (let j = 0; j < calls.length; j++) {
      if (matched.has(j)) continue;
      const r = checkSimpleCall(fn, calls[j], answers[i], opts);
      if (r.valid) {
        matched.add(j);
        found = true;
        break;
      }
      subErrors.push(`Model Result Index ${j}: ${r.errors.join(' ')}`);
    }
    if (!found) {
      const considered = calls.map((_, j) => j).filter((j) => !matched.has(j));
      return bad('parallel_function_checker_no_order:cannot_find_match',
        `Could not find a matching function among index [${considered.join(', ')}] of model output for index ${i} of possible answers.`, ...subErrors);
    }
  }
  return ok();
}

/** BFCL's category dispatch: parallel* -> no-order matching, multiple -> one call of the right function, simple -> one call. */
export function checkCategory(category: BfclCategory, fns: readonly BfclFunction[], calls: readonly PyCall[], answers: readonly PossibleAnswer[], opts: CheckOptions = {}): CheckResult {
  if (category.includes('parallel')) return checkParallelNoOrder(fns, calls, answers, opts);
  if (category.includes('multiple')) {
    if (calls.length !== answers.length) return bad('multiple_function_checker:wrong_count', 'Wrong number of functions.');
    const fn = findFunction(fns, Object.keys(answers[0])[0]);
    if (!fn) return bad('multiple_function_checker:no_description', `No description for function '${Object.keys(answers[0])[0]}'.`);
    return checkSimpleCall(fn, calls[0], answers[0], opts);
  }
  if (calls.length !== 1) return bad('simple_function_checker:wrong_count', 'Wrong number of functions.');
  return checkSimpleCall(fns[0], calls[0], answers[0], opts);
}

/** Category of a BFCL id or file name ('simple_python_12' -> 'simple'). */
export function categoryOf(idOrName: string): BfclCategory {
  if (idOrName.includes('parallel_multiple')) return 'parallel_multiple';
  if (idOrName.includes('parallel')) return 'parallel';
  if (idOrName.includes('multiple')) return 'multiple';
  return 'simple';
}

/** A decoded call in our ToolCall shape, converted to Python values (integral numbers become int). */
export function toPyCall(call: { name: string; arguments: unknown }): PyCall {
  const args = fromJs(call.arguments);
  return { name: call.name, args: isPyDict(args) ? args : {} };
}
