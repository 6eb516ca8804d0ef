// What the studio tells the user about the WebGPU adapter it runs on: name, kind, features and limits.

/** CPU adapters (lavapipe, SwiftShader) are ~1000x slower than GPUs: kernels pick different tile shapes for them. */
export type AdapterKind = 'gpu' | 'cpu';

export interface GpuReport {
  /** Short human name: "llvmpipe", "swiftshader", "NVIDIA H200", ... */
  name: string;
  vendor: string;
  architecture: string;
  description: string;
  kind: AdapterKind;
  /** Optional features the device was created with (only those the engine may use). */
  features: string[];
  /** The limits the device was created with (the adapter's real maxima for the ones we ask for). */
  limits: Record<string, number>;
  /** Subgroup size range when the adapter reports it. */
  subgroupSizes?: [number, number];
}

/** Features the engine uses when present; each has a tested fallback. */
export const OPTIONAL_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query'] as const;

/** Limits raised to the adapter's maximum instead of WebGPU's conservative defaults. */
export const REQUESTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
] as const;

const CPU_MARKERS = /llvmpipe|lavapipe|swiftshader|software|cpu/i;

export function describeAdapter(adapter: GPUAdapter, device: GPUDevice): GpuReport {
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  const fallback = (info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  const kind: AdapterKind = fallback || CPU_MARKERS.test(text) ? 'cpu' : 'gpu';
  const name = /swiftshader/i.test(text)
    ? 'swiftshader'
    : /llvmpipe|lavapipe/i.test(text)
      ? 'llvmpipe'
      : info.description || info.device || info.vendor || 'unknown adapter';
  const limits: Record<string, number> = {};
  for (const key of REQUESTED_LIMITS) limits[key] = Number(device.limits[key]);
  const sub = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return {
    name,
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    kind,
    features: OPTIONAL_FEATURES.filter((f) => device.features.has(f)),
    limits,
    subgroupSizes: sub.subgroupMinSize ? [sub.subgroupMinSize, sub.subgroupMaxSize ?? sub.subgroupMinSize] : undefined,
  };
}
