// Small buffer helpers shared by the engine and the self-test: upload typed arrays, read results back.

/** Copies `data` into a new storage buffer (size rounded up to 4 bytes as WebGPU requires). */
export function uploadBuffer(device: GPUDevice, data: ArrayBufferView, usage: number = GPUBufferUsage.STORAGE, label?: string): GPUBuffer {
  const size = Math.max(4, Math.ceil(data.byteLength / 4) * 4);
  const buffer = device.createBuffer({ size, usage: usage | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC, mappedAtCreation: true, label });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

/** A uniform buffer from 32-bit words (u32/f32 mixed in one ArrayBuffer), padded to 16 bytes. */
export function uniformBuffer(device: GPUDevice, words: ArrayBuffer, label?: string): GPUBuffer {
  const size = Math.max(16, Math.ceil(words.byteLength / 16) * 16);
  const buffer = device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, mappedAtCreation: true, label });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(words));
  buffer.unmap();
  return buffer;
}

/** Reads `byteLength` bytes of `src` back to the CPU (one staging copy; awaits the GPU). */
export async function readBuffer(device: GPUDevice, src: GPUBuffer, byteLength = src.size, offset = 0): Promise<ArrayBuffer> {
  const size = Math.ceil(byteLength / 4) * 4;
  const staging = device.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, offset, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return copy;
}

export async function readF32(device: GPUDevice, src: GPUBuffer, count?: number): Promise<Float32Array> {
  return new Float32Array(await readBuffer(device, src, (count ?? src.size / 4) * 4));
}
