// Fuzzing the tool-set loaders: OpenAPI 3 documents (generated near-valid, with hostile names, bad $refs,
// cycles, odd parameter locations and broken schemas; and mutated text of a real spec) and JSON lists of tool
// definitions. The only exception allowed is OpenApiImportError (or the tool-set loader's own message) naming
// the file; everything else is an import problem with its location, and every tool that comes out has a
// parameter schema both argument checkers can run on any arguments without throwing.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { importOpenApi, OpenApiImportError } from '../../../src/tools/openapi.ts';
import { loadToolSet } from '../../../src/tools/tool-set.ts';
import { ArgumentValidator } from '../../../src/tools/validate-args.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import { mutated, namedOutcome, nastyString, RUNS, seeded } from './named-errors.ts';

const ROOM_SERVICE = readFileSync(new URL('../tools/fixtures/room-service.openapi.yaml', import.meta.url), 'utf8');

const ref = fc.constantFrom('#/components/schemas/Room', '#/components/schemas/Loop', '#/components/schemas/missing', '#/components/parameters/Date', '#/%zz', '#/components/schemas/Room/properties/name', 'other.yaml#/x', '#/', '#', '#/components/requestBodies/Body');
const jsonType = fc.constantFrom('string', 'integer', 'number', 'boolean', 'object', 'array', 'null', 'file', 'dict', 'float', 'any', 'int', 5, null);
const schema: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  s: fc.oneof(
    { depthSize: 'small' },
    fc.record({ $ref: ref }),
    fc.record({ type: jsonType, format: fc.constantFrom('date', 'binary', 'email', 'uuid', 'date-time', 'nonsense') }, { requiredKeys: [] }),
    fc.record({ type: fc.constant('object'), properties: fc.dictionary(nastyString(8), tie('s'), { maxKeys: 3 }), required: fc.oneof(fc.array(nastyString(8), { maxLength: 2 }), nastyString(4), fc.integer()) }, { requiredKeys: ['type'] }),
    fc.record({ type: fc.constant('array'), items: tie('s') }),
    fc.record({ allOf: fc.array(tie('s'), { maxLength: 3 }) }),
    fc.record({ anyOf: fc.oneof(fc.array(tie('s'), { maxLength: 2 }), nastyString(4)) }),
    fc.record({ type: fc.constant('string'), pattern: fc.constantFrom('^[a-z]+$', '(', '[', '\\', '(?<n>a)\\k<n>'), enum: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), nullable: fc.boolean(), readOnly: fc.boolean(), minimum: fc.oneof(fc.integer(), nastyString(3)) }, { requiredKeys: [] }),
    fc.jsonValue({ maxDepth: 2 }),
  ),
})).s;
const parameter = fc.oneof(
  fc.record({ name: fc.oneof(nastyString(10), fc.integer()), in: fc.constantFrom('path', 'query', 'header', 'cookie', 'body', 'formData', 7), required: fc.oneof(fc.boolean(), nastyString(3)), schema, description: nastyString(20), content: fc.dictionary(fc.constantFrom('application/json', 'text/plain'), fc.record({ schema }), { maxKeys: 1 }) }, { requiredKeys: [] }),
  fc.record({ $ref: ref }),
  fc.jsonValue({ maxDepth: 1 }),
);
const operation = fc.record(
  {
    operationId: fc.oneof(nastyString(16), fc.constantFrom('listRooms', 'getRoom', '<img src=x onerror=alert(1)>', '  ', 'a b/c')),
    summary: nastyString(30),
    description: fc.oneof(nastyString(30), fc.integer()),
    parameters: fc.oneof(fc.array(parameter, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })),
    requestBody: fc.oneof(
      fc.record({ $ref: ref }),
      fc.record({ required: fc.boolean(), content: fc.oneof(fc.dictionary(fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/xml', 'application/vnd+json'), fc.record({ schema }, { requiredKeys: [] }), { maxKeys: 2 }), nastyString(5)) }, { requiredKeys: [] }),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  },
  { requiredKeys: [] },
);
const pathItem = fc.oneof(
  fc.dictionary(fc.constantFrom('get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace', 'parameters', 'summary'), fc.oneof(operation, fc.array(parameter, { maxLength: 2 })), { maxKeys: 4 }),
  fc.record({ $ref: ref }),
  fc.jsonValue({ maxDepth: 1 }),
);
const document = fc.record(
  {
    openapi: fc.oneof(fc.constantFrom('3.0.3', '3.1.0', '3.0.0'), fc.constantFrom('2.0', 3, null, '4.0')),
    info: fc.oneof(fc.record({ title: fc.oneof(nastyString(20), fc.integer()) }), fc.jsonValue({ maxDepth: 1 })),
    paths: fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom('/rooms', '/rooms/{roomId}', '/a/{b}/{c}', '/', '/%zz', '/__proto__'), nastyString(10)), pathItem, { maxKeys: 4 }), fc.jsonValue({ maxDepth: 1 })),
    components: fc.record({
      schemas: fc.record({ Room: schema, Loop: fc.constant({ type: 'object', properties: { next: { $ref: '#/components/schemas/Loop' } } }) }),
      parameters: fc.record({ Date: parameter }),
      requestBodies: fc.record({ Body: fc.record({ content: fc.record({ 'application/json': fc.record({ schema }) }) }) }),
    }, { requiredKeys: [] }),
  },
  { requiredKeys: ['openapi', 'paths'] },
);

/** Every tool must carry a schema that both checkers run on arbitrary arguments without throwing. */
function checkTools(tools: ToolDefinition[], args: unknown[]): void {
  const names = new Set<string>();
  for (const t of tools) {
    expect(t.type).toBe('function');
    expect(typeof t.function.name).toBe('string');
    expect(names.has(t.function.name), `duplicate tool ${t.function.name}`).toBe(false);
    names.add(t.function.name);
  }
  for (const engine of ['ajv', 'interpreter'] as const) {
    const v = new ArgumentValidator(tools, engine);
    for (const t of tools) {
      for (const a of args) {
        const r = v.check({ name: t.function.name, arguments: a as Record<string, unknown> });
        for (const e of r.errors) expect(e.message.length).toBeGreaterThan(0);
      }
    }
  }
}
const someArgs = fc.array(fc.dictionary(fc.constantFrom('roomId', 'city', 'date', 'name', 'body', 'note', 'x'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }), { minLength: 1, maxLength: 3 });

describe('OpenAPI importer fuzz', () => {
  it('generated documents: a named error with the file, or tools plus located problems; the tools validate without throwing', () => {
    fc.assert(
      fc.property(document, fc.boolean(), someArgs, (doc, asYaml, args) => {
        const text = asYaml ? stringify(doc) : JSON.stringify(doc);
        const r = namedOutcome(() => importOpenApi(text, 'spec.yaml'), [OpenApiImportError], /^spec\.yaml\b/);
        if ('error' in r) return;
        for (const p of [...r.value.errors, ...r.value.warnings]) {
          expect(p.at.length).toBeGreaterThan(0);
          expect(p.message.length).toBeGreaterThan(0);
        }
        expect(r.value.bindings.map((b) => b.tool)).toEqual(r.value.tools.map((t) => t.function.name));
        checkTools(r.value.tools, args);
      }),
      seeded(1701),
    );
  });

  it('a real spec with its text mutated (YAML and JSON syntax broken anywhere): only named errors', () => {
    fc.assert(
      fc.property(mutated(ROOM_SERVICE, 6), someArgs, (text, args) => {
        const r = namedOutcome(() => importOpenApi(text, 'room-service.yaml'), [OpenApiImportError], /^room-service\.yaml\b/);
        if ('value' in r) checkTools(r.value.tools, args);
      }),
      seeded(1702, Math.ceil(RUNS / 2)), // a 6 KB YAML parse per case: half the runs keep this under 15 s
    );
  });
});

describe('tool-set loader fuzz', () => {
  const definition = fc.oneof(
    fc.record({ type: fc.constant('function'), function: fc.record({ name: fc.oneof(nastyString(12), fc.constantFrom('queryWeather', 'a.b-c', '__proto__')), description: fc.oneof(nastyString(30), fc.integer()), parameters: schema }, { requiredKeys: ['name'] }) }),
    fc.record({ name: nastyString(12), parameters: schema }, { requiredKeys: [] }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  it('JSON / YAML lists of definitions: an error naming the file, or tools plus problems with their index', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(definition, { maxLength: 5 }), fc.record({ tools: fc.array(definition, { maxLength: 5 }) }), fc.jsonValue({ maxDepth: 2 })), fc.boolean(), someArgs, (doc, asYaml, args) => {
        const text = asYaml ? stringify(doc) : JSON.stringify(doc);
        const r = namedOutcome(() => loadToolSet(text, 'tools.json'), [Error], /^tools\.json\b/);
        if ('error' in r) return;
        for (const e of r.value.errors) expect(e.at).toMatch(/^(\[\d+\]|paths|openapi|swagger)/);
        checkTools(r.value.tools, args);
      }),
      seeded(1703),
    );
  });
});
