// Chat page state (runes classes): one or two columns (side by side: the same user messages to two models), each a
// transcript of user messages and assistant turns with their tool calls (name, arguments, schema check, result).
// The tool loop runs in the engine worker on the episode runner; this page only shows it, answers the calls whose
// executor lives here (sandboxed JavaScript, an HTTP endpoint, a person typing), and turns corrections into data:
// an edited turn saved as a conversational SFT example or, with the model's original, as a preference pair.
import type { AssistantTurn, Conversation, Turn } from '../../data/conversation.ts';
import type { EpisodeTurn } from '../../agent/episode.ts';
import { RunStore } from '../../store/runs.ts';
import { toolResultContent, type ToolResult } from '../../tools/environment.ts';
import type { ExecutorConfig } from '../../tools/executor-choice.ts';
import type { OperationBinding } from '../../tools/openapi.ts';
import { parseModelOutput } from '../../tools/parse-output.ts';
import type { ToolCall, ToolDefinition } from '../../tools/types.ts';
import type { ArgumentCheck } from '../../tools/validate-args.ts';
import type { RunRecord } from '../../train/metrics.ts';
import type { ModelChoice, ModelInfo } from '../../worker/model-source.ts';
import { PageExecutor } from '../../worker/page-executor.ts';
import { publicUrl } from '../../worker/public-url.ts';
import { imports } from '../imports/imports.svelte.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { studio } from '../studio.svelte.ts';
import { toolSets } from '../tools/tools.svelte.ts';
import { preferencePair, saveExamples, sftExample } from './corrections.ts';

export const DEFAULT_SYSTEM = 'Current date: 2025-06-02 (Monday). Current user: Min Zhang (E1030).';
export const SAMPLE_SET = 'sample';

export interface CallView {
  call: ToolCall;
  check?: ArgumentCheck;
  result?: ToolResult;
}

export type ChatEntry =
  | { kind: 'user'; text: string }
  | {
    kind: 'assistant';
    /** The text as sampled (or as edited). */
    text: string;
    turn: AssistantTurn;
    calls: CallView[];
    finish: string;
    /** The model's own turn, when this one was edited. */
    original?: { text: string; turn: AssistantTurn };
  };

/** A call the worker asked this page to run, shown while it waits (manual: for the person's answer). */
export interface LiveCall {
  callId: string;
  call: ToolCall;
}

/** The assistant turn the runner keeps for a text (an unparseable one verbatim). */
export function assistantTurnOf(text: string): { turn: AssistantTurn; error?: string } {
  const parsed = parseModelOutput(text);
  if (parsed.error) return { turn: { role: 'assistant', calls: [], unparsed: text }, error: parsed.error.message };
  return { turn: { role: 'assistant', calls: parsed.calls, ...(parsed.content ? { content: parsed.content } : {}) } };
}

/** The conversation a transcript stands for: user turns, assistant turns, and the tool results of executed calls. */
export function conversationOf(system: string, entries: readonly ChatEntry[], tools?: ToolDefinition[]): Conversation {
  const turns: Turn[] = [];
  for (const e of entries) {
    if (e.kind === 'user') turns.push({ role: 'user', content: e.text });
    else {
      turns.push(e.turn);
      const ran = e.calls.filter((c) => c.result);
      if (ran.length) turns.push({ role: 'tool', results: ran.map((c) => ({ name: c.call.name, content: toolResultContent(c.result!) })) });
    }
  }
  return { system, ...(tools ? { tools } : {}), turns };
}

export class ChatColumn {
  choiceKey = $state('builtin');
  model = $state.raw<ModelInfo | null>(null);
  entries = $state<ChatEntry[]>([]);
  streaming = $state('');
  live = $state<LiveCall[]>([]);
  busy = $state(false);
  error = $state<string | null>(null);
  note = $state<string | null>(null);
  tokensPerSecond = $state<number | null>(null);
  /** Set after a turn was edited: the transcript ends there until a new chat (its calls were not run). */
  edited = $state(false);

  constructor(readonly slot: number) {}

  onTurn(t: EpisodeTurn): void {
    const { turn } = assistantTurnOf(t.text);
    this.entries.push({ kind: 'assistant', text: t.text, turn, calls: t.calls.map((c) => ({ call: c.call, check: c.check, result: c.result })), finish: t.finish });
    this.streaming = '';
    this.live = [];
  }
}

export class ChatState {
  runs = $state.raw<RunRecord[]>([]);
  columns = [new ChatColumn(0), new ChatColumn(1)];
  sideBySide = $state(false);
  system = $state(DEFAULT_SYSTEM);
  input = $state('');
  temperature = $state(0);
  maxTurns = $state(4);
  maxNewTokens = $state(160);
  /** SAMPLE_SET or a stored tool set's id. */
  toolSetId = $state(SAMPLE_SET);
  saved = $state<string | null>(null);
  saveError = $state<string | null>(null);

