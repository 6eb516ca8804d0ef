// Argument validation: JSON Schema rules through ajv, and BFCL's type names mapped onto JSON Schema.

import { describe, expect, it } from 'vitest';
import { ArgumentValidator, toJsonSchema, validateCall } from '../../../src/tools/validate-args.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';

const v = new ArgumentValidator(ENTERPRISE_TOOLS);

describe('enterprise tool set', () => {
  it('has at least 12 well-formed tools with camelCase names', () => {
    expect(ENTERPRISE_TOOLS.length).toBeGreaterThanOrEqual(12);
    for (const t of ENTERPRISE_TOOLS) {
      expect(t.type).toBe('function');
      expect(t.function.name).toMatch(/^[a-z][a-zA-Z]+$/);
      expect(t.function.parameters.type).toBe('object');
    }
    expect(ENTERPRISE_TOOLS.map((t) => t.function.name)).toContain('queryWeather');
  });
});

describe('ArgumentValidator', () => {
  it('accepts a valid call', () => {
    const r = v.check({ name: 'submitLeaveRequest', arguments: { employeeId: 'E1001', leaveType: 'annual', startDate: '2025-06-10', endDate: '2025-06-12' } });
    expect(r).toEqual({ valid: true, errors: [] });
  });
  it('names a missing required argument', () => {
    const r = v.check({ name: 'submitLeaveRequest', arguments: { employeeId: 'E1001', leaveType: 'annual', startDate: '2025-06-10' } });
    expect(r.valid).toBe(false);
    expect(r.errors.map((e) => e.message)).toEqual(['submitLeaveRequest: missing required argument "endDate"']);
  });
  it('rejects a bad enum, a bad date format, a wrong type and an extra argument', () => {
    const r = v.check({ name: 'submitLeaveRequest', arguments: { employeeId: 'E1001', leaveType: 'vacation', startDate: 'next monday', endDate: 20250612, mood: 'happy' } });
    const msgs = r.errors.map((e) => e.message).join('\n');
    expect(msgs).toContain('argument "leaveType" must be one of ["annual","sick","personal"], got "vacation"');
    expect(msgs).toContain('argument "startDate" must match format "date", got "next monday"');
    expect(msgs).toContain('argument "endDate" must be string, got 20250612');
    expect(msgs).toContain('unexpected argument "mood"');
  });
  it('reports an unknown tool', () => {
    expect(v.check({ name: 'launchRocket', arguments: {} }).errors[0].kind).toBe('unknown_tool');
  });
});

describe('BFCL type mapping', () => {
  const bfcl: ToolDefinition = {
    type: 'function',
    function: {
      name: 'f',
      parameters: {
        type: 'dict',
        properties: {
          ratio: { type: 'float' }, point: { type: 'tuple', items: { type: 'integer' } },
          opts: { type: 'dict', properties: { k: { type: 'string' } } }, anything: { type: 'any' },
          flag: { type: 'boolean', optional: true },
        },
        required: ['ratio'],
      },
    },
  };
  it('maps dict, float, tuple and any', () => {
    const s = toJsonSchema(bfcl.function.parameters) as any;
    expect(s.type).toBe('object');
    expect(s.properties.ratio.type).toBe('number');
    expect(s.properties.point).toEqual({ type: 'array', items: { type: 'integer' } });
    expect(s.properties.opts.type).toBe('object');
    expect(s.properties.anything).toEqual({});
    expect(s.properties.flag).toEqual({ type: 'boolean' });
  });
  it('validates with the mapped schema', () => {
    expect(validateCall({ name: 'f', arguments: { ratio: 2, point: [1, 2], opts: { k: 'x' }, anything: [1, 'a'] } }, [bfcl]).valid).toBe(true);
    expect(validateCall({ name: 'f', arguments: { ratio: 0.5, anything: null } }, [bfcl]).valid).toBe(true);
    expect(validateCall({ name: 'f', arguments: { ratio: '0.5' } }, [bfcl]).valid).toBe(false);
    expect(validateCall({ name: 'f', arguments: { ratio: 1, point: [1.5] } }, [bfcl]).valid).toBe(false);
    expect(validateCall({ name: 'f', arguments: { ratio: 1, opts: [] } }, [bfcl]).valid).toBe(false);
  });
});
