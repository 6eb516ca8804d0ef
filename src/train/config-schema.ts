// Typed config tables for trainers: each key's type, bounds, default and meaning, validated up front.
// One table per trainer (sft, rm, ppo) drives YAML parsing, the studio's form and the error messages.
import { LineCounter, parseDocument, stringify } from 'yaml';

export type FieldSpec =
  | { kind: 'int'; default: number; min?: number; max?: number; doc: string }
  | { kind: 'number'; default: number; min?: number; max?: number; exclusiveMin?: boolean; doc: string }
  | { kind: 'string'; default: string; allowEmpty?: boolean; doc: string }
  | { kind: 'bool'; default: boolean; doc: string }
  | { kind: 'enum'; default: string; values: readonly string[]; doc: string }
  | { kind: 'string-list'; default: string[]; values?: readonly string[]; minItems?: number; doc: string }
  | { kind: 'section'; fields: ConfigTable; doc: string };

export type ConfigTable = { readonly [key: string]: FieldSpec };

/** The plain value type a table describes (sections nest; an enum is the union of its values). */
export type ConfigOf<T extends ConfigTable> = {
  -readonly [K in keyof T]: T[K] extends { kind: 'section'; fields: infer F extends ConfigTable }
    ? ConfigOf<F>
    : T[K] extends { kind: 'int' | 'number' }
      ? number
      : T[K] extends { kind: 'bool' }
        ? boolean
        : T[K] extends { kind: 'string-list' }
          ? string[]
          : T[K] extends { kind: 'enum'; values: readonly (infer V extends string)[] }
            ? V
            : string;
};

export interface ConfigProblem {
  /** Dotted key path, e.g. "lora.r". */
  key: string;
  /** 1-based line in the YAML source, when the problem comes from a file. */
  line?: number;
  message: string;
}

const MAX_PROBLEMS_IN_MESSAGE = 20;

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(public readonly source: string, public readonly problems: ConfigProblem[]) {
    // The message lists the first problems (a pasted file of garbage must not make a megabyte of text); `problems` has all.
    const shown = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE);
    super(
      `${source}: ${problems.length} config problem${problems.length === 1 ? '' : 's'}:\n` +
        shown.map((p) => `  - ${p.key}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`).join('\n') +
        (problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : ''),
    );
  }
}

export function defaultsOf<T extends ConfigTable>(table: T): ConfigOf<T> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    out[key] = spec.kind === 'section' ? defaultsOf(spec.fields) : structuredClone(spec.default);
  }
  return out as ConfigOf<T>;
}

const describe = (v: unknown) =>
  Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v === 'object' ? 'a mapping' : typeof v === 'number' ? `number ${v}` : `${typeof v} ${JSON.stringify(v)}`;

/** A dotted key path as the user wrote it; an empty key shows as "". */
const keyName = (path: string[]) => path.map((k) => (k === '' ? '""' : k)).join('.');

/**
 * Checks `raw` (parsed YAML/JSON or a form's values) against `table`; missing keys take defaults.
 * Every problem is collected, not just the first, so the user fixes the file in one go.
 */
export function validateConfig<T extends ConfigTable>(
  table: T,
  raw: unknown,
  source = 'config',
  lineOf: (path: string[]) => number | undefined = () => undefined,
): ConfigOf<T> {
  const problems: ConfigProblem[] = [];
  const result = check(table, raw, [], problems, lineOf);
  if (problems.length) throw new ConfigError(source, problems);
  return result as ConfigOf<T>;
}

