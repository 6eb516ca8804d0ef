// Turns a WebGPU entry point (navigator.gpu in the browser, Dawn's GPU object in Node) into a ready device.
import { DeviceLostError, WebGpuUnavailableError } from './errors.ts';
import { describeAdapter, OPTIONAL_FEATURES, REQUESTED_LIMITS, type GpuReport } from './gpu-report.ts';

export interface GpuContext {
  device: GPUDevice;
  report: GpuReport;
  /** Resolves once if the device is lost (never for a healthy device). Destroying it ourselves resolves with reason "destroyed". */
  lost: Promise<DeviceLostError>;
  /** True once the device is lost; every later GPU call must be refused with `lostError`. */
  isLost(): boolean;
}

export interface OpenDeviceOptions {
  powerPreference?: GPUPowerPreference;
  /** Called once when the device is lost for any reason other than our own destroy(). */
  onLost?: (err: DeviceLostError) => void;
  /** Called for uncaptured validation/out-of-memory errors (a bug or an OOM: never swallowed). */
  onUncapturedError?: (message: string) => void;
  /** Help lines for the "no adapter" error (browser or Node wording). */
  help: string[];
}

export async function openDevice(gpu: GPU | undefined, opts: OpenDeviceOptions): Promise<GpuContext> {
  if (!gpu) throw new WebGpuUnavailableError('this environment has no WebGPU entry point (navigator.gpu is missing)', opts.help);
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new WebGpuUnavailableError(`requestAdapter failed: ${(e as Error).message}`, opts.help);
  }
  if (!adapter) throw new WebGpuUnavailableError('no GPU adapter was found (WebGPU is present but disabled or blocklisted, or no driver)', opts.help);

  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f)) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const key of REQUESTED_LIMITS) requiredLimits[key] = Number(adapter.limits[key]);
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });

  let lostFlag = false;
  const lost = device.lost.then((info) => {
    lostFlag = true;
    const err = new DeviceLostError(info.reason ?? 'unknown', info.message);
    if (info.reason !== 'destroyed') opts.onLost?.(err);
    return err;
  });
  device.addEventListener('uncapturederror', (ev) => {
    const message = (ev as GPUUncapturedErrorEvent).error.message;
    if (opts.onUncapturedError) opts.onUncapturedError(message);
    else console.error(`[webgpu] uncaptured error: ${message}`);
  });
  return { device, report: describeAdapter(adapter, device), lost, isLost: () => lostFlag };
}
