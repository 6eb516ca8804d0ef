// The GPU tensor: a shape, a dtype and a reference-counted pooled buffer (views share the buffer).
import type { Engine } from './engine.ts';

/**
 * f32: 32-bit floats. u32: indices, token ids, masks. f16x2: frozen weights stored as packed halves
 * (element i is half (i & 1) of word i >> 1, as `unpack2x16float` reads it).
 */
export type DType = 'f32' | 'u32' | 'f16x2';

export function byteSize(dtype: DType, size: number): number {
  return dtype === 'f16x2' ? Math.ceil(size / 2) * 4 : size * 4;
}

/** The buffer behind one or more tensors; returned to the pool when the last tensor using it is released. */
export class Storage {
  refs = 1;
  constructor(
    public buffer: GPUBuffer | null,
    readonly bytes: number,
    /** Pool-owned buffers go back to the pool; others are destroyed. */
    readonly pooled: boolean,
  ) {}
}

let nextId = 1;

export class Tensor {
  readonly id = nextId++;
  readonly size: number;
  /** True for trainable leaves (parameters): backward() accumulates into `.grad`. */
  requiresGrad = false;
  /** True when a gradient flows to this tensor (a parameter, or the output of an op on one). */
  needsGrad = false;
  /** Accumulated gradient of a leaf after backward(). */
  grad: Tensor | null = null;
  /** CPU copy of the contents, kept for u32 index tensors whose backward needs them (embedding ids). */
  host: Uint32Array | null = null;
  /**
   * A parameter's gradient slot in its optimizer's arena (ParamArena): backward writes the gradient there, so the
   * optimizer and the gradient norm see all gradients of a group in one buffer.
   */
  gradSlot: Tensor | null = null;
  /** Owned by a longer-lived structure (an arena slot): release() leaves it alone; it is updated in place. */
  pinned = false;
  private released = false;

  constructor(
    readonly engine: Engine,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly storage: Storage,
    public label = '',
    /** Byte offset in the storage buffer: non-zero for tensors that share one buffer (an optimizer's arena). */
    readonly offset = 0,
  ) {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new Error(`Tensor ${label}: invalid shape [${shape.join(', ')}]`);
    }
    this.size = shape.reduce((a, b) => a * b, 1);
  }

  /**
   * The whole GPU buffer, for a tensor that starts at its beginning. A tensor inside a shared buffer (offset > 0)
   * refuses, so code that binds or copies raw buffers cannot silently touch its neighbours: pass the tensor itself
   * to engine.run (it binds the tensor's range), and use write() / engine.copy() / read().
   */
  get buffer(): GPUBuffer {
    const b = this.storageBuffer;
    if (this.offset !== 0) throw new Error(`Tensor ${this.label || this.id} lives at byte ${this.offset} of a shared buffer: bind the tensor itself (engine.run accepts tensors) or use write()/engine.copy()`);
    return b;
  }

  /** The underlying buffer whatever the offset (for code that adds `offset` itself). */
  get storageBuffer(): GPUBuffer {
    if (this.released || !this.storage.buffer) throw new Error(`Tensor ${this.label || this.id} [${this.shape.join(', ')}] was used after release()`);
    return this.storage.buffer;
  }

  /** What engine.run binds: the whole buffer, or this tensor's range of a shared one (16-byte multiple). */
  get binding(): GPUBuffer | { buffer: GPUBuffer; offset: number; size: number } {
    const buffer = this.storageBuffer;
    if (this.offset === 0) return buffer;
    // Made once per buffer (arena slots are bound every step; relocate() moves the tensor to another buffer).
    if (this.range?.buffer !== buffer) this.range = { buffer, offset: this.offset, size: Math.min(Math.max(16, Math.ceil(this.bytes / 16) * 16), buffer.size - this.offset) };
    return this.range;
  }
  private range: { readonly buffer: GPUBuffer; readonly offset: number; readonly size: number } | null = null;

  /** Uploads data into this tensor (in command order, like every other recorded command). */
  write(data: Float32Array | Uint32Array): void {
    if (data.byteLength !== this.bytes) throw new Error(`write to ${this.label || 'tensor'} [${this.shape.join(', ')}]: ${data.byteLength} bytes for ${this.bytes}`);
    this.engine.batch.upload(data, this.storageBuffer, this.offset);
  }

  get isReleased(): boolean {
    return this.released;
  }

  get bytes(): number {
    return byteSize(this.dtype, this.size);
  }

  /** A tensor of another shape over the same buffer (same number of elements). */
  view(shape: readonly number[], label = this.label): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== this.size) throw new Error(`view of ${this.label || 'tensor'} [${this.shape.join(', ')}] as [${shape.join(', ')}]: element counts differ`);
    void this.storageBuffer; // throws if released
    this.storage.refs++;
    const t = new Tensor(this.engine, shape, this.dtype, this.storage, label, this.offset);
    t.host = this.host;
    return t;
  }

  /** A view of the first elements of this buffer (e.g. the loss slot of a (loss, count) pair). */
  head(shape: readonly number[], label = this.label): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size > this.size) throw new Error(`head of ${this.label || 'tensor'} [${this.shape.join(', ')}] as [${shape.join(', ')}]: too many elements`);
    void this.storageBuffer;
    this.storage.refs++;
    return new Tensor(this.engine, shape, this.dtype, this.storage, label, this.offset);
  }

  /** Schedules a copy to the CPU (in order with recorded work) and flushes; resolves when the GPU is done. */
  async read(): Promise<Float32Array> {
    const p = this.readLater();
    this.engine.flush();
    return p;
  }

  async readU32(): Promise<Uint32Array> {
    const p = this.engine.batch.readback(this.storageBuffer, this.bytes, this.offset);
    this.engine.flush();
    return new Uint32Array(await p);
  }

  /** Schedules a copy to the CPU without flushing: it travels with the next flush (e.g. the loss of a step). */
  async readLater(): Promise<Float32Array> {
    if (this.dtype !== 'f32') throw new Error(`read() of a ${this.dtype} tensor: use readU32()`);
    return new Float32Array(await this.engine.batch.readback(this.storageBuffer, this.bytes, this.offset));
  }

  /**
   * Moves this tensor to another storage (an arena), keeping its identity (models hold parameters by reference).
   * The caller has copied the data there; the old storage is released.
   */
  relocate(storage: Storage, offset: number): void {
    const old = this.storage;
    if (--old.refs === 0 && old.buffer) {
      if (old.pooled) this.engine.pool.release(old.buffer);
      else old.buffer.destroy();
      old.buffer = null;
    }
    storage.refs++;
    (this as { storage: Storage }).storage = storage;
    (this as { offset: number }).offset = offset;
    this.range = null;
  }

  /** Unpins and releases (the arena that pinned this tensor is being disposed). */
  unpin(): void {
    this.pinned = false;
    this.release();
  }

  /** Gives the buffer back (to the pool when no other view uses it). Recorded commands still see the data. */
  release(): void {
    if (this.released || this.pinned) return;
    this.released = true;
    const s = this.storage;
    if (--s.refs === 0 && s.buffer) {
      if (s.pooled) this.engine.pool.release(s.buffer);
      else s.buffer.destroy();
      s.buffer = null;
    }
  }
}
