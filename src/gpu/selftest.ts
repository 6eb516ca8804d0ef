// Runs the self-test kernel on random input and checks it against the same formula in float64 on the CPU.
import source from '../../shaders/selftest_affine.wgsl?raw';
import { Rng } from '../util/rng.ts';
import { readF32, uniformBuffer, uploadBuffer } from './buffers.ts';

export interface SelfTestResult {
  n: number;
  /** max |gpu - cpu| / max(1, |cpu|) over all elements. */
  maxRelError: number;
  ok: boolean;
  /** A few (index, gpu, cpu) samples to show the user. */
  samples: Array<{ i: number; gpu: number; cpu: number }>;
  ms: number;
}

export async function runSelfTest(device: GPUDevice, n = 1000 + 37, seed = 1): Promise<SelfTestResult> {
  const t0 = performance.now();
  const rng = new Rng(seed);
  const x = rng.floats(n, -10, 10);
  const a = rng.uniform(-2, 2);
  const b = rng.uniform(-0.01, 0.01);

  const params = new ArrayBuffer(12);
  new Uint32Array(params, 0, 1)[0] = n;
  new Float32Array(params, 4, 2).set([a, b]);
  const xBuf = uploadBuffer(device, x);
  // Poison the output so an element the kernel never writes fails the check.
  const yBuf = uploadBuffer(device, new Float32Array(n).fill(Number.NaN));
  const pBuf = uniformBuffer(device, params);

  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module: device.createShaderModule({ code: source }), entryPoint: 'main' } });
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [pBuf, xBuf, yBuf].map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  device.queue.submit([enc.finish()]);
  const y = await readF32(device, yBuf, n);
  for (const buf of [xBuf, yBuf, pBuf]) buf.destroy();

  // The GPU got f32 copies of a and b: the reference uses the same rounded values, in float64.
  const af = Math.fround(a);
  const bf = Math.fround(b);
  let maxRelError = 0;
  for (let i = 0; i < n; i++) {
    const ref = af * x[i] + bf * i;
    const err = Math.abs(y[i] - ref) / Math.max(1, Math.abs(ref));
    maxRelError = Number.isNaN(err) ? Infinity : Math.max(maxRelError, err);
  }
  const samples = [0, 1, n >> 1, n - 1].map((i) => ({ i, gpu: y[i], cpu: af * x[i] + bf * i }));
  return { n, maxRelError, ok: maxRelError < 1e-5, samples, ms: performance.now() - t0 };
}
