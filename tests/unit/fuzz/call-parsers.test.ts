// Fuzzing the two call readers: the call-string parser (`queryWeather(city=北京)`) and the model-output
// parser (Hermes <tool_call> blocks, {"tool_call": ...} JSON, call strings, plain text). Neither may throw;
// a rejection is a named error kind with an offset inside the text (and, for model output, its line and
// column); and what the printers write reads back as the same calls.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCallString, printCallString } from '../../../src/tools/call-string.ts';
import { parseModelOutput, type OutputErrorKind } from '../../../src/tools/parse-output.ts';
import type { ToolCall } from '../../../src/tools/types.ts';
import { mutated, nastyString, seeded } from './named-errors.ts';

const identifier = fc.stringMatching(/^[A-Za-z_$\u00C0-\u00FF][A-Za-z0-9_$.\-\u00C0-\u00FF]{0,10}$/).filter((s) => !s.includes('='));
const leaf = fc.oneof(nastyString(12), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0)), fc.boolean(), fc.constant(null));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(nastyString(6), tie('v'), { maxKeys: 3 })),
})).v;
const call: fc.Arbitrary<ToolCall> = fc.record({ name: identifier, arguments: fc.dictionary(identifier, value, { maxKeys: 4 }) });
const validCallText = fc.array(call, { minLength: 1, maxLength: 3 }).map(printCallString);

const OUTPUT_KINDS: OutputErrorKind[] = ['unclosed_tag', 'stray_closing_tag', 'invalid_json', 'call_not_object', 'missing_name', 'arguments_not_object', 'invalid_call_string'];

/** A model reply in one of the formats a model writes (well-formed), for mutation. */
const modelReply = fc.oneof(
  fc.array(call, { minLength: 1, maxLength: 3 }).map((cs) => cs.map((c) => `<tool_call>\n${JSON.stringify(c)}\n</tool_call>`).join('\n')),
  fc.tuple(nastyString(20), call).map(([t, c]) => `<think>${t.replace(/<\/think>/g, '')}</think>\n<tool_call>${JSON.stringify(c)}</tool_call>`),
  call.map((c) => JSON.stringify({ tool_call: { tool_name: c.name, parameters: c.arguments } })),
  fc.array(call, { minLength: 1, maxLength: 3 }).map((cs) => '[' + printCallString(cs).replace(/; /g, ', ') + ']'),
  validCallText,
  nastyString(60),
);

describe('call-string parser fuzz', () => {
  it('never throws on any text; a rejection has a message and an offset inside the text', () => {
    fc.assert(
      fc.property(fc.oneof(nastyString(80), validCallText.chain((t) => mutated(t, 3))), (text) => {
        const r = parseCallString(text);
        if ('error' in r) {
          expect(r.error.length).toBeGreaterThan(0);
          expect(r.position).toBeGreaterThanOrEqual(0);
          expect(r.position).toBeLessThanOrEqual(text.length);
        } else {
          expect(r.calls.length).toBeGreaterThan(0);
          for (const c of r.calls) expect(typeof c.name).toBe('string');
        }
      }),
      seeded(1601),
    );
  });

  it('parse(print(calls)) gives the same calls, hostile strings included', () => {
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 3 }), (calls) => {
        const r = parseCallString(printCallString(calls));
        expect(r).toEqual({ calls: JSON.parse(JSON.stringify(calls)) });
      }),
      seeded(1602),
    );
  });
});

describe('model-output parser fuzz', () => {
  it('never throws; an error is a named kind whose offset is in the text and whose message gives line and column', () => {
    fc.assert(
      fc.property(modelReply.chain((t) => fc.oneof(fc.constant(t), mutated(t, 3))), (text) => {
        const r = parseModelOutput(text);
        if (r.error) {
          expect(OUTPUT_KINDS).toContain(r.error.kind);
          expect(r.error.offset).toBeGreaterThanOrEqual(0);
          expect(r.error.offset).toBeLessThanOrEqual(text.length);
          expect(r.error.message).toMatch(/\(at line \d+, column \d+\)$/);
          expect(r.calls).toEqual([]);
        } else {
          for (const c of r.calls) {
            expect(typeof c.name).toBe('string');
            expect(c.arguments !== null && typeof c.arguments === 'object' && !Array.isArray(c.arguments)).toBe(true);
          }
        }
      }),
      seeded(1603),
    );
  });

  it('reads back the calls of every well-formed Hermes reply', () => {
    fc.assert(
      fc.property(fc.array(call, { minLength: 1, maxLength: 3 }), nastyString(20), (calls, prose) => {
        const clean = prose.replace(/<\/?(tool_call|think)>/g, '');
        const text = `${clean}\n` + calls.map((c) => `<tool_call>\n${JSON.stringify(c)}\n</tool_call>`).join('\n');
        const r = parseModelOutput(text);
        expect(r.error).toBeUndefined();
        expect(r.calls).toEqual(JSON.parse(JSON.stringify(calls)));
      }),
      seeded(1604),
    );
  });
});
