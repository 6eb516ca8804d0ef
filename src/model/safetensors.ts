// Our own safetensors reader and writer (format: 8-byte little-endian header length, JSON header, raw data).
// The reader validates the header before touching data (dtype, shape vs byte size, contiguous offsets, file
// length) and streams tensors one at a time; the writer lays tensors out in the given order so read + write
// of a file we wrote is byte-exact.

import type { ByteSource } from './byte-source.ts';
import { f16BitsToF32 as f16ToF32, f32ToF16Bits as f32ToF16 } from '../util/f16.ts';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'F64' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** One tensor as the header describes it; offsets are absolute in the file. */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte offset of the data in the file. */
  begin: number;
  /** Absolute end offset (exclusive). */
  end: number;
}

export interface SafetensorsHeader {
  /** Tensors in header order. */
  tensors: TensorEntry[];
  metadata: Record<string, string> | undefined;
  /** Size of the JSON header in bytes (without the 8-byte prefix). */
  headerBytes: number;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
  constructor(file: string, what: string, tensor?: string) {
    super(`${file}: ${tensor !== undefined ? `tensor "${tensor}": ` : ''}${what}`);
  }
}

/** Largest header we accept (the format's own limit is 100 MB). */
const MAX_HEADER = 100_000_000;

/** Reads and validates the header of a safetensors file. */
export async function readSafetensorsHeader(src: ByteSource): Promise<SafetensorsHeader> {
  if (src.size < 8) throw new SafetensorsError(src.name, `file is ${src.size} bytes, too short for a safetensors header (truncated?)`);
  const prefix = await src.read(0, 8);
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const headerBytes = Number(view.getBigUint64(0, true));
  if (headerBytes > MAX_HEADER) throw new SafetensorsError(src.name, `header length ${headerBytes} is implausible (not a safetensors file?)`);
  if (8 + headerBytes > src.size) {
    throw new SafetensorsError(src.name, `header says ${headerBytes} bytes but the file has only ${src.size - 8} after the prefix (truncated?)`);
  }
  let json: Record<string, unknown>;
  try {
    const headerText = new TextDecoder('utf-8', { fatal: true }).decode(await src.read(8, headerBytes));
    json = JSON.parse(headerText) as Record<string, unknown>;
  } catch (e) {
    // TextDecoder's TypeError (bytes that are not UTF-8) or JSON's SyntaxError: either way not a header.
    throw new SafetensorsError(src.name, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new SafetensorsError(src.name, 'header must be a JSON object');

  const dataStart = 8 + headerBytes;
  const tensors: TensorEntry[] = [];
  let metadata: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((x) => typeof x === 'string')) {
        throw new SafetensorsError(src.name, '"__metadata__" must map names to text values');
      }
      metadata = value as Record<string, string>;
      continue;
    }
    const v = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof v !== 'object' || v === null) throw new SafetensorsError(src.name, 'entry must be an object', name);
    if (typeof v.dtype !== 'string' || !(v.dtype in DTYPE_BYTES)) {
      throw new SafetensorsError(src.name, `unsupported dtype ${JSON.stringify(v.dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`, name);
    }
    const dtype = v.dtype as SafetensorsDtype;
    if (!Array.isArray(v.shape) || !v.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new SafetensorsError(src.name, `shape ${JSON.stringify(v.shape)} must be a list of non-negative integers`, name);
    }
    const offs = v.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((d) => Number.isInteger(d) && d >= 0) || offs[1] < offs[0]) {
      throw new SafetensorsError(src.name, `data_offsets ${JSON.stringify(offs)} must be [begin, end] with begin <= end`, name);
    }
    const shape = v.shape as number[];
    const expectBytes = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    if (offs[1] - offs[0] !== expectBytes) {
      throw new SafetensorsError(src.name, `data_offsets span ${offs[1] - offs[0]} bytes but ${dtype}${JSON.stringify(shape)} needs ${expectBytes}`, name);
    }
    tensors.push({ name, dtype, shape, begin: dataStart + offs[0], end: dataStart + offs[1] });
  }
  // The data section must be covered exactly once: no holes, no overlaps (the format's own rule).
  const byOffset = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = dataStart;
  for (const t of byOffset) {
    if (t.begin !== cursor) {
      throw new SafetensorsError(src.name, `data starts at byte ${t.begin - dataStart} but the previous tensor ends at ${cursor - dataStart} (${t.begin > cursor ? 'hole' : 'overlap'} in data_offsets)`, t.name);
    }
    cursor = t.end;
  }
  if (cursor > src.size) {
    const cut = byOffset.find((t) => t.end > src.size)!;
    throw new SafetensorsError(src.name, `data ends at byte ${cut.end} but the file has only ${src.size} bytes (truncated file)`, cut.name);
  }
  if (cursor < src.size) throw new SafetensorsError(src.name, `${src.size - cursor} bytes after the last tensor's data (corrupted header?)`);
  return { tensors, metadata, headerBytes };
}

