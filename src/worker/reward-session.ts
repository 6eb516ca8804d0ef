// Worker side of the reward inspector: holds one reward model on the GPU (a reward-model run's newest checkpoint)
// and scores (prompt, response) items with it, rendered as that run's training rendered them.
import type { Conversation, Turn } from '../data/conversation.ts';
import { Engine } from '../engine/index.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { HubSettings } from '../model/hub.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { RunStore } from '../store/runs.ts';
import type { RmConfig } from '../train/rm-config.ts';
import { rewardModelFromCheckpoint, scoreConversations, type RewardModel } from '../train/rm-score.ts';
import type { RewardModelInfo } from './protocol.ts';
import { fetchTools, modelFiles } from './train-session.ts';

export class RewardSession {
  private rm: RewardModel | null = null;

  constructor(private readonly gpu: () => Promise<GpuContext>) {}

  async load(runId: string, hub: HubSettings): Promise<RewardModelInfo> {
    this.release();
    const run = await new RunStore().get(runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    if (run.method !== 'rm') throw new Error(`run ${run.name} trained a ${run.method} model, not a reward model`);
    const ckpt = await new IdbCheckpointStore().latest(runId);
    if (!ckpt) throw new Error(`run ${run.name} has no checkpoint yet`);
    const config = run.config as unknown as RmConfig;
    const engine = new Engine(await this.gpu());
    const tools = await fetchTools(config.tools_file);
    const label = `${run.name} (step ${ckpt.step})`;
    this.rm = await rewardModelFromCheckpoint(engine, await modelFiles(config.model_name, hub, () => {}), config, ckpt, tools, label);
    return { runId, label, step: ckpt.step };
  }

  async score(items: Array<{ prompt: Conversation; response: Turn[] }>): Promise<number[]> {
    if (!this.rm) throw new Error('no reward model is loaded: choose a reward-model run first');
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
