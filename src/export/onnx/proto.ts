// ONNX's protobuf messages, written by hand (the subset a decoder graph needs): ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto (raw_data), ValueInfoProto. Field numbers are onnx.proto3's; wire format is protobuf's.

export const DT = { FLOAT: 1, INT64: 7, BOOL: 9 } as const;

class Pb {
  private parts: number[] = [];
  private chunks: Uint8Array[] = [];
  private flushParts(): void {
    if (this.parts.length) {
      this.chunks.push(Uint8Array.from(this.parts));
      this.parts = [];
    }
  }
  varint(v: number | bigint): this {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x > 0n) b |= 0x80;
      this.parts.push(b);
    } while (x > 0n);
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.flushParts();
    this.chunks.push(b);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: Pb): this {
    return this.bytes(field, m.finish());
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.flushParts();
    this.chunks.push(b);
    return this;
  }
  finish(): Uint8Array {
    this.flushParts();
    const n = this.chunks.reduce((s, c) => s + c.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

export type AttrValue = number | number[] | string | { float: number } | { tensor: OnnxTensor };

export interface OnnxNode {
  op: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attrs?: Record<string, AttrValue>;
}

export interface OnnxTensor {
  name: string;
  dataType: number;
  dims: number[];
  /** Little-endian raw bytes. */
  raw: Uint8Array;
}

/** A graph input/output: element type and dims (a string is a symbolic dim such as "batch_size"). */
export interface OnnxValue {
  name: string;
  dataType: number;
  dims: (number | string)[];
}

function tensorProto(t: OnnxTensor): Pb {
  const m = new Pb();
  for (const d of t.dims) m.int(1, d);
  m.int(2, t.dataType);
  m.string(8, t.name);
  m.bytes(9, t.raw);
  return m;
}

function attrProto(name: string, v: AttrValue): Pb {
  const a = new Pb().string(1, name);
  if (typeof v === 'number') return a.int(3, v).int(20, 2);
  if (typeof v === 'string') return a.string(4, v).int(20, 3);
  if (Array.isArray(v)) {
    for (const x of v) a.int(8, x);
    return a.int(20, 7);
  }
  if ('float' in v) return a.float(2, v.float).int(20, 1);
  return a.msg(5, tensorProto(v.tensor)).int(20, 4);
}

function valueInfo(v: OnnxValue): Pb {
  const shape = new Pb();
  for (const d of v.dims) shape.msg(1, typeof d === 'number' ? new Pb().int(1, d) : new Pb().string(2, d));
  const tensorType = new Pb().int(1, v.dataType).msg(2, shape);
  return new Pb().string(1, v.name).msg(2, new Pb().msg(1, tensorType));
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValue[];
  outputs: OnnxValue[];
}

/** A ModelProto (IR version 8, default-domain opset `opset`) as bytes. */
export function encodeModel(g: OnnxGraph, opset = 17, producer = 'tool-use-rl-studio'): Uint8Array {
  const graph = new Pb();
  for (const n of g.nodes) {
    const node = new Pb();
    for (const i of n.inputs) node.string(1, i);
    for (const o of n.outputs) node.string(2, o);
    node.string(3, n.name).string(4, n.op);
    for (const [k, v] of Object.entries(n.attrs ?? {})) node.msg(5, attrProto(k, v));
    graph.msg(1, node);
  }
  graph.string(2, g.name);
  for (const t of g.initializers) graph.msg(5, tensorProto(t));
  for (const v of g.inputs) graph.msg(11, valueInfo(v));
  for (const v of g.outputs) graph.msg(12, valueInfo(v));
  return new Pb()
    .int(1, 8)
    .string(2, producer)
    .msg(7, graph)
    .msg(8, new Pb().string(1, '').int(2, opset))
    .finish();
}

export function f32Tensor(name: string, dims: number[], values: Float32Array | number[]): OnnxTensor {
  const f = values instanceof Float32Array ? values : Float32Array.from(values);
  return { name, dataType: DT.FLOAT, dims, raw: new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)) };
}

export function i64Tensor(name: string, dims: number[], values: number[]): OnnxTensor {
  const b = new BigInt64Array(values.map((v) => BigInt(v)));
  return { name, dataType: DT.INT64, dims, raw: new Uint8Array(b.buffer) };
}
