// Worker side of the reward inspector: holds one reward model on the GPU (a reward-model run's newest checkpoint, or
// an imported reward model: a SEQ_CLS adapter on its base or a *ForSequenceClassification folder) and scores
// (prompt, response) items with it, rendered as its training rendered them.
import type { Conversation, Turn } from '../data/conversation.ts';
import { Engine } from '../engine/index.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { FileProvider } from '../model/byte-source.ts';
import type { HubSettings } from '../model/hub.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { IMPORT_PREFIX } from '../store/imports.ts';
import { RunStore } from '../store/runs.ts';
import type { ToolDefinition } from '../tools/types.ts';
import type { RmConfig } from '../train/rm-config.ts';
import { rewardModelFromCheckpoint, scoreConversations, type RewardModel } from '../train/rm-score.ts';
import type { RewardModelInfo } from './protocol.ts';
import { importedRewardModel, RUN_PREFIX, SAMPLE_TOOLS_FILE } from './rl-start.ts';
import { fetchTools, modelFiles } from './train-session.ts';

/** Where the session reads models and tool sets: the worker's (fetches, the hub cache, IndexedDB); tests give folders. */
export interface RewardSessionIo {
  modelFiles: (name: string, hub: HubSettings) => FileProvider | Promise<FileProvider>;
  fetchTools: (file: string) => Promise<ToolDefinition[]>;
}

const WORKER_IO: RewardSessionIo = { modelFiles: (name, hub) => modelFiles(name, hub, () => {}), fetchTools };

export class RewardSession {
  private rm: RewardModel | null = null;

  constructor(private readonly gpu: () => Promise<GpuContext>, private readonly io: RewardSessionIo = WORKER_IO) {}

  /** Loads `model`: run:<id> or import:<id> (a bare id is a run's, as older pages sent it). */
  async load(model: string, hub: HubSettings): Promise<RewardModelInfo> {
    this.release();
    const files = (name: string) => this.io.modelFiles(name, hub);
    if (model.startsWith(IMPORT_PREFIX)) {
      // The inspector has no run's tool set: an imported reward model renders the sample tools (as an RL run without its own would).
      const engine = new Engine(await this.gpu());
      this.rm = await importedRewardModel(engine, model, null, files, await this.io.fetchTools(SAMPLE_TOOLS_FILE));
      return { model, label: `${this.rm.label} (imported)`, step: null };
    }
    const runId = model.startsWith(RUN_PREFIX) ? model.slice(RUN_PREFIX.length) : model;
    const run = await new RunStore().get(runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    if (run.method !== 'rm') throw new Error(`run ${run.name} trained a ${run.method} model, not a reward model`);
    const ckpt = await new IdbCheckpointStore().latest(runId);
    if (!ckpt) throw new Error(`run ${run.name} has no checkpoint yet`);
    const config = run.config as unknown as RmConfig;
    const engine = new Engine(await this.gpu());
    const tools = await this.io.fetchTools(config.tools_file);
    const label = `${run.name} (step ${ckpt.step})`;
    this.rm = await rewardModelFromCheckpoint(engine, await files(config.model_name), config, ckpt, tools, label);
    return { model: `${RUN_PREFIX}${runId}`, label, step: ckpt.step };
  }

  async score(items: Array<{ prompt: Conversation; response: Turn[] }>): Promise<number[]> {
    if (!this.rm) throw new Error('no reward model is loaded: choose a reward-model run or an imported reward model first');
    return Array.from(await scoreConversations(this.rm, items));
  }

  private release(): void {
    if (!this.rm) return;
    const m = this.rm.model;
    for (const t of new Set([...m.baseTensors().map(([, x]) => x), ...m.trainableParams()])) t.release();
    m.e.pool.trim();
    this.rm = null;
  }
}
