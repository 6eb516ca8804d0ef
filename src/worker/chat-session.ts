// Worker side of the Chat page: holds one model on the GPU (the tiny base model or a trained run's newest
// checkpoint) and streams its answers token by token.
import type { Conversation } from '../data/conversation.ts';
import { Engine } from '../engine/index.ts';
import type { GpuContext } from '../gpu/device.ts';
import { generate } from '../model/generate.ts';
import type { LoadedModel } from '../model/load.ts';
import { IdbCheckpointStore } from '../store/checkpoints.ts';
import { RunStore } from '../store/runs.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { tokenizePrompt } from '../tokenizer/loss-mask.ts';
import { TextStream } from '../tokenizer/text-stream.ts';
import { loadTrainableModel } from '../train/load-model.ts';
import { writeTensors } from '../train/loop.ts';
import { defaultSftConfig, type SftConfig } from '../train/sft-config.ts';
import type { HubSettings } from '../model/hub.ts';
import { modelFiles } from './train-session.ts';

export interface ChatModelInfo {
  label: string;
  /** Prompts list no tools when the model was trained with prompt_tools: none. */
  listTools: boolean;
  params: number;
}

export class ChatSession {
  private loaded: (LoadedModel & { listTools: boolean }) | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly gpu: () => Promise<GpuContext>) {}

  /** Loads the built-in tiny model (runId null) or a run's model with its newest checkpoint's weights. */
  async load(runId: string | null, hub: HubSettings): Promise<ChatModelInfo> {
    this.release();
    let config: SftConfig = { ...defaultSftConfig(), finetune: 'full' };
    let label = 'builtin:tiny (untrained)';
    const ckpt = runId ? await new IdbCheckpointStore().latest(runId) : null;
    if (runId) {
      const run = await new RunStore().get(runId);
      if (!run) throw new Error(`run ${runId} does not exist`);
      if (!ckpt) throw new Error(`run ${run.name} has no checkpoint yet`);
      config = run.config as unknown as SftConfig;
      label = `${run.name} (step ${ckpt.step})`;
    }
    const engine = new Engine(await this.gpu());
    const loaded = await loadTrainableModel(engine, await modelFiles(config.model_name, hub, () => {}), {
      finetune: config.finetune as 'lora' | 'full', lora: config.lora, chatTemplate: config.chat_template as 'model' | 'compact', seed: config.seed,
    });
    if (ckpt) {
      const params = loaded.model.trainableParams();
      writeTensors(engine, params, params.map((p) => p.label), ckpt.weights, `checkpoint of ${label}`);
    }
    this.loaded = { ...loaded, listTools: config.prompt_tools !== 'none' };
    const params = loaded.model.baseTensors().reduce((s, [, t]) => s + t.size, 0);
    return { label, listTools: this.loaded.listTools, params };
  }

  /** Generates the next assistant turn of `conversation`, calling onText with each new piece of text. */
  async reply(conversation: Conversation, tools: ToolDefinition[], opts: { maxNewTokens: number; temperature: number; seed: number }, onText: (t: string) => void) {
    if (!this.loaded) throw new Error('no model is loaded: choose one first');
    const { model, tokenizer, listTools } = this.loaded;
    const prompt = tokenizePrompt(tokenizer, conversation, { tools: listTools ? tools : [] });
    const stream = new TextStream(tokenizer);
    this.abort = new AbortController();
    try {
      const r = await generate(
        model,
        [prompt],
        { maxNewTokens: opts.maxNewTokens, temperature: opts.temperature, topK: 0, topP: opts.temperature > 0 ? 0.95 : 1, stopTokens: tokenizer.stopIds, stopStrings: [], seed: opts.seed },
        {
          signal: this.abort.signal,
          onToken: (_row, token) => {
            if (tokenizer.stopIds.includes(token)) return;
            const piece = stream.push(token);
            if (piece) onText(piece);
          },
        },
      );
      const text = tokenizer.decode(r.tokens[0].filter((t) => !tokenizer.stopIds.includes(t)));
      return { text, tokensPerSecond: r.tokensPerSecond, finish: r.finish[0] };
    } finally {
      this.abort = null;
    }
  }

  stop(): void {
    this.abort?.abort();
  }

  private release(): void {
    if (!this.loaded) return;
    const m = this.loaded.model;
    for (const t of new Set([...m.baseTensors().map(([, x]) => x), ...m.trainableParams()])) t.release();
    m.e.pool.trim();
    this.loaded = null;
  }
}
