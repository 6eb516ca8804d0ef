// `npm run gpu:info`: prints the WebGPU adapter Node gets on this machine (honours STUDIO_GPU), then runs the self-test.
import { openNodeDevice } from '../gpu/node-gpu.ts';
import { runSelfTest } from '../gpu/selftest.ts';

try {
  const ctx = await openNodeDevice();
  const { report } = ctx;
  console.log(`adapter:  ${report.name} (${report.kind.toUpperCase()}) — ${report.description}`);
  console.log(`vendor:   ${report.vendor} / ${report.architecture}`);
  console.log(`features: ${report.features.join(', ') || 'none'}`);
  for (const [k, v] of Object.entries(report.limits)) console.log(`  ${k.padEnd(36)} ${v}`);
  const r = await runSelfTest(ctx.device);
  console.log(`self-test: ${r.ok ? 'verified' : 'MISMATCH'} on ${r.n} elements, max relative error ${r.maxRelError.toExponential(2)}`);
  ctx.device.destroy();
  process.exit(r.ok ? 0 : 1);
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
