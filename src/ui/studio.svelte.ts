// Studio-wide UI state (runes class): the engine worker, the GPU adapter, storage, and the current section.
import type { GpuReport } from '../gpu/gpu-report.ts';
import type { SelfTestResult } from '../gpu/selftest.ts';
import { EngineClient, EngineError } from '../worker/engine-client.ts';
import type { WireError } from '../worker/protocol.ts';

export const SECTIONS = ['models', 'tools', 'datasets', 'train', 'reward', 'evaluate', 'chat'] as const;
export type Section = (typeof SECTIONS)[number] | 'home';

export interface StorageInfo {
  usedBytes: number;
  quotaBytes: number;
  persisted: boolean;
}

function sectionFromHash(hash: string): Section {
  const name = hash.replace(/^#\/?/, '');
  return (SECTIONS as readonly string[]).includes(name) ? (name as Section) : 'home';
}

export class Studio {
  engine: EngineClient | null = null;
  section = $state<Section>('home');
  gpu = $state<GpuReport | null>(null);
  gpuError = $state<WireError | null>(null);
  gpuStatus = $state<'starting' | 'ready' | 'failed' | 'lost'>('starting');
  storage = $state<StorageInfo | null>(null);
  selfTest = $state<SelfTestResult | null>(null);
  selfTestRunning = $state(false);
  selfTestError = $state<string | null>(null);

  start(): void {
    this.section = sectionFromHash(location.hash);
    addEventListener('hashchange', () => (this.section = sectionFromHash(location.hash)));
    void this.refreshStorage();
    if (typeof Worker === 'undefined') {
      this.fail({ name: 'WebGpuUnavailableError', message: 'This browser has no Web Workers, which the engine needs.' });
      return;
    }
    this.engine = new EngineClient();
    this.engine.onEvent((ev) => {
      if (ev.type === 'device-lost') {
        this.gpuStatus = 'lost';
        this.gpuError = ev.error;
      } else if (ev.type === 'gpu-error') {
        console.error('[webgpu]', ev.message);
      }
    });
    void this.connectGpu();
  }

  async connectGpu(): Promise<void> {
    if (!this.engine) return;
    this.gpuStatus = 'starting';
    this.gpuError = null;
    try {
      const reply = await this.engine.request({ type: 'init' });
      this.gpu = reply.report;
      this.gpuStatus = 'ready';
    } catch (e) {
      this.fail(e instanceof EngineError ? { name: e.name, message: e.message, help: e.help } : { name: 'Error', message: String(e) });
    }
  }

  async runSelfTest(): Promise<void> {
    if (!this.engine) return;
    this.selfTestRunning = true;
    this.selfTestError = null;
    try {
      const n = 1000 + Math.floor(Math.random() * 1000);
      const reply = await this.engine.request({ type: 'selftest', n, seed: Date.now() >>> 0 });
      this.selfTest = reply.result;
    } catch (e) {
      this.selfTestError = (e as Error).message;
    } finally {
      this.selfTestRunning = false;
    }
  }

  async refreshStorage(): Promise<void> {
    if (!navigator.storage?.estimate) return;
    const est = await navigator.storage.estimate();
    const persisted = (await navigator.storage.persisted?.()) ?? false;
    this.storage = { usedBytes: est.usage ?? 0, quotaBytes: est.quota ?? 0, persisted };
  }

  private fail(err: WireError): void {
    this.gpuStatus = 'failed';
    this.gpuError = err;
  }
}

export const studio = new Studio();
