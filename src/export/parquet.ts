// A small Apache Parquet writer for the verl export: one row group, one uncompressed PLAIN data page per column,
// nested structs and lists (the standard 3-level LIST layout, Dremel repetition/definition levels), Thrift compact
// metadata. Every field is required (no nulls); lists may be empty. Tests read the files back with hyparquet, a
// reader we did not write.
//
// Format references: the Parquet format spec (parquet.thrift, "Nested encoding", "Encodings": PLAIN, RLE/bit-packed
// hybrid for levels) and Thrift's compact protocol.

export type ParquetType =
  | { kind: 'string' }
  | { kind: 'int64' }
  | { kind: 'double' }
  | { kind: 'bool' }
  | { kind: 'struct'; fields: [string, ParquetType][] }
  | { kind: 'list'; item: ParquetType };

export const pq = {
  string: { kind: 'string' } as ParquetType,
  int64: { kind: 'int64' } as ParquetType,
  double: { kind: 'double' } as ParquetType,
  bool: { kind: 'bool' } as ParquetType,
  struct: (fields: [string, ParquetType][]): ParquetType => ({ kind: 'struct', fields }),
  list: (item: ParquetType): ParquetType => ({ kind: 'list', item }),
};

// parquet.thrift enums
const PHYSICAL = { bool: 0, int64: 2, double: 5, string: 6 } as const;
const REQUIRED = 0;
const REPEATED = 2;
const CONVERTED_UTF8 = 0;
const CONVERTED_LIST = 3;
const ENC_PLAIN = 0;
const ENC_RLE = 3;

type Primitive = Extract<ParquetType, { kind: 'string' | 'int64' | 'double' | 'bool' }>;

interface Leaf {
  path: string[];
  type: Primitive;
  maxRep: number;
  maxDef: number;
  reps: number[];
  defs: number[];
  values: unknown[];
}

export class ParquetError extends Error {
  override name = 'ParquetError';
}

/** Writes `rows` (objects with every schema field) as a Parquet file. */
export function writeParquet(schema: [string, ParquetType][], rows: readonly Record<string, unknown>[]): Uint8Array {
  const root: ParquetType = { kind: 'struct', fields: schema };
  const leaves: Leaf[] = [];
  collectLeaves(root, [], 0, 0, leaves);
  const byPath = new Map(leaves.map((l) => [l.path.join('\u0000'), l]));
  rows.forEach((row, i) => shred(root, row, [], 0, 0, 0, byPath, `row ${i}`));

  const out = new ByteWriter();
  out.bytes(ascii('PAR1'));
  const chunks: { leaf: Leaf; offset: number; size: number; numValues: number }[] = [];
  for (const leaf of leaves) {
    const body = new ByteWriter();
    if (leaf.maxRep > 0) body.lengthPrefixed(rleLevels(leaf.reps, bitWidth(leaf.maxRep)));
    if (leaf.maxDef > 0) body.lengthPrefixed(rleLevels(leaf.defs, bitWidth(leaf.maxDef)));
    plainValues(leaf.type, leaf.values, body);
    const page = body.finish();
    const header = new Thrift();
    header.i32(1, 0); // type: DATA_PAGE
    header.i32(2, page.length);
    header.i32(3, page.length);
    header.struct(5, (h) => {
      h.i32(1, leaf.reps.length);
      h.i32(2, ENC_PLAIN);
      h.i32(3, ENC_RLE);
      h.i32(4, ENC_RLE);
    });
    const offset = out.length;
    out.bytes(header.finish());
    out.bytes(page);
    chunks.push({ leaf, offset, size: out.length - offset, numValues: leaf.reps.length });
  }

  const meta = new Thrift();
  meta.i32(1, 1); // version
  const elements: ((t: Thrift) => void)[] = [];
  schemaElements('schema', root, true, elements);
  meta.structList(2, elements);
  meta.i64(3, rows.length);
  meta.structList(4, [
    (rg) => {
      rg.structList(1, chunks.map((c) => (cc: Thrift) => {
        cc.i64(2, c.offset);
        cc.struct(3, (m) => {
          m.i32(1, PHYSICAL[c.leaf.type.kind]);
          m.i32List(2, [ENC_PLAIN, ENC_RLE]);
          m.stringList(3, c.leaf.path);
          m.i32(4, 0); // UNCOMPRESSED
          m.i64(5, c.numValues);
          m.i64(6, c.size);
          m.i64(7, c.size);
          m.i64(9, c.offset);
        });
      }));
      rg.i64(2, chunks.reduce((s, c) => s + c.size, 0));
      rg.i64(3, rows.length);
    },
  ]);
  meta.string(6, 'tool-use-rl-studio parquet writer');
  const footer = meta.finish();
  out.bytes(footer);
  out.u32(footer.length);
  out.bytes(ascii('PAR1'));
  return out.finish();
}

