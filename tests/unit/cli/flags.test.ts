// The npm scripts' one flag parser (src/cli/flags.ts): kinds, defaults, both value spellings, and the errors that
// name the flag (a misspelt option used to be taken silently by some scripts).
import { describe, expect, it } from 'vitest';
import { FlagError, parseFlags } from '../../../src/cli/flags.ts';

const TABLE = { config: 'string', limit: 'int', lr: 'number', resume: 'boolean', set: 'repeated' } as const;
const USAGE = 'usage: npm run x -- [--config F] [--limit N] [--lr X] [--resume] [--set k=v ...]';
const parse = (argv: string[], positional = false) => parseFlags('x', argv, TABLE, USAGE, { positional });

describe('parseFlags', () => {
  it('reads every kind, with defaults for what is absent', () => {
    const none = parse([]);
    expect(none.flags).toEqual({ config: undefined, limit: undefined, lr: undefined, resume: false, set: [] });
    expect([...none.given]).toEqual([]);
    const all = parse(['--config', 'a.yaml', '--limit', '7', '--lr=-3e-4', '--resume', '--set', 'a=1', '--set=b=c=2']);
    expect(all.flags).toEqual({ config: 'a.yaml', limit: 7, lr: -3e-4, resume: true, set: ['a=1', 'b=c=2'] });
    expect([...all.given].sort()).toEqual(['config', 'limit', 'lr', 'resume', 'set']);
  });

  it('the last of a repeated single-value flag wins', () => {
    expect(parse(['--limit', '1', '--limit', '2']).flags.limit).toBe(2);
  });

  it('keeps positional arguments only where the command takes them', () => {
    expect(parse(['a.jsonl', '--limit', '3', 'b.jsonl'], true).positional).toEqual(['a.jsonl', 'b.jsonl']);
    expect(() => parse(['a.jsonl'])).toThrow(/^x: unexpected argument "a.jsonl"/);
  });

  it('names the flag in every error and shows the usage', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--limt', '3'], /^x: unknown option --limt\n/],
      [['--config'], /^x: --config needs a value\n/],
      [['--config', '--resume'], /^x: --config needs a value\n/],
      [['--limit', '2.5'], /^x: --limit needs an integer, got "2.5"\n/],
      [['--limit', ''], /^x: --limit needs an integer, got ""\n/],
      [['--lr', 'fast'], /^x: --lr needs a number, got "fast"\n/],
      [['--resume=yes'], /^x: --resume takes no value\n/],
      [['--toString', '1'], /^x: unknown option --toString\n/],
    ];
    for (const [argv, message] of cases) {
      let error: unknown;
      try {
        parse(argv);
      } catch (e) {
        error = e;
      }
      expect(error, argv.join(' ')).toBeInstanceOf(FlagError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message.endsWith(USAGE)).toBe(true);
    }
  });
});
