// Our safetensors reader/writer: byte-exact round trips, dtype conversion, and clear errors on damaged files.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/util/rng.ts';
import { memorySource, mapProvider } from '../../../src/model/byte-source.ts';
import {
  f16ToF32, f32ToF16, f32ToBf16, fromFloat32, readAllSafetensors, readSafetensorsHeader, streamSafetensors, toFloat32, writeSafetensors,
  type RawTensor,
} from '../../../src/model/safetensors.ts';
import { openModelFolder, streamWeights } from '../../../src/model/weights.ts';
import { modelFiles, randomWeights, tinyConfig } from './fixtures.ts';

function sample(): RawTensor[] {
  const rng = new Rng(7);
  return [
    { name: 'a.weight', dtype: 'F32', shape: [3, 5], data: fromFloat32(rng.floats(15), 'F32') },
    { name: 'b.bias', dtype: 'BF16', shape: [7], data: fromFloat32(rng.floats(7), 'BF16') },
    { name: 'c', dtype: 'F16', shape: [2, 1, 3], data: fromFloat32(rng.floats(6), 'F16') },
    { name: 'scalar', dtype: 'F32', shape: [], data: fromFloat32(new Float32Array([2.5]), 'F32') },
  ];
}

describe('safetensors', () => {
  it('write -> read -> write is byte-exact, header padded to 8 bytes', async () => {
    const bytes = writeSafetensors(sample(), { format: 'pt' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const back = await readAllSafetensors(memorySource('x.safetensors', bytes));
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(back.tensors.map((t) => t.name)).toEqual(['a.weight', 'b.bias', 'c', 'scalar']);
    const again = writeSafetensors(back.tensors, back.metadata);
    expect(Buffer.from(again).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reads a header laid out by another writer (data order differs from key order)', async () => {
    // Hand-made file: key order b, a but a's data first (as the Rust writer may produce).
    const a = new Float32Array([1, 2, 3]);
    const b = new Float32Array([-4, 5]);
    const header = JSON.stringify({ b: { dtype: 'F32', shape: [2], data_offsets: [12, 20] }, a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } });
    const h = new TextEncoder().encode(header);
    const file = new Uint8Array(8 + h.length + 20);
    new DataView(file.buffer).setBigUint64(0, BigInt(h.length), true);
    file.set(h, 8);
    file.set(new Uint8Array(a.buffer), 8 + h.length);
    file.set(new Uint8Array(b.buffer), 8 + h.length + 12);
    const got = new Map<string, Float32Array>();
    await streamSafetensors(memorySource('f', file), (t) => void got.set(t.name, toFloat32(t)));
    expect([...got.get('a')!]).toEqual([1, 2, 3]);
    expect([...got.get('b')!]).toEqual([-4, 5]);
  });

  it('f16/bf16 conversion: round-to-nearest-even, exact where representable', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 2000; i++) {
      const v = rng.normal() * 10 ** rng.int(6) * 1e-3;
      const h = f16ToF32(f32ToF16(v));
      expect(Math.abs(h - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25) * 1.0001);
      const b = toFloat32({ dtype: 'BF16', data: new Uint8Array(new Uint16Array([f32ToBf16(v)]).buffer) })[0];
      expect(Math.abs(b - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -8 * 1.0001);
    }
    expect(f32ToF16(1)).toBe(0x3c00);
    expect(f32ToF16(65504)).toBe(0x7bff);
    expect(f32ToF16(1e6)).toBe(0x7c00);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f32ToBf16(1)).toBe(0x3f80);
  });

  it('truncated file names the tensor whose data is cut', async () => {
    const bytes = writeSafetensors(sample());
    const cut = bytes.subarray(0, bytes.length - 5);
    await expect(readSafetensorsHeader(memorySource('model.safetensors', cut))).rejects.toThrow(
      /model.safetensors: tensor "c": data ends at byte \d+ but the file has only \d+ bytes \(truncated file\)/,
    );
    await expect(readSafetensorsHeader(memorySource('m', bytes.subarray(0, 40)))).rejects.toThrow(/truncated/);
  });

  it('corrupted headers: wrong dtype, shape/size mismatch, overlapping offsets each name the tensor', async () => {
    const make = (header: object, dataBytes: number) => {
      const h = new TextEncoder().encode(JSON.stringify(header));
      const f = new Uint8Array(8 + h.length + dataBytes);
      new DataView(f.buffer).setBigUint64(0, BigInt(h.length), true);
      f.set(h, 8);
      return memorySource('bad.safetensors', f);
    };
    await expect(readSafetensorsHeader(make({ w: { dtype: 'Q4', shape: [2], data_offsets: [0, 1] } }, 1))).rejects.toThrow(/tensor "w": unsupported dtype "Q4"/);
    await expect(readSafetensorsHeader(make({ w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20))).rejects.toThrow(
      /tensor "w": data_offsets span 20 bytes but F32\[2,3\] needs 24/,
    );
    await expect(
      readSafetensorsHeader(make({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12)),
    ).rejects.toThrow(/tensor "b": .*overlap/);
    await expect(readSafetensorsHeader(make({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8))).rejects.toThrow(/tensor "a": .*hole/);
  });
});

describe('model folder', () => {
  it('streams every weight with monotone progress and checks shapes against config.json', async () => {
    const cfg = tinyConfig('qwen3');
    const folder = await openModelFolder(mapProvider(modelFiles(cfg, 1, 'BF16')));
    const seen: string[] = [];
    const progress: number[] = [];
    await streamWeights(folder, (t) => void seen.push(t.name), (d, total) => {
      expect(total).toBe(folder.totalBytes);
      progress.push(d);
    });
    expect(seen).toEqual(randomWeights(cfg, 1).map((t) => t.name));
    expect(progress.at(-1)).toBe(folder.totalBytes);
    expect(progress.every((p, i) => i === 0 || p > progress[i - 1])).toBe(true);
  });

  it('sharded folders load through model.safetensors.index.json', async () => {
    const cfg = tinyConfig('qwen2');
    const ws = randomWeights(cfg, 2);
    const half = Math.floor(ws.length / 2);
    const shards = [ws.slice(0, half), ws.slice(half)];
    const names = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const files = new Map<string, Uint8Array>(modelFiles(cfg, 2));
    files.delete('model.safetensors');
    const weightMap: Record<string, string> = {};
    shards.forEach((s, i) => {
      files.set(names[i], writeSafetensors(s));
      for (const t of s) weightMap[t.name] = names[i];
    });
    files.set('model.safetensors.index.json', new TextEncoder().encode(JSON.stringify({ metadata: {}, weight_map: weightMap })));
    const folder = await openModelFolder(mapProvider(files));
    const got = new Map<string, Uint8Array>();
    await streamWeights(folder, (t) => void got.set(t.name, t.data.slice()));
    for (const t of ws) expect(Buffer.from(got.get(t.name)!).equals(Buffer.from(t.data))).toBe(true);
    // A shard missing from the folder is named.
    files.delete(names[1]);
    await expect(openModelFolder(mapProvider(files))).rejects.toThrow(/lists shard "model-00002-of-00002.safetensors" but the file is missing/);
  });

  it('weights that do not fit config.json name the tensor and both shapes', async () => {
    const cfg = tinyConfig('qwen2');
    const files = modelFiles(cfg, 3);
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(files.get('config.json'))), intermediate_size: 48 })));
    await expect(openModelFolder(mapProvider(files))).rejects.toThrow(/tensor "model.layers.0.mlp.gate_proj.weight": shape \[40,24\] does not match config.json, which implies \[48,24\]/);
    const files2 = modelFiles(cfg, 3);
    files2.set('config.json', new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(files2.get('config.json'))), tie_word_embeddings: false })));
    await expect(openModelFolder(mapProvider(files2))).rejects.toThrow(/"lm_head.weight".*missing.*tie_word_embeddings: false/);
  });
});