/** A tensor with its raw bytes (little-endian, as stored). */
export interface RawTensor {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  data: Uint8Array;
}

/**
 * Streams every tensor of a file, one at a time, to `onTensor` (which may upload it to the GPU and drop it).
 * `onProgress(bytesDone, bytesTotal)` follows the data read. Returns the header.
 */
export async function streamSafetensors(
  src: ByteSource,
  onTensor: (t: RawTensor) => void | Promise<void>,
  onProgress?: (done: number, total: number) => void,
  only?: (name: string) => boolean,
): Promise<SafetensorsHeader> {
  const header = await readSafetensorsHeader(src);
  const total = header.tensors.reduce((s, t) => s + t.end - t.begin, 0);
  let done = 0;
  for (const t of header.tensors) {
    if (only && !only(t.name)) continue;
    const data = await src.read(t.begin, t.end - t.begin);
    if (data.byteLength !== t.end - t.begin) throw new SafetensorsError(src.name, `read ${data.byteLength} of ${t.end - t.begin} bytes (file changed or truncated)`, t.name);
    await onTensor({ name: t.name, dtype: t.dtype, shape: t.shape, data });
    done += t.end - t.begin;
    onProgress?.(done, total);
  }
  return header;
}

/** Serializes tensors in the given order (header keys in the same order, padded with spaces to 8 bytes). */
export function writeSafetensors(tensors: RawTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new SafetensorsError('(writing)', 'appears twice', t.name);
    seen.add(t.name);
    const bytes = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    if (bytes !== t.data.byteLength) throw new SafetensorsError('(writing)', `has ${t.data.byteLength} bytes but ${t.dtype}${JSON.stringify(t.shape)} needs ${bytes}`, t.name);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.byteLength / 8) * 8;
  if (padded !== json.byteLength) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.byteLength), true);
  out.set(json, 8);
  let pos = 8 + json.byteLength;
  for (const t of tensors) {
    out.set(t.data, pos);
    pos += t.data.byteLength;
  }
  return out;
}

/** Reads a whole in-memory safetensors file into raw tensors (header order). */
export async function readAllSafetensors(src: ByteSource): Promise<{ tensors: RawTensor[]; metadata?: Record<string, string> }> {
  const tensors: RawTensor[] = [];
  const h = await streamSafetensors(src, (t) => void tensors.push({ ...t, data: t.data.slice() }));
  return { tensors, metadata: h.metadata };
}

// ---- dtype conversion (all compute is f32; storage may be f16/bf16) ----

/** Decodes raw bytes of F32/F16/BF16 to f32 values. */
export function toFloat32(t: { dtype: SafetensorsDtype; data: Uint8Array; name?: string }): Float32Array {
  const n = t.data.byteLength / DTYPE_BYTES[t.dtype];
  // Copy to an aligned buffer: file offsets need not be aligned to the element size.
  const aligned = t.data.byteOffset % 4 === 0 ? t.data : t.data.slice();
  switch (t.dtype) {
    case 'F32':
      return new Float32Array(aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + n * 4));
    case 'BF16': {
      const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = src[i] << 16;
      return new Float32Array(u.buffer);
    }
    case 'F16': {
      const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16ToF32(src[i]);
      return out;
    }
    default:
      throw new SafetensorsError('(decode)', `dtype ${t.dtype} is not a float type`, t.name);
  }
}

/** f16 bits -> number, and f32 -> f16 bits with round-to-nearest-even (F16 files, packed-f16 frozen weights). */
export { f16ToF32, f32ToF16 };

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** f32 -> bf16 bits with round-to-nearest-even. */
export function f32ToBf16(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Encodes f32 values as raw little-endian bytes of `dtype`. */
export function fromFloat32(values: Float32Array, dtype: 'F32' | 'F16' | 'BF16'): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const out = new Uint16Array(values.length);
  const enc = dtype === 'F16' ? f32ToF16 : f32ToBf16;
  for (let i = 0; i < values.length; i++) out[i] = enc(values[i]);
  return new Uint8Array(out.buffer);
}
