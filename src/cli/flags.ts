// Command-line flags for the npm scripts: each command declares its flags in one table (name -> kind) and this
// one parser reads argv against it, so every script refuses an unknown or misspelt option, a missing value and a
// value of the wrong kind the same way, with a message that names the flag and shows the usage.

/** string: `--out DIR`; number / int: `--limit 5`; boolean: `--resume` (no value); repeated: `--set a=1 --set b=2`. */
export type FlagKind = 'string' | 'number' | 'int' | 'boolean' | 'repeated';
export type FlagTable = Readonly<Record<string, FlagKind>>;

/** What a table parses to: booleans default to false and repeated flags to [], the rest to undefined when absent. */
export type Flags<T extends FlagTable> = {
  [K in keyof T]: T[K] extends 'boolean' ? boolean
    : T[K] extends 'repeated' ? string[]
    : T[K] extends 'number' | 'int' ? number | undefined
    : string | undefined;
};

export class FlagError extends Error {}

export interface ParsedFlags<T extends FlagTable> {
  flags: Flags<T>;
  /** The arguments that are not options (only where the command allows them). */
  positional: string[];
  /** The flags given on the command line (to tell an explicit default from an absent flag). */
  given: Set<keyof T & string>;
}

/**
 * Reads `argv` (without node and the script) against `table`. `--name value` and `--name=value` both work.
 * Throws FlagError `<command>: <what> ...` followed by `usage`.
 */
export function parseFlags<T extends FlagTable>(
  command: string,
  argv: readonly string[],
  table: T,
  usage: string,
  options: { positional?: boolean } = {},
): ParsedFlags<T> {
  const fail = (what: string): never => {
    throw new FlagError(`${command}: ${what}\n${usage}`);
  };
  const flags: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(table)) flags[name] = kind === 'boolean' ? false : kind === 'repeated' ? [] : undefined;
  const positional: string[] = [];
  const given = new Set<keyof T & string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      if (!options.positional) fail(`unexpected argument "${arg}" (options start with --)`);
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = Object.hasOwn(table, name) ? table[name] : undefined;
    if (!kind) fail(`unknown option --${name}`);
    given.add(name as keyof T & string);
    if (kind === 'boolean') {
      if (eq >= 0) fail(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) fail(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (kind === 'repeated') (flags[name] as string[]).push(value);
    else if (kind === 'number' || kind === 'int') {
      const n = value.trim() === '' ? NaN : Number(value);
      if (!Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) fail(`--${name} needs ${kind === 'int' ? 'an integer' : 'a number'}, got "${value}"`);
      flags[name] = n;
    } else flags[name] = value;
  }
  return { flags: flags as Flags<T>, positional, given };
}