function check(table: ConfigTable, raw: unknown, path: string[], problems: ConfigProblem[], lineOf: (p: string[]) => number | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const here = keyName(path) || '(top level)';
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.push({ key: here, line: lineOf(path), message: `expected a mapping of keys, got ${describe(raw)}` });
    return defaultsOf(table);
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    // Own keys only: `constructor` or `toString` in a file are unknown keys, not Object.prototype's.
    if (!Object.hasOwn(table, key)) {
      const near = closest(key, Object.keys(table));
      problems.push({
        key: keyName([...path, key]),
        line: lineOf([...path, key]),
        message: near ? `unknown key; did you mean "${near}"?` : `unknown key. Known keys: ${Object.keys(table).join(', ')}`,
      });
    }
  }
  for (const [key, spec] of Object.entries(table)) {
    const p = [...path, key];
    const name = keyName(p);
    const v = obj[key];
    const bad = (message: string) => problems.push({ key: name, line: lineOf(p), message });
    if (spec.kind === 'section') {
      out[key] = check(spec.fields, v, p, problems, lineOf);
      continue;
    }
    if (v === undefined || v === null) {
      out[key] = structuredClone(spec.default);
      continue;
    }
    switch (spec.kind) {
      case 'int':
      case 'number': {
        // YAML reads 5e-5 as a number but "5e-5" in quotes as a string: accept numeric strings, say nothing.
        const n = typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isFinite(n)) { bad(`expected a number (${spec.doc}), got ${describe(v)}`); break; }
        if (spec.kind === 'int' && !Number.isInteger(n)) { bad(`expected a whole number, got ${n}`); break; }
        const exclusive = spec.kind === 'number' && spec.exclusiveMin;
        if (spec.min !== undefined && (exclusive ? n <= spec.min : n < spec.min)) { bad(`must be ${exclusive ? '>' : '>='} ${spec.min}, got ${n} (${spec.doc})`); break; }
        if (spec.max !== undefined && n > spec.max) { bad(`must be <= ${spec.max}, got ${n} (${spec.doc})`); break; }
        out[key] = n;
        break;
      }
      case 'string':
        if (typeof v !== 'string') bad(`expected text (${spec.doc}), got ${describe(v)}`);
        else if (!spec.allowEmpty && v.trim() === '') bad(`must not be empty (${spec.doc})`);
        else out[key] = v;
        break;
      case 'bool':
        if (typeof v !== 'boolean') bad(`expected true or false, got ${describe(v)}`);
        else out[key] = v;
        break;
      case 'enum':
        if (typeof v !== 'string' || !spec.values.includes(v)) bad(`must be one of ${spec.values.join(', ')}; got ${describe(v)}`);
        else out[key] = v;
        break;
      case 'string-list': {
        const list = typeof v === 'string' ? [v] : v;
        if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) { bad(`expected a list of text values, got ${describe(v)}`); break; }
        const wrong = spec.values ? list.filter((x) => !spec.values!.includes(x)) : [];
        if (wrong.length) { bad(`unknown value${wrong.length > 1 ? 's' : ''} ${wrong.join(', ')}; allowed: ${spec.values!.join(', ')}`); break; }
        if (spec.minItems !== undefined && list.length < spec.minItems) { bad(`needs at least ${spec.minItems} item${spec.minItems > 1 ? 's' : ''}`); break; }
        out[key] = [...list];
        break;
      }
    }
  }
  return out;
}

/** Parses YAML text and validates it; YAML syntax errors and config problems both name the line. */
export function parseConfigYaml<T extends ConfigTable>(table: T, text: string, source = 'config.yaml'): ConfigOf<T> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length) {
    throw new ConfigError(
      source,
      doc.errors.map((e) => ({ key: '(yaml syntax)', line: lineCounter.linePos(Math.min(e.pos[0], Math.max(0, text.length - 1))).line, message: e.message.split('\n')[0] })),
    );
  }
  const lineOf = (path: string[]) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const keyNode = path.length ? (doc.getIn(path.slice(0, -1), true) as { items?: Array<{ key: { value: unknown; range?: number[] } }> } | undefined) : undefined;
    const keyItem = keyNode?.items?.find((it) => it.key?.value === path[path.length - 1]);
    const offset = keyItem?.key?.range?.[0] ?? node?.range?.[0];
    return offset === undefined ? undefined : lineCounter.linePos(offset).line;
  };
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    // Aliases that resolve to nothing, or expand without bound (a "billion laughs" file), fail only here.
    throw new ConfigError(source, [{ key: '(yaml syntax)', message: (e as Error).message.split('\n')[0] }]);
  }
  return validateConfig(table, raw, source, lineOf);
}

export function configToYaml<T extends ConfigTable>(table: T, config: ConfigOf<T>, header?: string): string {
  const body = stringify(config, { lineWidth: 0 });
  return header ? `${header.split('\n').map((l) => `# ${l}`).join('\n')}\n${body}` : body;
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestDist) { bestDist = d; best = o; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/** A trainer's config: its table and its rules across keys, validated in one place for form, YAML and CLI alike. */
export interface TrainerConfigSpec<T extends ConfigTable> {
  table: T;
  defaults(): ConfigOf<T>;
  validate(raw: unknown, source?: string): ConfigOf<T>;
  parseYaml(text: string, source?: string): ConfigOf<T>;
}

export function trainerConfig<T extends ConfigTable>(table: T, crossChecks: (c: ConfigOf<T>) => ConfigProblem[]): TrainerConfigSpec<T> {
  const checked = (c: ConfigOf<T>, source: string) => {
    const problems = crossChecks(c);
    if (problems.length) throw new ConfigError(source, problems);
    return c;
  };
  return {
    table,
    defaults: () => defaultsOf(table),
    validate: (raw, source = 'config') => checked(validateConfig(table, raw, source), source),
    parseYaml: (text, source = 'config.yaml') => checked(parseConfigYaml(table, text, source), source),
  };
}
