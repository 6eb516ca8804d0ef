// The engine worker: owns the GPU device, so no GPU work ever runs on the UI thread.
/// <reference lib="webworker" />
import { openDevice, type GpuContext } from '../gpu/device.ts';
import { BROWSER_HELP, DeviceLostError } from '../gpu/errors.ts';
import { runSelfTest } from '../gpu/selftest.ts';
import { toWireError, type EngineMessage, type EngineRequest } from './protocol.ts';
import { modelFiles, TrainSessions } from './train-session.ts';
import { importModel } from './model-import.ts';
import { ChatSession } from './chat-session.ts';
import { RewardSession } from './reward-session.ts';
import { EvalSessions } from './eval-session.ts';

declare const self: DedicatedWorkerGlobalScope;

let gpu: Promise<GpuContext> | null = null;

function post(msg: EngineMessage): void {
  self.postMessage(msg);
}

function device(): Promise<GpuContext> {
  gpu ??= openDevice(self.navigator.gpu, {
    help: BROWSER_HELP,
    onLost: (err) => {
      gpu = null; // the next request asks for a fresh device
      post({ type: 'device-lost', error: toWireError(err) });
    },
    onUncapturedError: (message) => post({ type: 'gpu-error', message }),
  });
  // A failed open is not cached: the user may fix flags or drivers and retry.
  gpu.catch(() => (gpu = null));
  return gpu;
}

// ---- Fault hook for tests/e2e/reliability-gpu.spec.ts (not part of the protocol; a test calls it through the
// DevTools protocol with worker.evaluate). It loses the device as a driver reset or a GPU process crash does:
// in-flight work fails, the page is told with the same event and message, and the next request opens a fresh
// device. destroy() alone would look like our own release, which device.ts does not report.
(self as unknown as { __studioLoseDevice?: () => Promise<void> }).__studioLoseDevice = async () => {
  const ctx = await gpu;
  if (!ctx) throw new Error('no GPU device is open');
  gpu = null;
  ctx.device.destroy();
  post({ type: 'device-lost', error: toWireError(new DeviceLostError('unknown', 'lost while in use (a test hook destroyed it)')) });
};

const training = new TrainSessions(device, post);
const reward = new RewardSession(device);
const chat = new ChatSession(device, post);
const evaluations = new EvalSessions(device, post);

async function handle(req: EngineRequest): Promise<EngineMessage> {
  switch (req.type) {
    case 'init': {
      const ctx = await device();
      return { type: 'init-ok', id: req.id, report: ctx.report };
    }
    case 'selftest': {
      const ctx = await device();
      if (ctx.isLost()) throw await ctx.lost;
      return { type: 'selftest-ok', id: req.id, result: await runSelfTest(ctx.device, req.n, req.seed) };
    }
    case 'train-start':
      training.start(req);
      return { type: 'train-start-ok', id: req.id, runId: req.runId };
    case 'train-control':
      training.control(req.runId, req.action);
      return { type: 'train-control-ok', id: req.id };
    case 'export-adapter': {
      const { files, step } = await training.exportAdapter(req.runId, req.hub ?? null);
      return { type: 'export-adapter-ok', id: req.id, files, step };
    }
    case 'chat-load':
      return { type: 'chat-load-ok', id: req.id, slot: req.slot, info: await chat.load(req.slot, req.choice, req.hub) };
    case 'chat-reply': {
      const { id: _, type: __, ...reply } = req;
      return { type: 'chat-reply-ok', id: req.id, ...(await chat.reply(reply)) };
    }
    case 'chat-tool-result':
      chat.toolResult(req.callId, req.result);
      return { type: 'chat-tool-result-ok', id: req.id };
    case 'chat-reset':
      chat.reset(req.slot);
      return { type: 'chat-reset-ok', id: req.id };
    case 'chat-stop':
      chat.stop(req.slot);
      return { type: 'chat-stop-ok', id: req.id };
    case 'reward-load':
      return { type: 'reward-load-ok', id: req.id, info: await reward.load(req.model, req.hub) };
    case 'reward-score':
      return { type: 'reward-score-ok', id: req.id, scores: await reward.score(req.items) };
    case 'eval-run': {
      const { id: _, type: __, ...run } = req;
      return { type: 'eval-run-ok', id: req.id, evaluations: await evaluations.run(run) };
    }
    case 'eval-cancel':
      evaluations.cancel(req.evalId);
      return { type: 'eval-cancel-ok', id: req.id };
    case 'import-model': {
      const { id: _, type: __, hub, ...imp } = req;
      return { type: 'import-model-ok', id: req.id, record: await importModel(imp, (name) => modelFiles(name, hub, () => {})) };
    }
    case 'export-run': {
      // Loaded on first use: the exporters (Python sources, parquet and ONNX writers) stay out of the worker's start.
      const { exportStudioRun } = await import('./export-session.ts');
      const r = await exportStudioRun(req, (phase) => post({ type: 'export-phase', runId: req.runId, phase }));
      return { type: 'export-run-ok', id: req.id, ...r };
    }
    case 'export-config': {
      const { exportStudioConfig } = await import('./export-config-session.ts');
      const r = await exportStudioConfig(req, (phase) => post({ type: 'export-config-phase', phase }));
      return { type: 'export-config-ok', id: req.id, ...r };
    }
  }
}

self.onmessage = async (ev: MessageEvent<EngineRequest>) => {
  const req = ev.data;
  try {
    post(await handle(req));
  } catch (e) {
    post({ type: 'error', id: req.id, error: toWireError(e) });
  }
};
