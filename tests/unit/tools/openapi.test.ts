// OpenAPI 3.x import of a real-world-shaped spec: operations to tools, $refs inlined, path/query/body
// parameters joined, and a clear located error for each operation that cannot be mapped.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml, parse as parseYaml } from 'yaml';
import { importOpenApi, OpenApiImportError } from '../../../src/tools/openapi.ts';
import { loadToolSet } from '../../../src/tools/tool-set.ts';
import { ArgumentValidator } from '../../../src/tools/validate-args.ts';

const yamlText = readFileSync(new URL('./fixtures/room-service.openapi.yaml', import.meta.url), 'utf8');
const r = importOpenApi(yamlText, 'room-service.yaml');
const tool = (name: string) => r.tools.find((t) => t.function.name === name)!.function;

describe('importOpenApi', () => {
  it('maps every mappable operation to a tool, named by operationId or method + path', () => {
    expect(r.title).toBe('Room Service');
    expect(r.tools.map((t) => t.function.name)).toEqual([
      'listRooms', 'getRoom', 'updateRoom', 'postRoomsByRoomIdBookings', 'cancelBooking', 'setRoomTags',
    ]);
    expect(tool('listRooms').description).toBe('List meeting rooms — Filter by city, capacity and free date.');
    expect(tool('cancelBooking').description).toBe('DELETE /bookings/{bookingId}');
  });

  it('joins query parameters (incl. $ref parameters) and drops headers with a warning', () => {
    const p = tool('listRooms').parameters as any;
    expect(Object.keys(p.properties)).toEqual(['city', 'minCapacity', 'date', 'pageSize']);
    expect(p.required).toEqual(['date']);
    expect(p.properties.city).toEqual({ type: 'string', enum: ['Beijing', 'Shanghai', 'Shenzhen', 'Hangzhou'], description: 'Office city.' });
    expect(p.properties.date).toMatchObject({ type: 'string', format: 'date' });
    expect(r.warnings).toContainEqual({ at: 'paths./rooms.get.parameters[4]', message: 'header parameter "X-Request-Id" left out: transport detail, not a tool argument' });
  });

  it('joins path-level, query and body parameters, with $ref bodies and schemas inlined', () => {
    const p = tool('postRoomsByRoomIdBookings').parameters as any;
    expect(Object.keys(p.properties)).toEqual(['roomId', 'notify', 'date', 'startTime', 'endTime', 'title', 'organizer']);
    expect(p.required).toEqual(['roomId', 'date', 'startTime', 'endTime', 'organizer']);
    expect(p.properties.startTime).toEqual({ type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
    expect(p.properties.organizer.properties.email).toEqual({ type: 'string', format: 'email' });
    expect(JSON.stringify(r.tools)).not.toContain('$ref');
    expect(r.warnings.some((w) => w.message === 'read-only body field "id" left out')).toBe(true);
    expect(r.bindings.find((b) => b.tool === 'postRoomsByRoomIdBookings')).toEqual({
      tool: 'postRoomsByRoomIdBookings', method: 'POST', path: '/rooms/{roomId}/bookings',
      params: [{ name: 'roomId', in: 'path' }, { name: 'notify', in: 'query' }, ...['date', 'startTime', 'endTime', 'title', 'organizer'].map((name) => ({ name, in: 'body' }))],
    });
  });

  it('maps nullable to a null type, +json media types, and a non-object body to "body"', () => {
    expect((tool('updateRoom').parameters as any).properties.note).toEqual({ type: ['string', 'null'] });
    expect((tool('setRoomTags').parameters as any)).toEqual({
      type: 'object', properties: { roomId: { type: 'string', description: 'Room id, e.g. BJ-301.' }, body: { type: 'array', items: { type: 'string' } } }, required: ['roomId', 'body'],
    });
  });

  it('reports what cannot be mapped, with its location, and keeps the rest', () => {
    expect(r.errors).toEqual([
      { at: 'paths./rooms/{roomId}/photo.post.requestBody.content.multipart/form-data.schema.properties.file', message: 'file uploads (format: binary) cannot be passed as JSON tool arguments' },
      { at: 'paths./holidays.get.parameters[0].schema', message: 'external $ref "https://schemas.example.com/region.json" cannot be resolved: only local refs (#/...) are supported' },
      { at: 'paths./org-chart.post.requestBody.content.application/json.schema.properties.reports.items', message: 'recursive schema #/components/schemas/OrgNode -> #/components/schemas/OrgNode cannot be inlined into a tool' },
    ]);
  });

  it('gives schemas the argument validator can use', () => {
    const v = new ArgumentValidator(r.tools);
    const ok = { roomId: 'BJ-301', date: '2025-06-10', startTime: '09:00', endTime: '10:00', organizer: { employeeId: 'E1001' } };
    expect(v.check({ name: 'postRoomsByRoomIdBookings', arguments: ok }).valid).toBe(true);
    const bad = v.check({ name: 'postRoomsByRoomIdBookings', arguments: { ...ok, startTime: '9am', organizer: {} } });
    expect(bad.errors.map((e) => e.message)).toEqual([
      'postRoomsByRoomIdBookings: argument "startTime" must match pattern "^([01][0-9]|2[0-3]):[0-5][0-9]$" (got "9am")',
      'postRoomsByRoomIdBookings: missing required argument "employeeId"',
    ]);
  });

  it('flattens an allOf body of objects into separate arguments, and sanitises operationIds', () => {
    const spec = {
      openapi: '3.0.0', info: { title: 'Pets', version: '1' },
      paths: {
        '/pets': { post: { operationId: 'add pet', requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } }, responses: {} } },
      },
      components: {
        schemas: {
          Pet: { allOf: [{ $ref: '#/components/schemas/NewPet' }, { type: 'object', required: ['id'], properties: { id: { type: 'integer', format: 'int64' } } }] },
          NewPet: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, tag: { type: 'string' } } },
        },
      },
    };
    const pets = importOpenApi(JSON.stringify(spec), 'pets.json');
    expect(pets.errors).toEqual([]);
    expect(pets.tools[0].function).toEqual({
      name: 'add_pet', description: 'POST /pets',
      parameters: { type: 'object', properties: { name: { type: 'string' }, tag: { type: 'string' }, id: { type: 'integer', format: 'int64' } }, required: ['name', 'id'] },
    });
  });

  it('reads the same spec as JSON', () => {
    const json = JSON.stringify(parseYaml(yamlText));
    expect(importOpenApi(json, 'room-service.json').tools).toEqual(r.tools);
    expect(loadToolSet(json, 'room-service.json')).toMatchObject({ source: 'openapi', tools: r.tools });
  });

  it('rejects what is not OpenAPI 3.x, naming the problem', () => {
    expect(() => importOpenApi(toYaml({ swagger: '2.0', paths: {} }), 'old.yaml')).toThrow('old.yaml (swagger): Swagger 2.0 is not supported; convert it to OpenAPI 3.x first');
    expect(() => importOpenApi('openapi: 3.1.0\npaths: [\n', 'broken.yaml')).toThrow(OpenApiImportError);
    expect(() => importOpenApi('openapi: 3.1.0\npaths: [\n', 'broken.yaml')).toThrow(/broken\.yaml: not valid YAML: .*line 3/);
    expect(() => importOpenApi('{"openapi": "4.0", "paths": {}}', 'x.json')).toThrow('x.json (openapi): expected "openapi": "3.x", got "4.0"');
  });
});

