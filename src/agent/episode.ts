// The one episode runner for RL rollouts, model evaluation and chat: the policy writes an assistant turn, its
// tool calls are checked against the tool schemas and executed on the episode's world, the results are appended as
// a tool turn, and the policy goes on, until it answers without a call, writes something unparseable, runs out of
// turns or tokens. Many episodes advance together over one KV cache (a DecodeSession): a tool result is prefilled
// onto the cache as the template's tokens, the conversation is never re-rendered and re-run.
//
// An episode returns the exact token ids (prompt, sampled turns, template and tool-result tokens), a mask that is 1
// only on tokens the policy sampled, their log-probs, every turn and call with its schema check and result, and
// the world's final state.
import type { Conversation, Turn, ToolResult as ResultMessage } from '../data/conversation.ts';
import { DecodeSession, type DecodeSampling, type FeedResult } from '../model/decode.ts';
import type { QwenModel } from '../model/qwen.ts';
import { toolResultContent, type ToolResult, type ToolWorld } from '../tools/environment.ts';
import { parseModelOutput, type ParsedOutput } from '../tools/parse-output.ts';
import type { ToolCall, ToolDefinition } from '../tools/types.ts';
import { ArgumentValidator, type ArgumentCheck } from '../tools/validate-args.ts';
import { tokenizePrompt } from '../tokenizer/loss-mask.ts';
import type { ChatTokenizer } from '../tokenizer/tokenizer.ts';
import { toolTurnTokens } from './turn-tokens.ts';

/** Where calls run: the mock world, a sandboxed user handler, an HTTP endpoint, a person typing the result. */
export interface EpisodeWorld {
  execute(call: ToolCall): ToolResult | Promise<ToolResult>;
  /** The state as JSON, for comparing where two chains end (ToolWorld.snapshot). */
  snapshot?(): unknown;
}

export interface EpisodeSpec {
  /** The conversation so far (system line, user turn, maybe earlier turns); the policy writes the next turn. */
  prompt: Conversation;
  /** The tools calls are checked against. */
  tools: readonly ToolDefinition[];
  /** The tools listed in the prompt (default `tools`; [] for models trained with prompt_tools: none). */
  renderTools?: ToolDefinition[];
  /** Where this episode's calls run; without one a call gets an error result and the episode goes on. */
  world?: EpisodeWorld | ToolWorld;
}

export interface EpisodeOptions extends DecodeSampling {
  /** Assistant turns per episode (each may call tools). */
  maxTurns: number;
  /** Sampled tokens per assistant turn; a turn that reaches it without <|im_end|> is truncated and ends the episode. */
  maxCompletionLength: number;
  /** Template + tool-result tokens between two turns; longer results, or a next turn past the model's positions, end the episode ('budget'). Default 512. */
  maxToolTurnTokens?: number;
  enableThinking?: boolean;
  /** A sampled token of episode `i` (streaming). */
  onToken?(episode: number, token: number): void;
  /** A finished turn of episode `i`, its calls executed. */
  onTurn?(episode: number, turn: EpisodeTurn): void;
  signal?: AbortSignal;
  /** Replaces the model's sampler (tests: forced turns). */
  sampler?: (B: number, S: number) => TurnSampler;
}

/** What the runner needs from the model: feed chunks of tokens to rows, get each fed row's next token. */
export interface TurnSampler {
  feed(chunks: ReadonlyArray<ArrayLike<number> | null>): Promise<FeedResult>;
  release(): void;
}

export interface EpisodeCall {
  call: ToolCall;
  /** The arguments against the tool's JSON schema (an unknown tool fails here). */
  check: ArgumentCheck;
  /** The executed result, or why it did not run. */
  result: ToolResult;
}

export interface EpisodeTurn {
  /** Sampled text of the turn (without the closing stop token). */
  text: string;
  parsed: ParsedOutput;
  calls: EpisodeCall[];
  /** 'stop': ended by <|im_end|> / EOS; 'length': hit maxCompletionLength; 'aborted'. */
  finish: 'stop' | 'length' | 'aborted';
  /** [start, end) of the turn's sampled tokens in Episode.tokens. */
  span: [number, number];
}

export type EpisodeEnd = 'answer' | 'unparseable' | 'truncated' | 'max_turns' | 'budget' | 'aborted';

