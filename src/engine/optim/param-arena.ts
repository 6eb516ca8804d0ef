// Trainable parameters laid out in a few shared buffers, with gradient slots and Adam moments in the same layout,
// so the gradient norm and AdamW run once per buffer (a handful of dispatches for hundreds of LoRA tensors) instead
// of twice per tensor. Each parameter keeps its identity (models hold it by reference); it now binds a range of the
// arena (Tensor.offset), and its gradient is written straight into its slot by the backward pass.
import type { Engine } from '../engine.ts';
import { Storage, Tensor } from '../tensor.ts';

/** Offsets are multiples of this (WebGPU's minStorageBufferOffsetAlignment is at most 256). */
const ALIGN = 256;

export interface ArenaGroup {
  params: Tensor[];
  /** Byte offset of each parameter in the group's buffers. */
  offsets: number[];
  /** Elements of the group's flat buffers (including the alignment gaps, which hold zeros). */
  size: number;
  /** The flat buffers as tensors: parameters, gradients, first and second moments. */
  flat: Tensor;
  grad: Tensor;
  m: Tensor;
  v: Tensor;
}

function flatTensor(e: Engine, size: number, label: string): Tensor {
  const bytes = size * 4;
  const buffer = e.device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST, label });
  e.batch.clear(buffer, bytes);
  const t = new Tensor(e, [size], 'f32', new Storage(buffer, bytes, false), label);
  return e.keep(t);
}

export class ParamArena {
  readonly groups: ArenaGroup[] = [];
  /** Per parameter (in the order given): its moments as views of the group's m and v. */
  readonly m: Tensor[] = [];
  readonly v: Tensor[] = [];

  /**
   * Moves `params` (f32) into arenas of at most `maxBytes` each (default: the adapter's binding limit, at most
   * 256 MiB); a parameter larger than that gets a group of its own. Records copies, flushes, then frees the old buffers.
   */
  constructor(
    private readonly e: Engine,
    params: Tensor[],
    maxBytes = Math.min(e.device.limits.maxStorageBufferBindingSize, 256 * 2 ** 20),
  ) {
    let current: Tensor[] = [];
    let bytes = 0;
    const plans: Tensor[][] = [];
    for (const p of params) {
      if (p.dtype !== 'f32') throw new Error(`ParamArena: parameter ${p.label} has dtype ${p.dtype}; only f32 parameters train`);
      if (p.gradSlot) throw new Error(`ParamArena: parameter ${p.label} already belongs to an optimizer (dispose it first)`);
      const b = Math.ceil(p.bytes / ALIGN) * ALIGN;
      if (current.length && bytes + b > maxBytes) {
        plans.push(current);
        current = [];
        bytes = 0;
      }
      current.push(p);
      bytes += b;
    }
    if (current.length) plans.push(current);
    for (const [gi, ps] of plans.entries()) {
      const offsets: number[] = [];
      let at = 0;
      for (const p of ps) {
        offsets.push(at);
        at += Math.ceil(p.bytes / ALIGN) * ALIGN;
      }
      const size = at / 4;
      const flat = flatTensor(e, size, `arena${gi}.params`);
      const grad = flatTensor(e, size, `arena${gi}.grad`);
      const m = flatTensor(e, size, `arena${gi}.adam_m`);
      const v = flatTensor(e, size, `arena${gi}.adam_v`);
      ps.forEach((p, i) => {
        e.batch.copy(p.storageBuffer, p.offset, flat.storageBuffer, offsets[i], p.bytes);
        const slot = (t: Tensor, label: string) => {
          const s = new Tensor(e, p.shape, 'f32', t.storage, label, offsets[i]);
          t.storage.refs++;
          s.pinned = true;
          return s;
        };
        p.gradSlot = slot(grad, `${p.label}.grad`);
        this.m.push(slot(m, `${p.label}.adam_m`));
        this.v.push(slot(v, `${p.label}.adam_v`));
      });
      this.groups.push({ params: ps, offsets, size, flat, grad, m, v });
    }
    // The copies must run before the old buffers can be freed (a destroyed buffer fails the submit that reads it).
    e.flush();
    for (const g of this.groups) g.params.forEach((p, i) => p.relocate(g.flat.storage, g.offsets[i]));
  }

  /**
   * Gives the parameters their own buffers back (copies, in command order) and frees the arena. Their values
   * stay; gradients and moments go.
   */
  dispose(): void {
    const e = this.e;
    for (const g of this.groups) {
      g.params.forEach((p) => {
        const own = e.empty(p.shape, 'f32', p.label);
        e.keep(own);
        e.copy(p, 0, own, 0, p.bytes);
        if (p.grad === p.gradSlot) p.grad = null;
        p.gradSlot?.unpin();
        p.gradSlot = null;
        p.relocate(own.storage, 0);
        own.release(); // p holds the storage now
      });
    }
    for (const t of [...this.m, ...this.v]) t.unpin();
    e.flush();
    for (const g of this.groups) for (const t of [g.flat, g.grad, g.m, g.v]) t.release();
    this.groups.length = 0;
  }
}
