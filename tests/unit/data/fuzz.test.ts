// Nothing throws past the validator, and no line is lost: on random input every non-blank record is
// either kept as an example or listed as a problem on its own line.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';

const field = fc.constantFrom('instruction', 'input', 'output', 'prompt', 'chosen', 'rejected', 'response', 'messages', 'tools', 'role', 'content', 'tool_calls');
const value = fc.oneof(
  fc.string(),
  fc.constantFrom('queryWeather(city=北京)', '{"tool_call": {"tool_name": "queryWeather", "parameters": {"city": "上海"}}}', 'getLeaveBalance(employeeId=E1001', '[{"role":"user","content":"hi"}]'),
  fc.jsonValue({ maxDepth: 3 }),
);
const recordLine = fc.oneof(
  fc.dictionary(field, value, { maxKeys: 4 }).map((o) => JSON.stringify(o)),
  fc.string({ maxLength: 40 }),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
);

describe('validator fuzz', () => {
  it('never throws and accounts for every record', () => {
    fc.assert(
      fc.property(fc.array(recordLine, { minLength: 1, maxLength: 12 }), fc.boolean(), (lines, crlf) => {
        const text = '{"prompt": "first line decides the layout"}\n' + lines.map((l) => l.replace(/[\r\n]/g, ' ')).join(crlf ? '\r\n' : '\n');
        const { report, examples } = readDatasetText(text, { tools: ENTERPRISE_TOOLS });
        const kept = new Set(examples.map((e) => e.line));
        const bad = new Set(report.badLines);
        const nonBlank = text.split('\n').map((l, i) => [l, i + 1] as const).filter(([l]) => l.trim() !== '');
        for (const [, n] of nonBlank) expect(kept.has(n) !== bad.has(n), `line ${n}`).toBe(true);
        expect(report.records).toBe(nonBlank.length);
        expect(report.valid + report.invalid).toBe(report.records);
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('never throws on random JSON-array text either', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), fc.string()), { maxLength: 6 }), (parts) => {
        const { report } = readDatasetText('[' + parts.join(',\n'));
        expect(report.valid + report.invalid).toBe(report.records);
      }),
      { numRuns: 300, seed: 43 },
    );
  });
});
