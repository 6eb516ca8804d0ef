// Fuzzing the binary loaders: the safetensors header reader (any bytes, and real files with the length
// prefix, the JSON header or the data cut or rewritten) and the PEFT adapter loader (adapter_config.json of
// any shape, adapter files mutated). A rejection is a SafetensorsError naming the file (and the tensor where
// one is at fault) or an AdapterError naming the file and field; nothing else may escape, and a header that
// passes describes only bytes the file really holds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mapProvider, memorySource } from '../../../src/model/byte-source.ts';
import { AdapterError, loadAdapter, peftConfigJson, peftKey, saveAdapter, targetDims, type Adapter, type LoraConfig } from '../../../src/model/peft.ts';
import { fromFloat32, readSafetensorsHeader, SafetensorsError, writeSafetensors, type RawTensor } from '../../../src/model/safetensors.ts';
import { Rng } from '../../../src/util/rng.ts';
import { tinyConfig } from '../model/fixtures.ts';
import { mutated, namedOutcomeAsync, nastyString, seeded } from './named-errors.ts';

const enc = new TextEncoder();

function sampleFile(): Uint8Array {
  const rng = new Rng(3);
  const tensors: RawTensor[] = [
    { name: 'a.weight', dtype: 'F32', shape: [3, 5], data: fromFloat32(rng.floats(15), 'F32') },
    { name: 'b', dtype: 'BF16', shape: [7], data: fromFloat32(rng.floats(7), 'BF16') },
    { name: 's', dtype: 'F16', shape: [], data: fromFloat32(rng.floats(1), 'F16') },
  ];
  return writeSafetensors(tensors, { format: 'pt' });
}

/** A file from a header object and a data section of the given size. */
function fileFrom(header: unknown, dataBytes: number, lengthOverride?: bigint): Uint8Array {
  const json = enc.encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

const dim = fc.oneof(fc.nat(8), fc.constantFrom(0, 2 ** 31, 2 ** 53, 1e15, -1, 1.5));
const entry = fc.oneof(
  fc.record({
    dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'f32'), fc.integer()),
    shape: fc.oneof(fc.array(dim, { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
    data_offsets: fc.oneof(fc.tuple(fc.nat(200), fc.nat(200)), fc.array(fc.oneof(fc.nat(300), fc.constantFrom(-1, 0.5, 2 ** 60)), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })),
  }, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 2 }),
);
const header = fc.dictionary(fc.oneof(nastyString(10), fc.constantFrom('__metadata__', '__proto__')), entry, { maxKeys: 4 });

async function expectSafetensorsOutcome(name: string, bytes: Uint8Array): Promise<void> {
  const r = await namedOutcomeAsync(() => readSafetensorsHeader(memorySource(name, bytes)), [SafetensorsError], new RegExp(`^${name.replace('.', '\\.')}: `));
  if ('value' in r) {
    for (const t of r.value.tensors) {
      expect(t.begin).toBeGreaterThanOrEqual(8 + r.value.headerBytes);
      expect(t.end).toBeLessThanOrEqual(bytes.length);
    }
    if (r.value.metadata !== undefined) for (const v of Object.values(r.value.metadata)) expect(typeof v).toBe('string');
  }
}

describe('safetensors header fuzz', () => {
  it('any bytes: a SafetensorsError naming the file, or a header inside the file', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 120 }), (bytes) => expectSafetensorsOutcome('m.safetensors', bytes)), seeded(1901));
  });

  it('generated headers (bad dtypes, shapes, offsets, metadata; lengths that lie): only named errors', async () => {
    await fc.assert(
      fc.asyncProperty(header, fc.nat(400), fc.option(fc.oneof(fc.bigInt(0n, 2n ** 64n - 1n), fc.constantFrom(0n, 1n, 2n ** 63n)), { nil: undefined }), (h, dataBytes, len) =>
        expectSafetensorsOutcome('m.safetensors', fileFrom(h, dataBytes, len)),
      ),
      seeded(1902),
    );
  });

  it('a real file with bytes rewritten, cut, or the JSON header text mutated (invalid UTF-8 included)', async () => {
    const file = sampleFile();
    const headerLen = Number(new DataView(file.buffer).getBigUint64(0, true));
    const headerText = new TextDecoder().decode(file.subarray(8, 8 + headerLen));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
            const b = file.slice();
            for (const [i, v] of edits) b[i] = v;
            return b;
          }),
          fc.nat(file.length).map((n) => file.slice(0, n)),
          mutated(headerText, 3).map((t) => {
            const j = enc.encode(t);
            const b = new Uint8Array(8 + j.length + (file.length - 8 - headerLen));
            new DataView(b.buffer).setBigUint64(0, BigInt(j.length), true);
            b.set(j, 8);
            b.set(file.subarray(8 + headerLen), 8 + j.length);
            return b;
          }),
        ),
        (bytes) => expectSafetensorsOutcome('m.safetensors', bytes),
      ),
      seeded(1903),
    );
  });
});

