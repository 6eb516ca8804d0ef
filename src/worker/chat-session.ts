// Worker side of the Chat page, on the episode runner: each chat slot (two for side by side) holds one model; a
// reply runs one episode from the conversation so far: the model's turn streams token by token, its calls are
// checked against the tool schemas and executed, their results go back onto the kept KV cache, and it goes on until
// it answers (or runs out of turns). Calls of the sample tools run on the slot's mock world, here; every other
// executor (sandboxed JavaScript, an HTTP endpoint, a person typing) runs in the page, asked one call at a time
// (chat-tool-call event, answered by a chat-tool-result request): the loop itself never leaves the worker.
import { runEpisodes, type EpisodeTurn, type EpisodeWorld } from '../agent/episode.ts';
import type { Conversation } from '../data/conversation.ts';
import { Engine } from '../engine/index.ts';
import type { GpuContext } from '../gpu/device.ts';
import type { HubSettings } from '../model/hub.ts';
import { enterpriseEnvironment } from '../tools/enterprise/executors.ts';
import type { ToolResult, ToolWorld } from '../tools/environment.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { TextStream } from '../tokenizer/text-stream.ts';
import { loadChoice, releaseModel, type LoadedChoice, type ModelChoice, type ModelInfo } from './model-source.ts';
import type { EngineEvent } from './protocol.ts';

export type ChatModelInfo = ModelInfo;

export interface ChatReplyRequest {
  slot: number;
  conversation: Conversation;
  tools: ToolDefinition[];
  /** 'mock': the sample tools on this slot's mock world; 'page': the page runs each call (chat-tool-call events). */
  executor: 'mock' | 'page';
  maxTurns: number;
  maxNewTokens: number;
  temperature: number;
  seed: number;
}

export interface ChatReply {
  slot: number;
  turns: EpisodeTurn[];
  end: string;
  /** The conversation with the new turns and tool results. */
  conversation: Conversation;
  tokensPerSecond: number;
}

interface Slot extends LoadedChoice {
  world: ToolWorld;
}

export class ChatSession {
  private slots = new Map<number, Slot>();
  private aborts = new Map<number, AbortController>();
  private pendingCalls = new Map<string, { slot: number; resolve: (r: ToolResult) => void }>();
  private nextCall = 1;

  constructor(
    private readonly gpu: () => Promise<GpuContext>,
    private readonly post: (e: EngineEvent) => void,
  ) {}

  async load(slot: number, choice: ModelChoice, hub: HubSettings): Promise<ModelInfo> {
    if (this.aborts.has(slot)) throw new Error('this chat is answering: stop it first');
    this.release(slot);
    const engine = new Engine(await this.gpu());
    const loaded = await loadChoice(engine, choice, hub, () => {});
    this.slots.set(slot, { ...loaded, world: enterpriseEnvironment().create() });
    return loaded.info;
  }

  /** A fresh mock world for a new conversation. */
  reset(slot: number): void {
    const s = this.slots.get(slot);
    if (s) s.world = enterpriseEnvironment().create();
  }

  async reply(req: ChatReplyRequest): Promise<ChatReply> {
    const s = this.slots.get(req.slot);
    if (!s) throw new Error('no model is loaded in this chat: choose one first');
    if (this.aborts.has(req.slot)) throw new Error('this chat is already answering');
    const { model, tokenizer } = s.loaded;
    const ac = new AbortController();
    this.aborts.set(req.slot, ac);
    const world: EpisodeWorld = req.executor === 'mock' ? s.world : {
      execute: (call) => new Promise<ToolResult>((resolve) => {
        const callId = `call-${this.nextCall++}`;
        this.pendingCalls.set(callId, { slot: req.slot, resolve });
        this.post({ type: 'chat-tool-call', slot: req.slot, callId, call });
      }),
    };
    let stream = new TextStream(tokenizer);
    const stop = new Set(tokenizer.stopIds);
    let sampled = 0;
    const t0 = performance.now();
    try {
      const [ep] = await runEpisodes(model, tokenizer, [{ prompt: req.conversation, tools: req.tools, renderTools: s.info.listTools ? req.tools : [], world }], {
        maxTurns: req.maxTurns, maxCompletionLength: req.maxNewTokens, temperature: req.temperature, topK: 0, topP: req.temperature > 0 ? 0.95 : 1, seed: req.seed,
        signal: ac.signal,
        onToken: (_b, token) => {
          sampled++;
          if (stop.has(token)) return;
          const piece = stream.push(token);
          if (piece) this.post({ type: 'chat-text', slot: req.slot, text: piece });
        },
        onTurn: (_b, turn) => {
          this.post({ type: 'chat-turn', slot: req.slot, turn });
          stream = new TextStream(tokenizer);
        },
      });
      return { slot: req.slot, turns: ep.turns, end: ep.end, conversation: ep.conversation, tokensPerSecond: sampled / Math.max(1e-9, (performance.now() - t0) / 1000) };
    } finally {
      this.aborts.delete(req.slot);
      this.failPending(req.slot, 'the reply was stopped');
    }
  }

  /** The page's answer to a chat-tool-call. */
  toolResult(callId: string, result: ToolResult): void {
    const p = this.pendingCalls.get(callId);
    if (!p) throw new Error(`no call ${callId} is waiting for a result (the reply was stopped?)`);
    this.pendingCalls.delete(callId);
    p.resolve(result);
  }

  /** Stops a slot's reply (or every slot's): the turn being sampled ends, a call waiting for the page gets an error. */
  stop(slot?: number): void {
    for (const [s, ac] of this.aborts) {
      if (slot !== undefined && s !== slot) continue;
      ac.abort();
      this.failPending(s, 'the reply was stopped');
    }
  }

  private failPending(slot: number, message: string): void {
    for (const [id, p] of this.pendingCalls) {
      if (p.slot !== slot) continue;
      this.pendingCalls.delete(id);
      p.resolve({ ok: false, error: { type: 'invalid_request', message } });
    }
  }

  private release(slot: number): void {
    const s = this.slots.get(slot);
    if (!s) return;
    releaseModel(s.loaded);
    this.slots.delete(slot);
  }
}