export interface Episode {
  /** Every token: prompt, sampled turns, template and tool-result tokens. (T) */
  tokens: Int32Array;
  promptLength: number;
  /** 1 exactly on tokens the policy sampled (stop tokens included). (T) */
  policyMask: Uint8Array;
  /** Log-prob of each sampled token under the temperature-scaled policy (greedy: softmax); 0 elsewhere. (T) */
  logprobs: Float32Array;
  turns: EpisodeTurn[];
  end: EpisodeEnd;
  /** The prompt plus the turns as parsed and the tool results (what a chat shows, what a dataset keeps). */
  conversation: Conversation;
  /** The world's state at the end (ToolWorld.snapshot), when the world has one. */
  finalState?: unknown;
}

interface Row {
  spec: EpisodeSpec;
  tokens: number[];
  mask: number[];
  logprobs: number[];
  conversation: Conversation;
  turns: EpisodeTurn[];
  end: EpisodeEnd | null;
  /** Tokens of the turn being sampled. */
  current: number[];
  currentStart: number;
  finish: EpisodeTurn['finish'] | null;
}

/** A row's tools-per-validator cache: building an ajv validator per episode would dominate short rollouts. */
function validatorFor(cache: Map<readonly ToolDefinition[], ArgumentValidator>, tools: readonly ToolDefinition[]): ArgumentValidator {
  let v = cache.get(tools);
  if (!v) cache.set(tools, (v = new ArgumentValidator(tools)));
  return v;
}

async function runCall(world: EpisodeSpec['world'], call: ToolCall, check: ArgumentCheck): Promise<ToolResult> {
  if (!check.valid) {
    const unknown = check.errors.some((e) => e.kind === 'unknown_tool');
    return { ok: false, error: { type: unknown ? 'unknown_tool' : 'invalid_arguments', message: check.errors.map((e) => e.message).join('; ') } };
  }
  if (!world) return { ok: false, error: { type: 'invalid_request', message: `no executor for tool "${call.name}" in this episode` } };
  try {
    return await world.execute(call);
  } catch (e) {
    return { ok: false, error: { type: 'invalid_request', message: `the executor failed: ${(e as Error).message}` } };
  }
}

