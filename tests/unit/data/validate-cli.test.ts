// `npm run validate`: the terminal prints the report (line, field, message, kind) and the exit code says
// whether any file had a problem.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

function validate(...args: string[]) {
  const r = spawnSync('npx', ['tsx', 'src/cli/validate.ts', ...args], { encoding: 'utf8', cwd: new URL('../../..', import.meta.url).pathname });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('validate CLI', () => {
  it('exits 0 on clean files and 1 when a file has problems, listing them by line', () => {
    const clean = validate('tests/fixtures/data/sft_good.jsonl', 'tests/fixtures/data/rm_good.jsonl');
    expect(clean.out).toContain('tests/fixtures/data/sft_good.jsonl: sft: 5 records, 5 valid, 0 invalid');
    expect(clean.code).toBe(0);

    const bad = validate('tests/fixtures/data/sft_good.jsonl', 'tests/fixtures/data/sft_bad.jsonl', '--max-tokens', '90');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('sft: 12 records, 1 valid, 11 invalid');
    expect(bad.out).toContain('  line 2: JSON syntax error at column 137: trailing comma before \'}\' [json-syntax]');
    expect(bad.out).toContain('  line 5, output: unknown tool "bookFlight" (not in the active tool set) [unknown-tool]');
    expect(bad.out).toContain('  line 8: duplicate of line 1 [duplicate]');
    expect(bad.out).toContain('1 of 2 files clean');
  }, 60_000);

  it('gives one message for a file that is not JSONL, and names a missing file', () => {
    const r = validate('tests/fixtures/data/table.csv', 'no/such/file.jsonl');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/table\.csv: unknown kind: 0 records.*\n  file: this looks like a CSV/);
    expect(r.out).toContain('no/such/file.jsonl: no such file');
  }, 60_000);
});
