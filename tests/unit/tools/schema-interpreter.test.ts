// The CSP-safe schema interpreter against ajv: same verdict on every call of a large generated corpus
// (the enterprise tools, the OpenAPI fixture, all BFCL functions), same messages on the enterprise tools.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ArgumentValidator } from '../../../src/tools/validate-args.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { importOpenApi } from '../../../src/tools/openapi.ts';
import { interpretSchema } from '../../../src/tools/schema-interpreter.ts';
import type { ToolCall, ToolDefinition } from '../../../src/tools/types.ts';
import { Rng } from '../../../src/util/rng.ts';

const here = dirname(fileURLToPath(import.meta.url));

// Values that hit each keyword: types, formats (valid and impossible dates), patterns, enums, limits.
const POOL: unknown[] = [
  'E1001', 'E12', 'BJ-301', 'ORD-250001', 'ORD-1', '2025-06-10', '2025-02-30', '2025-6-1', '10:00', '24:00', '9am',
  'annual', 'vacation', 'celsius', 'CNY', 'usd', 'projector', '', 'x'.repeat(90), 'a@b.co', 'not-an-email',
  0, 1, -1, 2.5, 101, 1e21, true, false, null, [], ['projector'], ['projector', 'projector'], ['E1001', 'E9'], [1, 2], {}, { employeeId: 'E1001' },
];

function argsFor(tool: ToolDefinition, rng: Rng): Record<string, unknown> {
  const props = Object.keys((tool.function.parameters.properties ?? {}) as object);
  const args: Record<string, unknown> = {};
  for (const p of props) if (rng.next() < 0.7) args[p] = rng.pick(POOL);
  if (rng.next() < 0.15) args.unexpectedExtra = 1;
  return args;
}

function corpus(tools: readonly ToolDefinition[], perTool: number, seed: number): ToolCall[] {
  const rng = new Rng(seed);
  return tools.flatMap((t) => Array.from({ length: perTool }, () => ({ name: t.function.name, arguments: argsFor(t, rng) })));
}

function compare(tools: readonly ToolDefinition[], calls: ToolCall[], messages: boolean) {
  const ajv = new ArgumentValidator(tools, 'ajv');
  const interp = new ArgumentValidator(tools, 'interpreter');
  const diffs: string[] = [];
  let valid = 0;
  for (const c of calls) {
    const a = ajv.check(c);
    const b = interp.check(c);
    if (a.valid) valid++;
    const am = a.errors.map((e) => e.message).sort();
    const bm = b.errors.map((e) => e.message).sort();
    if (a.valid !== b.valid || (messages && JSON.stringify(am) !== JSON.stringify(bm))) diffs.push(`${JSON.stringify(c)}\n ajv: ${am.join(' | ')}\n int: ${bm.join(' | ')}`);
  }
  return { diffs, valid };
}

describe('schema interpreter vs ajv', () => {
  it('enterprise tools: same verdicts and messages', () => {
    const { diffs, valid } = compare(ENTERPRISE_TOOLS, corpus(ENTERPRISE_TOOLS, 150, 11), true);
    expect(diffs.slice(0, 5)).toEqual([]);
    expect(valid).toBeGreaterThan(0); // the corpus holds valid calls too, not only rejections
  });

  it('OpenAPI-imported tools: same verdicts', () => {
    const spec = importOpenApi(readFileSync(resolve(here, 'fixtures/room-service.openapi.yaml'), 'utf8'));
    const { diffs } = compare(spec.tools, corpus(spec.tools, 200, 12), false);
    expect(diffs.slice(0, 5)).toEqual([]);
  });

  it('BFCL functions (dict/float/tuple/any mapped): same verdicts', () => {
    const dir = resolve(here, '../../../../shared/bfcl');
    const tools: ToolDefinition[] = [];
    const seen = new Set<string>();
    for (const cat of ['simple_python', 'multiple', 'parallel', 'parallel_multiple']) {
      for (const line of readFileSync(`${dir}/BFCL_v4_${cat}.json`, 'utf8').split('\n').filter(Boolean)) {
        for (const f of JSON.parse(line).function) {
          if (seen.has(f.name)) continue;
          seen.add(f.name);
          tools.push({ type: 'function', function: { name: f.name, parameters: f.parameters } });
        }
      }
    }
    // Every 4th distinct function keeps ajv's compile time small; all four categories still contribute.
    const sample = tools.filter((_, i) => i % 4 === 0);
    const { diffs } = compare(sample, corpus(sample, 12, 13), false);
    expect(diffs.slice(0, 5)).toEqual([]);
  });

  it('covers composite keywords', () => {
    const s = { anyOf: [{ type: 'string', format: 'date' }, { type: 'integer', minimum: 0 }], not: { const: 7 } };
    expect(interpretSchema(s, '2025-01-31')).toEqual([]);
    expect(interpretSchema(s, 3)).toEqual([]);
    expect(interpretSchema(s, 7).map((e) => e.keyword)).toEqual(['not']);
    expect(interpretSchema(s, -1).map((e) => e.keyword)).toEqual(['type', 'minimum', 'anyOf']);
    expect(interpretSchema({ oneOf: [{ type: 'number' }, { type: 'integer' }] }, 2).map((e) => e.keyword)).toEqual(['oneOf']);
    expect(interpretSchema({ type: 'array', items: { type: 'string' }, uniqueItems: true }, ['a', 'a', 3]).map((e) => e.keyword).sort()).toEqual(['type', 'uniqueItems']);
  });
});
