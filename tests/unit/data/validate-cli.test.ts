// `npm run validate`: the terminal prints the report (line, field, message, kind) and the exit code says
// whether any file had a problem. Without --tools it checks structure and lists the tools the data calls;
// with --tools it checks every call against that set; --draft-tools writes a tool set drafted from the calls.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

    const bad = validate('tests/fixtures/data/sft_good.jsonl', 'tests/fixtures/data/sft_bad.jsonl', '--max-tokens', '90', '--tools', 'public/tools/enterprise_tools.json');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('sft: 12 records, 1 valid, 11 invalid');
    expect(bad.out).toContain('  line 2: JSON syntax error at column 137: trailing comma before \'}\' [json-syntax]');
    expect(bad.out).toContain('  line 5, output: unknown tool "bookFlight" (not in enterprise_tools.json) [unknown-tool]');
    expect(bad.out).toContain('  line 8: duplicate of line 1 [duplicate]');
    expect(bad.out).toContain('1 of 2 files clean');
  }, 60_000);

  it('gives one message for a file that is not JSONL, and names a missing file', () => {
    const r = validate('tests/fixtures/data/table.csv', 'no/such/file.jsonl');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/table\.csv: unknown kind: 0 records.*\n  file: this looks like a CSV/);
    expect(r.out).toContain('no/such/file.jsonl: no such file');
  }, 60_000);

  it('without --tools accepts the original pipeline\'s rows (queryWeather(location=...)) and lists the tools they call', () => {
    const r = validate('tests/fixtures/data/original_pipeline.jsonl');
    expect(r.code).toBe(0);
    expect(r.out).toContain('sft: 4 records, 4 valid, 0 invalid');
    expect(r.out).toContain('tools called (not checked: no --tools given): queryWeather (2 calls: location, date); bookMeetingRoom (1 call: room, attendees, hours); getLeaveBalance (1 call: employeeId)');
    // The same rows against the sample enterprise tools: their parameter names differ, and that is reported.
    const strict = validate('tests/fixtures/data/original_pipeline.jsonl', '--tools', 'public/tools/enterprise_tools.json');
    expect(strict.code).toBe(1);
    expect(strict.out).toContain('line 1, output: queryWeather: unexpected argument "location" [schema]');
  }, 60_000);

  it('--draft-tools writes a tool set drafted from the calls, which then checks the data it came from', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'draft-')), 'tools.json');
    const r = validate('tests/fixtures/data/original_pipeline.jsonl', '--draft-tools', out);
    expect(r.out).toContain(`drafted 3 tool definitions from the valid examples' calls into ${out}`);
    const draft = JSON.parse(readFileSync(out, 'utf8'));
    const weather = draft.find((t: { function: { name: string } }) => t.function.name === 'queryWeather');
    expect(weather.function.parameters).toEqual({
      type: 'object',
      properties: { location: { type: 'string', description: 'e.g. 北京, 上海' }, date: { type: 'string', format: 'date', description: 'e.g. 2025-04-25, 2025-04-26' } },
      required: ['location', 'date'],
    });
    // employeeId=10086 is a bare number in a call string: drafted as an integer.
    expect(draft.find((t: { function: { name: string } }) => t.function.name === 'getLeaveBalance').function.parameters.properties.employeeId.type).toBe('integer');
    const again = validate('tests/fixtures/data/original_pipeline.jsonl', '--tools', out);
    expect(again.code).toBe(0);
    expect(validate('tests/fixtures/data/sft_good.jsonl', '--tools', out).out).toMatch(/unknown tool "\w+" \(not in tools\.json\)/);
  }, 60_000);
});
