// Reuses GPU storage buffers by size class, so a training step allocates nothing after the first one.

/** Usage every pooled buffer gets: bound as storage, copied to (uploads, clears) and from (readbacks). */
const POOL_USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/**
 * Rounds a byte count up to its size class: powers of two and 1.5x powers of two (at most 1.5x the request),
 * at least 256 bytes, so buffers of nearby sizes share one free list.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 4) * 4);
  const p = 2 ** Math.ceil(Math.log2(b));
  const mid = (p / 4) * 3;
  return b <= mid ? mid : p;
}

export interface PoolStats {
  /** Bytes of GPU memory the pool has created (live buffers, in use or free). */
  bytesLive: number;
  /** Bytes handed out and not yet released. */
  bytesInUse: number;
  /** Bytes of new GPU allocations since the last resetCounters(). */
  bytesAllocated: number;
  /** Number of new GPU allocations since the last resetCounters(). */
  allocations: number;
}

/**
 * Free buffers of one size class, kept sorted by creation order and handed out oldest first. Handing out by a fixed
 * order (not last-released-first) makes the buffers a step gets a function of the set that is free, not of the order
 * of the previous step's releases: a repeated step gets the same buffers at the same places, so its bind groups are
 * the cached ones.
 */
class FreeList {
  /** Descending by id: the oldest buffer is last. */
  private readonly items: Array<{ id: number; buf: GPUBuffer }> = [];
  get length(): number {
    return this.items.length;
  }
  push(id: number, buf: GPUBuffer): void {
    const a = this.items;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid].id > id) lo = mid + 1;
      else hi = mid;
    }
    a.splice(lo, 0, { id, buf });
  }
  pop(): GPUBuffer | undefined {
    return this.items.pop()?.buf;
  }
  all(): GPUBuffer[] {
    return this.items.map((x) => x.buf);
  }
}

export class BufferPool {
  private readonly free = new Map<number, FreeList>();
  private readonly classOf = new WeakMap<GPUBuffer, number>();
  private readonly idOf = new WeakMap<GPUBuffer, number>();
  private nextId = 1;
  readonly stats: PoolStats = { bytesLive: 0, bytesInUse: 0, bytesAllocated: 0, allocations: 0 };

  constructor(private readonly device: GPUDevice) {}

  /** A buffer of at least `bytes` bytes; contents are undefined (a reused buffer holds old data). */
  acquire(bytes: number, label?: string): GPUBuffer {
    if (!(bytes >= 0) || !Number.isFinite(bytes)) throw new Error(`BufferPool.acquire: invalid size ${bytes}`);
    // A whole buffer is bound as storage: keep the rounded size within the binding limit (lavapipe: 128 MiB).
    const bindMax = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > bindMax) {
      throw new Error(`BufferPool: a ${bytes}-byte tensor exceeds this adapter's maxStorageBufferBindingSize (${bindMax}); split it (e.g. compute logits in chunks of rows)`);
    }
    const cls = Math.min(sizeClass(bytes), Math.floor(bindMax / 4) * 4);
    const list = this.free.get(cls);
    let buf = list?.pop();
    if (!buf) {
      const max = this.device.limits.maxBufferSize;
      if (cls > max) throw new Error(`BufferPool: ${bytes} bytes exceed this adapter's maxBufferSize (${max}); use a smaller batch, sequence or model`);
      buf = this.device.createBuffer({ size: cls, usage: POOL_USAGE(), label });
      this.classOf.set(buf, cls);
      this.idOf.set(buf, this.nextId++);
      this.stats.bytesLive += cls;
      this.stats.bytesAllocated += cls;
      this.stats.allocations++;
    }
    this.stats.bytesInUse += cls;
    return buf;
  }

  /** Returns a buffer for reuse. Later GPU commands may overwrite it, earlier recorded ones still see their data. */
  release(buf: GPUBuffer): void {
    const cls = this.classOf.get(buf);
    if (cls === undefined) throw new Error('BufferPool.release: buffer was not acquired from this pool');
    this.stats.bytesInUse -= cls;
    let list = this.free.get(cls);
    if (!list) this.free.set(cls, (list = new FreeList()));
    list.push(this.idOf.get(buf)!, buf);
  }

  /** Frees the GPU memory of every buffer not in use (e.g. after a model is unloaded). */
  trim(): void {
    for (const [cls, list] of this.free) {
      for (const b of list.all()) {
        b.destroy();
        this.stats.bytesLive -= cls;
      }
    }
    this.free.clear();
  }

  resetCounters(): void {
    this.stats.bytesAllocated = 0;
    this.stats.allocations = 0;
  }
}