  private sampleTools: ToolDefinition[] = [];
  private executor: PageExecutor | null = null;
  /** The executor config the page executor was made from (a change on the Tools page makes a new one). */
  private executorFor: ExecutorConfig | null = null;
  private unsubscribe: (() => void) | null = null;

  get modelOptions(): { key: string; label: string; choice: ModelChoice }[] {
    return [
      { key: 'builtin', label: 'builtin:tiny (untrained)', choice: { kind: 'builtin' } },
      ...this.runs.map((r) => ({ key: `run:${r.id}`, label: `${r.name} (${r.method}, step ${r.step})`, choice: { kind: 'run', runId: r.id } as ModelChoice })),
      ...imports.modelOptions,
    ];
  }

  /** The chosen tool set: its tools, where its calls run, and the HTTP bindings of an OpenAPI import. */
  get toolSet(): { title: string; tools: ToolDefinition[]; executor: ExecutorConfig; bindings?: OperationBinding[] } {
    const stored = toolSets.sets.find((s) => s.id === this.toolSetId);
    if (stored) return { title: stored.title, tools: stored.tools, executor: stored.executor, bindings: stored.bindings };
    return { title: 'Sample enterprise tools', tools: this.sampleTools, executor: { kind: 'mock' } };
  }

  get activeColumns(): ChatColumn[] {
    return this.sideBySide ? this.columns : [this.columns[0]];
  }

  get busy(): boolean {
    return this.columns.some((c) => c.busy);
  }

  async init(): Promise<void> {
    this.unsubscribe ??= studio.engine?.onEvent((ev) => {
      if (ev.type === 'chat-text') this.columns[ev.slot].streaming += ev.text;
      else if (ev.type === 'chat-turn') this.columns[ev.slot].onTurn(ev.turn);
      else if (ev.type === 'chat-tool-call') void this.toolCall(ev.slot, ev.callId, ev.call);
    }) ?? null;
    await toolSets.init();
    // Chat talks to generative runs (SFT, GRPO, PPO); a reward model scores, it does not write (the Reward page inspects it).
    this.runs = (await new RunStore().list()).filter((r) => r.step > 0 && r.method !== 'rm');
    await imports.refresh();
    if (!this.sampleTools.length) this.sampleTools = await (await fetch(publicUrl('tools/enterprise_tools.json'))).json();
  }

  async loadModel(col: ChatColumn): Promise<void> {
    if (!studio.engine) return;
    const opt = this.modelOptions.find((o) => o.key === col.choiceKey);
    if (!opt) return;
    col.busy = true;
    col.error = null;
    try {
      const r = await studio.engine.request({ type: 'chat-load', slot: col.slot, choice: opt.choice, hub: loadHubSettings() });
      col.model = r.info;
      await this.resetColumn(col);
    } catch (e) {
      col.error = (e as Error).message;
    } finally {
      col.busy = false;
    }
  }

  private async resetColumn(col: ChatColumn): Promise<void> {
    col.entries = [];
    col.live = [];
    col.streaming = '';
    col.note = null;
    col.edited = false;
    if (col.model) await studio.engine?.request({ type: 'chat-reset', slot: col.slot });
  }

  async reset(): Promise<void> {
    this.saved = null;
    this.disposeExecutor();
    for (const c of this.columns) await this.resetColumn(c);
  }

  /** Sends the user's message to every shown column, one after the other; each model runs until it answers. */
  async send(): Promise<void> {
    const text = this.input.trim();
    if (!text || !studio.engine || this.busy) return;
    const cols = this.activeColumns;
    for (const c of cols) if (!c.model) await this.loadModel(c);
    for (const c of cols) if (c.edited) c.error = 'this transcript ends with an edited call that was not run: save the correction, or start a new chat';
    if (cols.some((c) => !c.model || c.edited)) return;
    this.input = '';
    this.saved = null;
    for (const col of cols) col.entries.push({ kind: 'user', text });
    for (const col of cols) await this.answer(col);
  }

  private async answer(col: ChatColumn): Promise<void> {
    const set = this.toolSet;
    col.busy = true;
    col.error = null;
    col.note = null;
    col.streaming = '';
    try {
      const r = await studio.engine!.request({
        type: 'chat-reply', slot: col.slot, conversation: $state.snapshot(conversationOf(this.system, col.entries)) as Conversation,
        tools: $state.snapshot(set.tools) as ToolDefinition[], executor: set.executor.kind === 'mock' ? 'mock' : 'page',
        maxTurns: this.maxTurns, maxNewTokens: this.maxNewTokens, temperature: this.temperature, seed: Date.now() >>> 0,
      });
      col.tokensPerSecond = r.tokensPerSecond;
      const why: Record<string, string> = {
        unparseable: 'the last turn is not a valid call, so the episode ended', truncated: 'the turn hit the token limit',
        max_turns: `stopped after ${this.maxTurns} turns`, budget: 'a tool result was too long to continue', aborted: 'stopped',
      };
      col.note = why[r.end] ?? null;
    } catch (e) {
      col.error = (e as Error).message;
    } finally {
      col.busy = false;
      col.streaming = '';
      col.live = [];
    }
  }

