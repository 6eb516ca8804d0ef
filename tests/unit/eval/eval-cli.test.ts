// `npm run eval` end to end (a real process): BFCL mode writes {summary, cases: [{id, valid, errors}]},
// gold mode prints the metric table and writes the JSON report.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'eval-cli-'));
const run = (args: string[]) => execFileSync('npx', ['tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/eval.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('npm run eval', () => {
  it('scores BFCL predictions (decoded calls and raw text) and the irrelevance category', () => {
    const preds = [
      { id: 'simple_python_0', calls: [{ name: 'calculate_triangle_area', arguments: { base: 10, height: 5, unit: 'units' } }] },
      { id: 'simple_python_1', output: '<tool_call>\n{"name": "math.factorial", "arguments": {"number": 5.0}}\n</tool_call>' },
      { id: 'simple_python_2', output: '[math.hypot(x=4, y=5)]' },
      { id: 'irrelevance_0', output: 'I cannot help with that using these tools.' },
      { id: 'irrelevance_1', calls: [{ name: 'f', arguments: {} }] },
    ];
    writeFileSync(join(dir, 'p.jsonl'), preds.map((p) => JSON.stringify(p)).join('\n'));
    const out = run(['--bfcl', '../shared/bfcl', '--category', 'simple_python,irrelevance', '--pred', join(dir, 'p.jsonl'), '--report', join(dir, 'bfcl.json')]);
    expect(out).toMatch(/simple\s+2\/400 = 0\.50%\s+\(missing 397, undecodable 0\)/);
    const report = JSON.parse(readFileSync(join(dir, 'bfcl.json'), 'utf8'));
    const byId = new Map(report.cases.map((c: { id: string }) => [c.id, c]));
    expect(byId.get('simple_python_0')).toEqual({ id: 'simple_python_0', valid: true, errors: [] });
    // 5.0 is a float where BFCL wants an integer: its own checker rejects it too.
    expect(byId.get('simple_python_1')).toMatchObject({ valid: false, errors: [expect.stringContaining("Incorrect type for parameter 'number'. Expected type integer, got float")] });
    expect(byId.get('simple_python_2')).toMatchObject({ valid: true });
    expect(byId.get('irrelevance_0')).toMatchObject({ valid: true });
    expect(byId.get('irrelevance_1')).toMatchObject({ valid: false });
    expect(report.summary.map((s: { category: string }) => s.category)).toEqual(['simple', 'irrelevance']);
  });

  it('scores gold against predictions, prints the table and writes the report', () => {
    writeFileSync(join(dir, 'g.jsonl'), JSON.stringify({ id: 'a', calls: [{ name: 'queryWeather', arguments: { city: 'Beijing' } }] }));
    writeFileSync(join(dir, 'q.jsonl'), JSON.stringify({ id: 'a', output: 'queryWeather(city=beijing)' }));
    const out = run(['--gold', join(dir, 'g.jsonl'), '--pred', join(dir, 'q.jsonl'), '--report', join(dir, 'r.json')]);
    expect(out).toMatch(/Tool-level accuracy\s+100\.0%/);
    expect(out).toMatch(/Exact-argument match\s+0\.0%/);
    expect(JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')).metrics.executionSuccess).toBe(1);
  });
});
