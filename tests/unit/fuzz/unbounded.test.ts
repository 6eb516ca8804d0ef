// Unbounded input, each refused with a clear error or read in bounded memory: a 1 MB single line (as a value,
// a key, a tool name, broken JSON, nesting thousands deep), an OpenAPI document with 10,000 operations, a
// config.json claiming 10^12 parameters (and one claiming a billion layers), and safetensors headers that
// claim more bytes than the file holds. Figures printed here go into docs/reliability.md.
import { describe, expect, it } from 'vitest';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { MAX_MESSAGE_CHARS } from '../../../src/data/validate.ts';
import { mapProvider, memorySource } from '../../../src/model/byte-source.ts';
import { paramCount, paramTensorCount, expectedParams, qwenConfigToJson, parseQwenConfig } from '../../../src/model/config.ts';
import { readSafetensorsHeader, SafetensorsError } from '../../../src/model/safetensors.ts';
import { ModelFolderError, openModelFolder } from '../../../src/model/weights.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { importOpenApi } from '../../../src/tools/openapi.ts';
import { modelFiles, tinyConfig } from '../model/fixtures.ts';

const MB = 1 << 20;
const big = (n = MB, ch = 'x') => ch.repeat(n);

describe('a 1 MB single line', () => {
  const cases: [string, string, RegExp][] = [
    ['a 1 MB input', JSON.stringify({ instruction: 'q', input: big(), output: 'queryWeather(city=北京)' }), /^about \d+ tokens, longer than the context of 4096$/],
    ['a 1 MB key', JSON.stringify({ [big()]: 1 }), /^unrecognised fields \{x+…$/],
    ['a 1 MB tool name', JSON.stringify({ instruction: 'q', output: JSON.stringify({ tool_call: { tool_name: big(), parameters: {} } }) }), /^unknown tool "x+…$/],
    ['a 1 MB argument that breaks its format', JSON.stringify({ instruction: 'q', output: JSON.stringify({ tool_call: { tool_name: 'queryWeather', parameters: { city: '北京', date: big() } } }) }), /^queryWeather: argument "date" must match format "date", got "x+…$/],
    ['1 MB of broken JSON', `{"instruction": "${big()}`, /^JSON syntax error at column \d+: /],
    ['nesting a million deep', '['.repeat(MB), /nesting deeper than 512 levels/],
  ];
  for (const [what, line, message] of cases) {
    it(`${what}: one problem on line 1 with a message of at most ${MAX_MESSAGE_CHARS} characters`, () => {
      const t0 = performance.now();
      const { report } = readDatasetText(`{"instruction": "first", "output": "ok"}\n${line}`, { tools: ENTERPRISE_TOOLS, maxTokens: 4096 });
      const ms = performance.now() - t0;
      const mine = report.problems.filter((p) => p.line === 2);
      expect(mine.length).toBeGreaterThanOrEqual(1);
      expect(mine.map((p) => p.message).find((m) => message.test(m)), JSON.stringify(mine.map((p) => p.message.slice(0, 80)))).toBeDefined();
      for (const p of report.problems) {
        expect(p.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
        expect(p.message).not.toMatch(/^could not be checked/);
      }
      console.log(`1 MB line, ${what}: ${ms.toFixed(0)} ms, "${mine.map((p) => p.message.slice(0, 60)).join('", "')}"`);
    });
  }
});

describe('an OpenAPI document with 10,000 operations', () => {
  it('imports every operation into a tool with its parameters', () => {
    const paths: string[] = [];
    for (let i = 0; i < 5000; i++) {
      paths.push(`"/items${i}/{id}": {"get": {"operationId": "getItem${i}", "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]}, ` +
        `"post": {"operationId": "addItem${i}", "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}}`);
    }
    const text = `{"openapi": "3.0.3", "info": {"title": "big"}, "paths": {${paths.join(', ')}}, "components": {"schemas": {"Item": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "n": {"type": "integer"}}}}}}`;
    const t0 = performance.now();
    const r = importOpenApi(text, 'big.json');
    const ms = performance.now() - t0;
    expect(r.tools).toHaveLength(10_000);
    expect(r.errors).toEqual([]);
    expect(r.tools[9_999].function).toMatchObject({ name: 'addItem4999', parameters: { properties: { name: { type: 'string' }, n: { type: 'integer' } }, required: ['name'] } });
    console.log(`OpenAPI, 10,000 operations (${(text.length / MB).toFixed(1)} MB of JSON): imported in ${ms.toFixed(0)} ms`);
  });
});

describe('a config.json that claims more than the weights hold', () => {
  const tiny = tinyConfig('qwen3');
  const files = modelFiles(tiny, 1);
  const withConfig = (over: Record<string, unknown>) => {
    const m = new Map(files);
    m.set('config.json', new TextEncoder().encode(JSON.stringify({ ...qwenConfigToJson(tiny), ...over })));
    return mapProvider(m);
  };

  it('counts parameters and tensors from the config alone, equal to the tensor list', () => {
    for (const c of [tiny, tinyConfig('qwen2'), tinyConfig('qwen3', { tieWordEmbeddings: false, numLayers: 3 })]) {
      expect(paramCount(c)).toBe(expectedParams(c).reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0));
      expect(paramTensorCount(c)).toBe(expectedParams(c).length);
    }
  });

  it('10^12 parameters: refused with the claim and what the files hold', async () => {
    const claim = { hidden_size: 8192, intermediate_size: 29568, num_hidden_layers: 1200, num_attention_heads: 64, num_key_value_heads: 8, head_dim: 128, vocab_size: 152064 };
    expect(paramCount(parseQwenConfig({ ...qwenConfigToJson(tiny), ...claim }))).toBeGreaterThan(1e12);
    await expect(openModelFolder(withConfig(claim))).rejects.toThrow(ModelFolderError);
    await expect(openModelFolder(withConfig(claim))).rejects.toThrow(/config\.json describes 1\.1e12 parameters in 13,203 tensors \(1200 layers, hidden_size 8192, vocab_size 152064\), but the weights hold 12,296 in 25: the config does not belong to these weights/);
  });

  it('a billion layers: refused at once, without listing a tensor per layer', async () => {
    const t0 = performance.now();
    await expect(openModelFolder(withConfig({ num_hidden_layers: 1e9 }))).rejects.toThrow(/1000000000 layers/);
    expect(performance.now() - t0).toBeLessThan(5_000); // listing 1.4e10 tensors would take hours and all memory
  });

  it('a near miss still gets the precise message', async () => {
    await expect(openModelFolder(withConfig({ num_hidden_layers: 3 }))).rejects.toThrow(/tensor "model\.layers\.2\.input_layernorm\.weight" \(shape \[24\]\) is missing/);
  });
});

describe('safetensors headers that claim more bytes than the file holds', () => {
  const header = (h: object, lengthOverride?: bigint, dataBytes = 16) => {
    const json = new TextEncoder().encode(JSON.stringify(h));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
    out.set(json, 8);
    return memorySource('model.safetensors', out);
  };
  it('a header length beyond the file, beyond the format limit, or 2^64-1', async () => {
    await expect(readSafetensorsHeader(header({}, 1000n))).rejects.toThrow(/model\.safetensors: header says 1000 bytes but the file has only \d+ after the prefix \(truncated\?\)/);
    await expect(readSafetensorsHeader(header({}, 200_000_000n))).rejects.toThrow(/header length 200000000 is implausible/);
    await expect(readSafetensorsHeader(header({}, 2n ** 64n - 1n))).rejects.toThrow(SafetensorsError);
  });
  it('tensors whose data lies past the end of the file, or whose shape needs 2^60 bytes', async () => {
    await expect(readSafetensorsHeader(header({ w: { dtype: 'F32', shape: [4, 4], data_offsets: [0, 64] } }))).rejects.toThrow(/tensor "w": data ends at byte \d+ but the file has only \d+ bytes \(truncated file\)/);
    await expect(readSafetensorsHeader(header({ w: { dtype: 'F32', shape: [2 ** 30, 2 ** 28], data_offsets: [0, 16] } }))).rejects.toThrow(/tensor "w": data_offsets span 16 bytes but F32\[1073741824,268435456\] needs \d+/);
  });
});