/** Runs every episode to its end; episodes advance together, one decode step for all at a time. */
export async function runEpisodes(model: QwenModel, tok: ChatTokenizer, specs: readonly EpisodeSpec[], o: EpisodeOptions): Promise<Episode[]> {
  if (specs.length === 0) return [];
  if (!(Number.isInteger(o.maxTurns) && o.maxTurns >= 1)) throw new Error(`episodes: maxTurns must be a positive integer, got ${o.maxTurns}`);
  if (!(Number.isInteger(o.maxCompletionLength) && o.maxCompletionLength >= 1)) {
    throw new Error(`episodes: maxCompletionLength must be a positive integer, got ${o.maxCompletionLength}`);
  }
  const maxToolTurn = o.maxToolTurnTokens ?? 512;
  const render = (s: EpisodeSpec) => ({ tools: s.renderTools ?? [...s.tools], enableThinking: o.enableThinking });
  const prompts = specs.map((s) => tokenizePrompt(tok, s.prompt, render(s)));
  const B = specs.length;
  const longestPrompt = Math.max(...prompts.map((p) => p.length));
  // The cache never holds more than the model's positions (its RoPE table): an episode whose next turn would not
  // fit ends with 'budget' before its tool results are appended. (Scripted samplers in tests run without a model.)
  const positions = model?.rope.maxPositions ?? Infinity;
  const S = Math.min(longestPrompt + o.maxTurns * o.maxCompletionLength + (o.maxTurns - 1) * maxToolTurn, positions);
  if (longestPrompt + o.maxCompletionLength > S) {
    throw new Error(`episodes: a prompt of ${longestPrompt} tokens plus max_completion_length ${o.maxCompletionLength} exceeds the model's ${positions} positions: shorten the prompts or the completion length`);
  }
  const sampler = o.sampler ? o.sampler(B, S) : new DecodeSession(model, B, S, o);
  const stop = new Set(tok.stopIds);
  const validators = new Map<readonly ToolDefinition[], ArgumentValidator>();
  const rows: Row[] = specs.map((spec, b) => ({
    spec, tokens: Array.from(prompts[b]), mask: new Array(prompts[b].length).fill(0), logprobs: new Array(prompts[b].length).fill(0),
    conversation: structuredClone({ ...spec.prompt, turns: [...spec.prompt.turns] }), turns: [], end: null,
    current: [], currentStart: prompts[b].length, finish: null,
  }));
  try {
    let next = await sampler.feed(prompts);
    for (let turn = 0; turn < o.maxTurns; turn++) {
      // Sample this turn for every live episode, one token per step.
      for (;;) {
        let live = 0;
        rows.forEach((r, b) => {
          if (r.end || r.finish) return;
          const t = next.ids[b];
          if (t === undefined) throw new Error(`episodes: the sampler returned no token for episode ${b}`);
          r.tokens.push(t);
          r.mask.push(1);
          r.logprobs.push(next.logprobs[b]!);
          r.current.push(t);
          o.onToken?.(b, t);
          if (stop.has(t)) r.finish = 'stop';
          else if (r.current.length >= o.maxCompletionLength) r.finish = 'length';
          else live++;
        });
        if (live === 0) break;
        if (o.signal?.aborted) {
          for (const r of rows) if (!r.end && !r.finish) r.finish = 'aborted';
          break;
        }
        next = await sampler.feed(rows.map((r) => (r.end || r.finish ? null : [r.current[r.current.length - 1]])));
      }
      // Parse each finished turn, run its calls, and prepare the tokens that lead to the next turn.
      const pending: Array<Int32Array | null> = rows.map(() => null);
      for (let b = 0; b < B; b++) {
        const r = rows[b];
        if (r.end || !r.finish) continue;
        const sampled = r.current.filter((t) => !stop.has(t));
        const text = sampled.length ? tok.decode(sampled) : ''; // (decode throws on no ids)
        const parsed = parseModelOutput(text);
        const et: EpisodeTurn = { text, parsed, calls: [], finish: r.finish, span: [r.currentStart, r.tokens.length] };
        // An unparseable turn is kept verbatim (as a rejected preference side would be).
        const assistant: Turn = parsed.error
          ? { role: 'assistant', calls: [], unparsed: text }
          : { role: 'assistant', calls: parsed.calls, ...(parsed.content ? { content: parsed.content } : {}) };
        const before: Conversation = { ...r.conversation, turns: [...r.conversation.turns] };
        r.conversation.turns.push(assistant);
        r.turns.push(et);
        if (r.finish === 'aborted') r.end = 'aborted';
        else if (r.finish === 'length') r.end = 'truncated';
        else if (parsed.error) r.end = 'unparseable';
        else if (parsed.calls.length === 0) r.end = 'answer';
        else {
          const v = validatorFor(validators, r.spec.tools);
          const results: ResultMessage[] = [];
          for (const call of parsed.calls) {
            const check = v.check(call);
            const result = await runCall(r.spec.world, call, check);
            et.calls.push({ call, check, result });
            results.push({ name: call.name, content: toolResultContent(result) });
          }
          const toolTurn: Turn = { role: 'tool', results };
          r.conversation.turns.push(toolTurn);
          if (turn === o.maxTurns - 1) r.end = 'max_turns';
          else {
            const suffix = toolTurnTokens(tok, before, assistant, toolTurn, render(r.spec));
            if (suffix.length > maxToolTurn || r.tokens.length + suffix.length + o.maxCompletionLength > S) r.end = 'budget';
            else pending[b] = suffix;
          }
        }
        o.onTurn?.(b, et);
        r.current = [];
        r.finish = null;
      }
      if (!pending.some(Boolean)) break;
      // The turn's stop token was sampled but not yet fed: it goes onto the cache first, then the template's tokens.
      const chunks: Array<number[] | null> = rows.map(() => null);
      for (let b = 0; b < B; b++) {
        const s = pending[b];
        if (!s) continue;
        const r = rows[b];
        chunks[b] = [r.tokens[r.tokens.length - 1], ...s];
        for (const t of s) {
          r.tokens.push(t);
          r.mask.push(0);
          r.logprobs.push(0);
        }
        r.currentStart = r.tokens.length;
      }
      next = await sampler.feed(chunks);
    }
  } finally {
    sampler.release();
  }
  return rows.map((r, b) => {
    const world = r.spec.world;
    return {
      tokens: Int32Array.from(r.tokens),
      promptLength: prompts[b].length,
      policyMask: Uint8Array.from(r.mask),
      logprobs: Float32Array.from(r.logprobs),
      turns: r.turns,
      end: r.end ?? 'max_turns',
      conversation: r.conversation,
      ...(world?.snapshot ? { finalState: world.snapshot() } : {}),
    };
  });
}