  /** A call the worker asks this page to run: on the sandbox or the endpoint at once, or wait for the person. */
  private async toolCall(slot: number, callId: string, call: ToolCall): Promise<void> {
    const col = this.columns[slot];
    col.live.push({ callId, call });
    const set = this.toolSet;
    if (set.executor.kind === 'manual') return;
    let result: ToolResult;
    try {
      if (this.executorFor !== set.executor || !this.executor) {
        this.disposeExecutor();
        this.executor = new PageExecutor($state.snapshot(set.executor) as ExecutorConfig, set.bindings);
        this.executorFor = set.executor;
      }
      result = await this.executor.execute(call);
    } catch (e) {
      result = { ok: false, error: { type: 'invalid_request', message: (e as Error).message } };
    }
    await this.answerCall(callId, result);
  }

  /** The person's answer to a manual call: JSON (or plain text) as the result, or an error message. */
  async manualResult(callId: string, text: string, isError: boolean): Promise<void> {
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Plain text is a fine result.
    }
    await this.answerCall(callId, isError ? { ok: false, error: { type: 'invalid_request', message: text } } : { ok: true, result: value });
  }

  private async answerCall(callId: string, result: ToolResult): Promise<void> {
    try {
      await studio.engine?.request({ type: 'chat-tool-result', callId, result });
    } catch {
      // The reply was stopped meanwhile: nothing waits for this result.
    }
  }

  async stop(): Promise<void> {
    await studio.engine?.request({ type: 'chat-stop' });
  }

  /** Replaces an assistant turn by the person's correction (call text or answer); the transcript ends there. */
  editTurn(col: ChatColumn, index: number, text: string): string | null {
    const e = col.entries[index];
    if (!e || e.kind !== 'assistant') return 'only assistant turns can be edited';
    const { turn, error } = assistantTurnOf(text);
    if (error) return `not a valid turn: ${error} (write calls as <tool_call>{"name": ..., "arguments": {...}}</tool_call>)`;
    const original = e.original ?? { text: e.text, turn: e.turn };
    col.entries[index] = { kind: 'assistant', text, turn, calls: turn.calls.map((call) => ({ call })), finish: 'edited', original };
    col.entries.splice(index + 1);
    col.edited = turn.calls.length > 0;
    this.saved = null;
    return null;
  }

  /** The name a saved dataset gets: the first user message. */
  private datasetName(col: ChatColumn, what: string): string {
    const first = col.entries.find((e) => e.kind === 'user');
    return `chat ${what}: ${(first?.text ?? '').slice(0, 40)}`;
  }

  private datasetTools(): { tools: ToolDefinition[]; listed?: ToolDefinition[] } {
    const set = this.toolSet;
    const tools = $state.snapshot(set.tools) as ToolDefinition[];
    // A user tool set travels with the example; the sample set is the default tool set of the studio's data.
    return { tools, listed: this.toolSetId === SAMPLE_SET ? undefined : tools };
  }

  async saveConversation(col: ChatColumn): Promise<void> {
    this.saveError = null;
    try {
      const { tools, listed } = this.datasetTools();
      const conv = $state.snapshot(conversationOf(this.system, col.entries, listed)) as Conversation;
      const rec = await saveExamples([sftExample(conv)], this.datasetName(col, 'conversation'), tools);
      this.saved = `saved "${rec.name}" (${rec.kind}) on the Datasets page`;
    } catch (e) {
      this.saveError = (e as Error).message;
    }
  }

  async savePair(col: ChatColumn, index: number): Promise<void> {
    this.saveError = null;
    const e = col.entries[index];
    if (!e || e.kind !== 'assistant' || !e.original) {
      this.saveError = 'edit the turn first: the pair is your correction (chosen) and the model\'s turn (rejected)';
      return;
    }
    try {
      const { tools, listed } = this.datasetTools();
      const prompt = $state.snapshot(conversationOf(this.system, col.entries.slice(0, index), listed)) as Conversation;
      const pair = preferencePair(prompt, $state.snapshot(e.turn) as AssistantTurn, $state.snapshot(e.original.turn) as AssistantTurn);
      const rec = await saveExamples([pair], this.datasetName(col, 'preference'), tools);
      this.saved = `saved "${rec.name}" (${rec.kind}) on the Datasets page`;
    } catch (err) {
      this.saveError = (err as Error).message;
    }
  }

  private disposeExecutor(): void {
    this.executor?.dispose();
    this.executor = null;
    this.executorFor = null;
  }
}

export const chat = new ChatState();