function collectLeaves(t: ParquetType, path: string[], rep: number, def: number, out: Leaf[]): void {
  if (t.kind === 'struct') for (const [name, ft] of t.fields) collectLeaves(ft, [...path, name], rep, def, out);
  else if (t.kind === 'list') collectLeaves(t.item, [...path, 'list', 'element'], rep + 1, def + 1, out);
  else out.push({ path, type: t, maxRep: rep, maxDef: def, reps: [], defs: [], values: [] });
}

/** Dremel shredding: `r` is the repetition level of this value's first leaf entry, `d` its definition level. */
function shred(t: ParquetType, v: unknown, path: string[], r: number, d: number, depth: number, leaves: Map<string, Leaf>, where: string): void {
  if (t.kind === 'struct') {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ParquetError(`${where}: ${path.join('.') || 'row'} must be an object`);
    for (const [name, ft] of t.fields) {
      if (!Object.hasOwn(v, name)) throw new ParquetError(`${where}: field ${[...path, name].join('.')} is missing (every field is required)`);
      shred(ft, (v as Record<string, unknown>)[name], [...path, name], r, d, depth, leaves, where);
    }
    return;
  }
  if (t.kind === 'list') {
    if (!Array.isArray(v)) throw new ParquetError(`${where}: ${path.join('.')} must be a list`);
    const itemPath = [...path, 'list', 'element'];
    if (v.length === 0) {
      for (const leaf of leavesUnder(t.item, itemPath, leaves)) {
        leaf.reps.push(r);
        leaf.defs.push(d);
      }
      return;
    }
    v.forEach((el, i) => shred(t.item, el, itemPath, i === 0 ? r : depth + 1, d + 1, depth + 1, leaves, where));
    return;
  }
  const leaf = leaves.get(path.join('\u0000'))!;
  const ok = t.kind === 'string' ? typeof v === 'string' : t.kind === 'bool' ? typeof v === 'boolean' : t.kind === 'int64' ? Number.isSafeInteger(v) || typeof v === 'bigint' : typeof v === 'number';
  if (!ok) throw new ParquetError(`${where}: ${path.join('.')} must be ${t.kind}, got ${JSON.stringify(v)}`);
  leaf.reps.push(r);
  leaf.defs.push(d);
  leaf.values.push(v);
}

function leavesUnder(t: ParquetType, path: string[], leaves: Map<string, Leaf>): Leaf[] {
  const found: Leaf[] = [];
  const walk = (x: ParquetType, p: string[]) => {
    if (x.kind === 'struct') for (const [n, ft] of x.fields) walk(ft, [...p, n]);
    else if (x.kind === 'list') walk(x.item, [...p, 'list', 'element']);
    else found.push(leaves.get(p.join('\u0000'))!);
  };
  walk(t, path);
  return found;
}

function schemaElements(name: string, t: ParquetType, isRoot: boolean, out: ((th: Thrift) => void)[]): void {
  if (t.kind === 'struct') {
    out.push((e) => {
      if (!isRoot) e.i32(3, REQUIRED);
      e.string(4, name);
      e.i32(5, t.fields.length);
    });
    for (const [n, ft] of t.fields) schemaElements(n, ft, false, out);
  } else if (t.kind === 'list') {
    out.push((e) => {
      e.i32(3, REQUIRED);
      e.string(4, name);
      e.i32(5, 1);
      e.i32(6, CONVERTED_LIST);
    });
    out.push((e) => {
      e.i32(3, REPEATED);
      e.string(4, 'list');
      e.i32(5, 1);
    });
    schemaElements('element', t.item, false, out);
  } else {
    out.push((e) => {
      e.i32(1, PHYSICAL[t.kind]);
      e.i32(3, REQUIRED);
      e.string(4, name);
      if (t.kind === 'string') e.i32(6, CONVERTED_UTF8);
    });
  }
}