describe('PEFT adapter loader fuzz', () => {
  const cfg = tinyConfig('qwen3');
  const lora: LoraConfig = { r: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'v_proj'] };
  const rng = new Rng(5);
  const tensors: Adapter['tensors'] = new Map();
  for (let l = 0; l < cfg.numLayers; l++) {
    for (const t of lora.targets) {
      const { inDim, outDim } = targetDims(cfg, t);
      tensors.set(peftKey(l, t, 'A'), { shape: [lora.r, inDim], values: rng.floats(lora.r * inDim), dtype: 'F32' });
      tensors.set(peftKey(l, t, 'B'), { shape: [outDim, lora.r], values: rng.floats(outDim * lora.r), dtype: 'F32' });
    }
  }
  const good = saveAdapter({ lora, configJson: peftConfigJson(lora, 'tiny', false), tensors });
  const ALLOWED = [AdapterError, SafetensorsError];
  // A mismatch with the model says which kind first (AdapterMismatchError), then the file and field.
  const WHERE = /^(adapter mismatch \([a-z ]+\): )?(adapter_config\.json|adapter_model\.safetensors)\b/;
  const load = (config: string | Uint8Array, weights: Uint8Array | null, withModel: boolean) => {
    const files = new Map<string, Uint8Array>([['adapter_config.json', typeof config === 'string' ? enc.encode(config) : config]]);
    if (weights) files.set('adapter_model.safetensors', weights);
    return namedOutcomeAsync(() => loadAdapter(mapProvider(files), withModel ? cfg : undefined), ALLOWED, WHERE);
  };
  const configField = fc.constantFrom('peft_type', 'r', 'lora_alpha', 'lora_dropout', 'target_modules', 'use_dora', 'use_rslora', 'modules_to_save', 'task_type');

  it('adapter_config.json of any JSON shape, or any field set to any value: only named errors naming the field', async () => {
    const base = JSON.parse(good['adapter_config.json']) as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
          fc.tuple(configField, fc.oneof(fc.jsonValue({ maxDepth: 1 }), nastyString(8))).map(([k, v]) => JSON.stringify({ ...base, [k]: v })),
          mutated(good['adapter_config.json'], 3),
        ),
        fc.boolean(),
        async (text, withModel) => {
          const r = await load(text, good['adapter_model.safetensors'], withModel);
          if ('value' in r) expect(r.value.lora.r).toBeGreaterThan(0);
        },
      ),
      seeded(2001),
    );
  });

  it('adapter weights rewritten, cut or missing, and configs that do not match them: only named errors', async () => {
    const w = good['adapter_model.safetensors'];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant(null),
          fc.nat(w.length).map((n) => w.slice(0, n)),
          fc.array(fc.tuple(fc.nat(w.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }).map((edits) => {
            const b = w.slice();
            for (const [i, v] of edits) b[i] = v;
            return b;
          }),
        ),
        fc.constantFrom(good['adapter_config.json'], good['adapter_config.json'].replace('"r": 2', '"r": 3'), good['adapter_config.json'].replace('"v_proj"', '"k_proj"')),
        fc.boolean(),
        (weights, config, withModel) => load(config, weights, withModel).then(() => undefined),
      ),
      seeded(2002),
    );
  });

  it('adapter_config.json bytes that are not UTF-8 text', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), (bytes) => load(bytes, good['adapter_model.safetensors'], true).then(() => undefined)), seeded(2003));
  });
});
