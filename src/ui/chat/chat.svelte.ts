// Chat page state (runes class): the conversation, streaming of the model's reply, and running its tool
// calls against the deterministic mock tools so a multi-step chain can be tried by hand.
import type { AssistantTurn, Conversation, Turn } from '../../data/conversation.ts';
import { RunStore } from '../../store/runs.ts';
import { enterpriseEnvironment } from '../../tools/enterprise/executors.ts';
import type { ToolWorld } from '../../tools/environment.ts';
import { parseModelOutput } from '../../tools/parse-output.ts';
import type { ToolDefinition } from '../../tools/types.ts';
import type { RunRecord } from '../../train/metrics.ts';
import { publicUrl } from '../../worker/public-url.ts';
import type { ChatModelInfo } from '../../worker/chat-session.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { studio } from '../studio.svelte.ts';

/** One row of the transcript as the page shows it (always rendered as text). */
export interface ChatRow {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
  /** Calls the assistant made, as parsed from its text. */
  calls?: string[];
  note?: string;
}

export const DEFAULT_SYSTEM = 'Current date: 2025-06-02 (Monday). Current user: Min Zhang (E1030).';

export class ChatState {
  runs = $state<RunRecord[]>([]);
  /** '' = the built-in tiny model without training. */
  modelChoice = $state('');
  model = $state<ChatModelInfo | null>(null);
  system = $state(DEFAULT_SYSTEM);
  input = $state('');
  rows = $state<ChatRow[]>([]);
  streaming = $state('');
  busy = $state(false);
  error = $state<string | null>(null);
  temperature = $state(0);
  executeTools = $state(true);
  tokensPerSecond = $state<number | null>(null);

  private turns: Turn[] = [];
  private tools: ToolDefinition[] = [];
  private world: ToolWorld = enterpriseEnvironment().create();
  private unsubscribe: (() => void) | null = null;

  async init(): Promise<void> {
    this.unsubscribe ??= studio.engine?.onEvent((ev) => {
      if (ev.type === 'chat-text') this.streaming += ev.text;
    }) ?? null;
    // Chat talks to generative runs; a reward model scores, it does not write (the Reward page inspects it).
    this.runs = (await new RunStore().list()).filter((r) => r.step > 0 && (r.method ?? 'sft') === 'sft');
    if (!this.tools.length) this.tools = await (await fetch(publicUrl('tools/enterprise_tools.json'))).json();
  }

  async loadModel(): Promise<void> {
    if (!studio.engine) return;
    this.busy = true;
    this.error = null;
    try {
      const r = await studio.engine.request({ type: 'chat-load', runId: this.modelChoice || null, hub: loadHubSettings() });
      this.model = r.info;
      this.reset();
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }

  reset(): void {
    this.turns = [];
    this.rows = [];
    this.world = enterpriseEnvironment().create();
  }

  private conversation(): Conversation {
    return { system: this.system, turns: this.turns };
  }

  /** Sends the user's message, then lets the model answer; tool calls run and the model continues (at most 4 rounds). */
  async send(): Promise<void> {
    const text = this.input.trim();
    if (!text || !studio.engine || this.busy) return;
    if (!this.model) await this.loadModel();
    if (!this.model) return;
    this.input = '';
    if (this.rows.length === 0) this.rows.push({ role: 'system', text: this.system });
    this.turns.push({ role: 'user', content: text });
    this.rows.push({ role: 'user', text });
    this.busy = true;
    this.error = null;
    try {
      for (let round = 0; round < 4; round++) {
        this.streaming = '';
        const r = await studio.engine.request({ type: 'chat-reply', conversation: $state.snapshot(this.conversation()) as Conversation, tools: this.tools, maxNewTokens: 160, temperature: this.temperature, seed: Date.now() >>> 0 });
        this.streaming = '';
        this.tokensPerSecond = r.tokensPerSecond;
        const parsed = parseModelOutput(r.text);
        const turn: AssistantTurn = { role: 'assistant', calls: parsed.calls, content: parsed.content || undefined };
        this.turns.push(turn);
        this.rows.push({
          role: 'assistant', text: r.text, calls: parsed.calls.map((c) => `${c.name}(${JSON.stringify(c.arguments)})`),
          note: parsed.error ? `not a valid call: ${parsed.error.message}` : r.finish === 'length' ? 'stopped at the token limit' : undefined,
        });
        if (!parsed.calls.length || !this.executeTools) break;
        const results = parsed.calls.map((c) => {
          const res = this.world.execute(c);
          return { name: c.name, content: JSON.stringify(res.ok ? res.result : { error: res.error }) };
        });
        this.turns.push({ role: 'tool', results });
        for (const res of results) this.rows.push({ role: 'tool', text: res.content, note: res.name });
      }
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
      this.streaming = '';
    }
  }

  async stop(): Promise<void> {
    await studio.engine?.request({ type: 'chat-stop' });
  }
}

export const chat = new ChatState();
