// Worker side of the Evaluate page: loads each chosen model in turn, lets it generate on the chosen dataset in each
// chosen mode (src/train/model-eval.ts: free-running episodes or teacher-forced steps), streams progress with an ETA,
// keeps every finished evaluation in IndexedDB (with its run), and stops when cancelled.
import type { DatasetExample } from '../data/conversation.ts';
import { readDatasetText } from '../data/read-dataset.ts';
import { Engine } from '../engine/index.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { HubSettings } from '../model/hub.ts';
import type { EvalMode, ModelEvaluation } from '../eval/model-evaluation.ts';
import { DatasetStore } from '../store/datasets.ts';
import { EvaluationStore } from '../store/evaluations.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../tools/enterprise/tool-set.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { evaluateModel } from '../train/model-eval.ts';
import { choiceLabel, loadChoice, releaseModel, type ModelChoice } from './model-source.ts';
import type { EngineEvent } from './protocol.ts';
import { publicUrl } from './public-url.ts';

/** The examples to evaluate on: a sample held-out split, a stored dataset, or a file's text. */
export type EvalData =
  | { kind: 'sample'; file: string }
  | { kind: 'stored'; id: string }
  | { kind: 'file'; name: string; text: string };

export interface EvalRunRequest {
  evalId: string;
  models: ModelChoice[];
  data: EvalData;
  modes: EvalMode[];
  /** At most this many examples (the first ones). */
  limit: number;
  maxNewTokens: number;
  batchSize: number;
  /** The user's tool set (no executors: calls get error results), or null for the sample tools on the mock world. */
  tools: ToolDefinition[] | null;
  hub: HubSettings;
}

async function readData(d: EvalData, tools: ToolDefinition[]): Promise<{ label: string; examples: DatasetExample[] }> {
  if (d.kind === 'stored') {
    const store = new DatasetStore();
    const rec = await store.get(d.id);
    if (!rec) throw new Error(`dataset ${d.id} is not stored (deleted?)`);
    return { label: rec.name, examples: await store.examples(d.id) };
  }
  if (d.kind === 'file') return { label: d.name, examples: readDatasetText(d.text, { tools }).examples };
  const res = await fetch(publicUrl(d.file));
  if (!res.ok) throw new Error(`sample file ${d.file}: HTTP ${res.status}`);
  return { label: d.file.split('/').pop()!, examples: readDatasetText(await res.text(), { tools }).examples };
}

export class EvalSessions {
  private aborts = new Map<string, AbortController>();
  private store = new EvaluationStore();

  constructor(
    private readonly gpu: () => Promise<GpuContext>,
    private readonly post: (e: EngineEvent) => void,
  ) {}

  cancel(evalId: string): void {
    this.aborts.get(evalId)?.abort();
  }

  /** Runs every (model, mode); each finished evaluation is stored before the next starts. */
  async run(req: EvalRunRequest): Promise<ModelEvaluation[]> {
    if (this.aborts.size > 0) throw new Error('an evaluation is already running in this tab: wait for it or cancel it');
    if (req.models.length === 0) throw new Error('choose at least one model to evaluate');
    if (req.modes.length === 0) throw new Error('choose a mode: free-running, teacher-forced, or both');
    const ac = new AbortController();
    this.aborts.set(req.evalId, ac);
    try {
      const tools = req.tools ?? [...ENTERPRISE_TOOLS];
      const environment = req.tools ? undefined : enterpriseEnvironment();
      const data = await readData(req.data, tools);
      const examples = data.examples.slice(0, req.limit);
      if (examples.length === 0) throw new Error(`${data.label} has no example to evaluate on`);
      const engine = new Engine(await this.gpu());
      const out: ModelEvaluation[] = [];
      for (const [m, choice] of req.models.entries()) {
        const base = { type: 'eval-progress' as const, evalId: req.evalId, model: m, models: req.models.length, label: choiceLabel(choice) };
        this.post({ ...base, mode: req.modes[0], phase: 'loading model', done: 0, total: 0, etaSeconds: null });
        const { loaded, info } = await loadChoice(engine, choice, req.hub, (phase, done, total) => this.post({ ...base, mode: req.modes[0], phase, done, total, etaSeconds: null }));
        try {
          for (const mode of req.modes) {
            if (ac.signal.aborted) break;
            const r = await evaluateModel(loaded.model, loaded.tokenizer, examples, {
              mode, tools, renderTools: info.listTools ? undefined : [], environment, batchSize: req.batchSize, maxNewTokens: req.maxNewTokens, signal: ac.signal,
              onProgress: (p) => this.post({ ...base, label: info.label, mode, phase: 'generating', ...p }),
            });
            const ev: ModelEvaluation = {
              id: `${Date.now().toString(36)}-${m}-${mode}-${Math.random().toString(36).slice(2, 6)}`, createdAt: Date.now(),
              model: { label: info.label, source: info.source }, ...(info.runId ? { runId: info.runId } : {}),
              dataset: { label: data.label, examples: examples.length }, mode,
              settings: { maxNewTokens: req.maxNewTokens, promptTools: info.listTools ? 'listed' : 'none', executed: !!environment },
              report: r.report, outputs: r.outputs, tokensPerSecond: r.tokensPerSecond, seconds: r.seconds,
            };
            await this.store.put(ev);
            out.push(ev);
          }
        } finally {
          releaseModel(loaded);
        }
        if (ac.signal.aborted) break;
      }
      if (ac.signal.aborted) {
        const err = new Error(`the evaluation was cancelled${out.length ? ` (${out.length} finished evaluation${out.length > 1 ? 's are' : ' is'} kept)` : ''}`);
        err.name = 'EvaluationAborted';
        throw err;
      }
      return out;
    } finally {
      this.aborts.delete(req.evalId);
    }
  }
}