describe('loadToolSet', () => {
  it('reads definition lists, keeps good entries, and reports bad ones by index and field', () => {
    const text = JSON.stringify([
      { type: 'function', function: { name: 'a', parameters: { type: 'object', properties: { x: { type: 'string' } }, required: ['x'] } } },
      { name: 'bfcl.style', description: 'bare', parameters: { type: 'dict', properties: {}, required: [] } },
      { type: 'function', function: { name: 'has space', parameters: {} } },
      { type: 'function', function: { name: 'b', parameters: { type: 'object', properties: {}, required: ['y'] } } },
      { type: 'function', function: { name: 'a', parameters: {} } },
    ]);
    const s = loadToolSet(text, 't.json');
    expect(s.tools.map((t) => t.function.name)).toEqual(['a', 'bfcl.style']);
    expect(s.errors).toEqual([
      { at: '[2].name', message: 'tool name must be an identifier (letters, digits, _ . -), got "has space"' },
      { at: '[3].parameters.required', message: 'lists "y" that is not in properties' },
      { at: '[4].name', message: 'duplicate tool name "a"' },
    ]);
  });
  it('reads a YAML list of definitions, and names a file that is neither', () => {
    const s = loadToolSet('- type: function\n  function:\n    name: ping\n    parameters: {type: object, properties: {}}\n', 't.yaml');
    expect(s.tools.map((t) => t.function.name)).toEqual(['ping']);
    expect(() => loadToolSet('just: text\n', 'x.yaml')).toThrow('x.yaml: expected a list of tool definitions, {"tools": [...]}, or an OpenAPI 3.x document');
    expect(() => loadToolSet('[1, 2', 'x.json')).toThrow(/^x\.json: not valid JSON: /);
  });
  it('reads the shipped enterprise tool set', () => {
    const s = loadToolSet(readFileSync('public/tools/enterprise_tools.json', 'utf8'));
    expect(s.errors).toEqual([]);
    expect(s.tools.length).toBe(16);
  });
});