const bitWidth = (max: number) => Math.max(1, Math.ceil(Math.log2(max + 1)));

/** Levels as RLE runs of the RLE/bit-packed hybrid: varint(count << 1), then the value in ceil(width/8) bytes. */
function rleLevels(levels: number[], width: number): Uint8Array {
  const w = new ByteWriter();
  const valueBytes = Math.ceil(width / 8);
  for (let i = 0; i < levels.length; ) {
    let j = i;
    while (j < levels.length && levels[j] === levels[i]) j++;
    w.varint((j - i) << 1);
    for (let b = 0; b < valueBytes; b++) w.byte((levels[i] >> (8 * b)) & 0xff);
    i = j;
  }
  return w.finish();
}

function plainValues(t: Primitive, values: unknown[], w: ByteWriter): void {
  const enc = new TextEncoder();
  switch (t.kind) {
    case 'string':
      for (const v of values) w.lengthPrefixed(enc.encode(v as string));
      return;
    case 'int64':
      for (const v of values) w.i64(BigInt(v as number | bigint));
      return;
    case 'double':
      for (const v of values) w.f64(v as number);
      return;
    case 'bool': {
      const bytes = new Uint8Array(Math.ceil(values.length / 8));
      values.forEach((v, i) => {
        if (v) bytes[i >> 3] |= 1 << (i & 7);
      });
      w.bytes(bytes);
    }
  }
}

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

class ByteWriter {
  private parts: Uint8Array[] = [];
  length = 0;
  bytes(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }
  byte(x: number): void {
    this.bytes(Uint8Array.of(x));
  }
  u32(x: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, x, true);
    this.bytes(b);
  }
  i64(x: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, x, true);
    this.bytes(b);
  }
  f64(x: number): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, true);
    this.bytes(b);
  }
  lengthPrefixed(b: Uint8Array): void {
    this.u32(b.length);
    this.bytes(b);
  }
  varint(x: number | bigint): void {
    let v = BigInt(x);
    const out: number[] = [];
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) byte |= 0x80;
      out.push(byte);
    } while (v > 0n);
    this.bytes(Uint8Array.from(out));
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

/** Thrift compact protocol, the subset parquet.thrift needs: i32, i64, binary, lists, nested structs. */
class Thrift {
  private w = new ByteWriter();
  private last = 0;
  private header(id: number, type: number): void {
    const delta = id - this.last;
    if (delta > 0 && delta <= 15) this.w.byte((delta << 4) | type);
    else {
      this.w.byte(type);
      this.w.varint(zigzag(BigInt(id)));
    }
    this.last = id;
  }
  i32(id: number, v: number): void {
    this.header(id, 5);
    this.w.varint(zigzag(BigInt(v)));
  }
  i64(id: number, v: number): void {
    this.header(id, 6);
    this.w.varint(zigzag(BigInt(v)));
  }
  string(id: number, s: string): void {
    this.header(id, 8);
    const b = new TextEncoder().encode(s);
    this.w.varint(b.length);
    this.w.bytes(b);
  }
  private listHeader(size: number, elemType: number): void {
    if (size < 15) this.w.byte((size << 4) | elemType);
    else {
      this.w.byte(0xf0 | elemType);
      this.w.varint(size);
    }
  }
  i32List(id: number, vs: number[]): void {
    this.header(id, 9);
    this.listHeader(vs.length, 5);
    for (const v of vs) this.w.varint(zigzag(BigInt(v)));
  }
  stringList(id: number, vs: string[]): void {
    this.header(id, 9);
    this.listHeader(vs.length, 8);
    for (const s of vs) {
      const b = new TextEncoder().encode(s);
      this.w.varint(b.length);
      this.w.bytes(b);
    }
  }
  struct(id: number, fill: (t: Thrift) => void): void {
    this.header(id, 12);
    this.w.bytes(Thrift.body(fill));
  }
  structList(id: number, items: ((t: Thrift) => void)[]): void {
    this.header(id, 9);
    this.listHeader(items.length, 12);
    for (const fill of items) this.w.bytes(Thrift.body(fill));
  }
  static body(fill: (t: Thrift) => void): Uint8Array {
    const t = new Thrift();
    fill(t);
    return t.finish();
  }
  finish(): Uint8Array {
    this.w.byte(0); // STOP
    return this.w.finish();
  }
}

const zigzag = (v: bigint) => (v << 1n) ^ (v >> 63n);
