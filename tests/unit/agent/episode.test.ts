// The episode runner: scripted policies give known episodes (calls run on the mock world, results appended as
// tool turns, masks 1 only on sampled tokens, every way an episode ends); with the real tiny model, the KV cache
// kept across turns gives the tokens a fresh prefill gives, and the runner's log-probs equal a teacher-forced
// recompute of the same tokens.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runEpisodes, type Episode, type EpisodeSpec, type TurnSampler } from '../../../src/agent/episode.ts';
import type { Conversation } from '../../../src/data/conversation.ts';
import { Engine } from '../../../src/engine/index.ts';
import { DecodeSession, type FeedResult } from '../../../src/model/decode.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { canonicalJson } from '../../../src/tools/environment.ts';
import { enterpriseEnvironment } from '../../../src/tools/enterprise/executors.ts';
import type { ToolDefinition } from '../../../src/tools/types.ts';
import { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';
import { loadTrainableModel } from '../../../src/train/load-model.ts';
import { gpuFor, testAdapters } from '../../helpers/gpu.ts';

const TOOLS = JSON.parse(readFileSync('public/tools/enterprise_tools.json', 'utf8')) as ToolDefinition[];
const SYSTEM = '当前日期：2025-06-02（星期一），当前用户：马洋（E1010）';
const ask = (q: string): Conversation => ({ system: SYSTEM, turns: [{ role: 'user', content: q }] });
const call = (name: string, args: Record<string, unknown>) => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;

/** A policy that writes given turn texts (each closed by <|im_end|> unless `open`), for runner logic without a model. */
function scripted(tok: ChatTokenizer, scripts: Array<Array<string | { text: string; open: true }>>): (B: number) => TurnSampler {
  const imEnd = tok.tokenId('<|im_end|>')!;
  return () => {
    const turn = scripts.map(() => 0);
    const pos = scripts.map(() => 0);
    const tokensOf = (b: number) => {
      const s = scripts[b][turn[b]];
      if (s === undefined) return [imEnd];
      return typeof s === 'string' ? [...tok.encode(s), imEnd] : tok.encode(s.text);
    };
    return {
      async feed(chunks): Promise<FeedResult> {
        const ids: Array<number | undefined> = [];
        chunks.forEach((c, b) => {
          if (!c || c.length === 0) return ids.push(undefined);
          // A chunk longer than one token opens a new turn (the prompt or a tool result).
          if (c.length > 1 && pos[b] > 0) (turn[b]++, (pos[b] = 0));
          const toks = tokensOf(b);
          ids.push(toks[Math.min(pos[b]++, toks.length - 1)]);
        });
        return { ids, logprobs: ids.map((i) => (i === undefined ? undefined : -0.5)) };
      },
      release() {},
    };
  };
}

const tokenizer = async () => ChatTokenizer.fromFiles(folderProvider('public/models/tiny'));

describe('episode runner with scripted policies (real tokenizer, mock world)', () => {
  it('a call, its result, a final answer: calls executed, the result prefilled, masks only on sampled tokens', async () => {
    const tok = await tokenizer();
    const env = enterpriseEnvironment();
    const specs: EpisodeSpec[] = [
      { prompt: ask('明天北京天气怎么样'), tools: TOOLS, renderTools: [], world: env.create() },
      { prompt: ask('你是谁？'), tools: TOOLS, renderTools: [], world: env.create() },
    ];
    const scripts = [[call('queryWeather', { city: '北京', date: '2025-06-03' }), '明天北京晴。'], ['我是公司的智能助手。']];
    const eps = await runEpisodes(null as never, tok, specs, { temperature: 1, topK: 0, topP: 1, seed: 1, maxTurns: 4, maxCompletionLength: 64, sampler: scripted(tok, scripts) });
    const [w, who] = eps;
    expect(w.end).toBe('answer');
    expect(w.turns).toHaveLength(2);
    expect(w.turns[0].calls).toHaveLength(1);
    expect(w.turns[0].calls[0].check.valid).toBe(true);
    expect(w.turns[0].calls[0].result.ok).toBe(true);
    expect(w.turns[1].text).toBe('明天北京晴。');
    expect(who.end).toBe('answer');
    expect(who.turns).toHaveLength(1);
    // Mask: 0 on the prompt, 1 on both sampled turns (their <|im_end|> included), 0 on the tool-result tokens.
    const sampledText = (ep: Episode) => tok.decode(Array.from(ep.tokens).filter((_, i) => ep.policyMask[i] === 1));
    expect(sampledText(w)).toBe(`${scripts[0][0]}<|im_end|>${scripts[0][1]}<|im_end|>`);
    expect(w.policyMask.subarray(0, w.promptLength).every((m) => m === 0)).toBe(true);
    const between = tok.decode(w.tokens.subarray(w.turns[0].span[1], w.turns[1].span[0]));
    expect(between).toContain('<tool_response>');
    expect(between).toContain('"city":"Beijing"');
    expect(between.endsWith('<|im_start|>assistant\n')).toBe(true);
    for (let i = 0; i < w.tokens.length; i++) expect(w.logprobs[i]).toBe(w.policyMask[i] ? -0.5 : 0);
    // The tokens are the template's own: rendering the final conversation gives the same text.
    const rendered = tok.render(
      [{ role: 'system', content: SYSTEM }, { role: 'user', content: '明天北京天气怎么样' }],
      { addGenerationPrompt: true, tools: [] },
    );
    expect(tok.decode(w.tokens.subarray(0, w.promptLength))).toBe(rendered);
    expect(w.conversation.turns.map((t) => t.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  });

  it('ends as unparseable, truncated, max_turns; unknown tools and bad arguments get error results; the world changes', async () => {
    const tok = await tokenizer();
    const env = enterpriseEnvironment();
    const worlds = [env.create(), env.create(), env.create(), env.create()];
    const initial = canonicalJson(env.create().snapshot());
    const specs = worlds.map((world, i): EpisodeSpec => ({ prompt: ask(['帮我订个会议室', '天气', '查假期', '订会议室'][i]), tools: TOOLS, renderTools: [], world }));
    const scripts: Array<Array<string | { text: string; open: true }>> = [
      ['<tool_call>\n{"name": "bookMeetingRoom", "arguments": {'], // never closed
      [{ text: '一二三四五六七八九十'.repeat(12), open: true }],
      [call('lookupPerson', { name: '林涛' }), call('getLeaveBalance', { employeeId: 'E1010', bogus: 1 }), call('getLeaveBalance', { employeeId: 'E1010' })],
      [call('bookMeetingRoom', { roomId: 'SZ-402', date: '2025-06-10', startTime: '14:00', endTime: '16:00', organizerId: 'E1010' })],
    ];
    const eps = await runEpisodes(null as never, tok, specs, { temperature: 1, topK: 0, topP: 1, seed: 1, maxTurns: 3, maxCompletionLength: 80, sampler: scripted(tok, scripts) });
    expect(eps[0].end).toBe('unparseable');
    expect(eps[0].turns[0].parsed.error?.kind).toBe('unclosed_tag');
    expect(eps[1].end).toBe('truncated');
    expect(eps[1].turns[0].finish).toBe('length');
    expect(eps[1].policyMask.reduce((a, b) => a + b, 0)).toBe(80);
    // Episode 2: an unknown tool, then bad arguments (both answered with errors, the episode goes on), then a good call.
    expect(eps[2].end).toBe('max_turns');
    expect(eps[2].turns.map((t) => t.calls[0].result.ok)).toEqual([false, false, true]);
    expect(eps[2].turns[0].calls[0].result).toMatchObject({ ok: false, error: { type: 'unknown_tool' } });
    expect(eps[2].turns[1].calls[0].result).toMatchObject({ ok: false, error: { type: 'invalid_arguments' } });
    expect(eps[2].turns[1].calls[0].check.valid).toBe(false);
    // Episode 3 booked a room: its final state differs from a fresh world's; the others' do not.
    expect(eps[3].turns[0].calls[0].result.ok).toBe(true);
    expect(canonicalJson(eps[3].finalState)).not.toBe(initial);
    expect(canonicalJson(eps[2].finalState)).toBe(initial);
  });

  it("never sizes the cache past the model's positions: a chain whose next turn would not fit ends with 'budget'", async () => {
    const tok = await tokenizer();
    const env = enterpriseEnvironment();
    const spec: EpisodeSpec = { prompt: ask('查一下林涛'), tools: TOOLS, renderTools: [], world: env.create() };
    const lookups = Array.from({ length: 6 }, () => call('lookupPerson', { name: '林涛' }));
    const sizes: number[] = [];
    const sampler = (B: number, S: number) => (sizes.push(S), scripted(tok, [lookups])(B));
    const fake = (maxPositions: number) => ({ rope: { maxPositions } }) as never;
    const opts = { temperature: 1, topK: 0, topP: 1, seed: 1, maxTurns: 6, maxCompletionLength: 40, maxToolTurnTokens: 400, sampler };
    // Unbounded (positions enough for all six turns): every lookup runs, the episode hits max_turns.
    const [free] = await runEpisodes(fake(100_000), tok, [spec], opts);
    expect(free.end).toBe('max_turns');
    expect(free.turns).toHaveLength(6);
    const perTurn = free.turns[1].span[0] - free.turns[0].span[0];
    // Room for the prompt and about two turns: the cache is cut to the positions, and the episode stops in budget.
    const positions = free.promptLength + Math.floor(2.5 * perTurn);
    const [cut] = await runEpisodes(fake(positions), tok, [{ ...spec, world: env.create() }], opts);
    expect(sizes.at(-1)).toBe(positions);
    expect(cut.end).toBe('budget');
    expect(cut.turns.length).toBe(2);
    expect(cut.tokens.length).toBeLessThanOrEqual(positions);
    // A prompt that cannot hold even one turn is refused by name.
    await expect(runEpisodes(fake(free.promptLength + 10), tok, [spec], opts)).rejects.toThrow(/exceeds the model's \d+ positions/);
  });
});

describe.each(testAdapters())('episode runner with the tiny model on %s', (adapter) => {
  async function setup() {
    const e = new Engine(await gpuFor(adapter));
    const { model, tokenizer: tok } = await loadTrainableModel(e, folderProvider('public/models/tiny'), { finetune: 'full', lora: { r: 8, alpha: 16, dropout: 0, target_modules: ['q_proj'] }, chatTemplate: 'model', seed: 3 });
    return { e, model, tok };
  }
  /** The model's sampler, except that turn 0 of every episode is forced to a script (so a second turn exists). */
  function forcedFirstTurn(model: Parameters<typeof runEpisodes>[0], tok: ChatTokenizer, first: string[], sampling: { temperature: number; topK: number; topP: number; seed: number }) {
    return (B: number, S: number): TurnSampler => {
      const inner = new DecodeSession(model, B, S, sampling);
      const script = first.map((t) => [...tok.encode(t), tok.tokenId('<|im_end|>')!]);
      const pos = first.map(() => 0);
      const feeds = first.map(() => 0);
      return {
        async feed(chunks) {
          const r = await inner.feed(chunks);
          chunks.forEach((c, b) => {
            if (!c || c.length === 0) return;
            if (c.length > 1) feeds[b]++;
            if (feeds[b] === 1 && pos[b] < script[b].length) {
              r.ids[b] = script[b][pos[b]++];
              r.logprobs[b] = 0;
            }
          });
          return r;
        },
        release: () => inner.release(),
      };
    };
  }

  it('greedy second turns over the kept KV cache equal a fresh prefill of the same tokens, token for token', async () => {
    const { e, model, tok } = await setup();
    const env = enterpriseEnvironment();
    const specs: EpisodeSpec[] = [ask('明天北京天气怎么样'), ask('看看我提交过的报销'), ask('ORD-250028还能取消吗')].map((prompt) => ({ prompt, tools: TOOLS, renderTools: [], world: env.create() }));
    const first = [call('queryWeather', { city: '北京', date: '2025-06-03' }), call('listExpenseReports', { employeeId: 'E1010' }), call('queryOrderStatus', { orderId: 'ORD-250028' })];
    const greedy = { temperature: 0, topK: 0, topP: 1, seed: 0 };
    const eps = await runEpisodes(model, tok, specs, { ...greedy, maxTurns: 2, maxCompletionLength: 40, sampler: forcedFirstTurn(model, tok, first, greedy) });
    for (const [b, ep] of eps.entries()) {
      expect(ep.turns.length, `episode ${b}`).toBe(2);
      const [start, end] = ep.turns[1].span;
      // Fresh: one session, one prefill of everything before turn 1, then greedy decoding.
      const fresh = new DecodeSession(model, 1, end + 1, greedy);
      let next = await fresh.feed([ep.tokens.subarray(0, start)]);
      const got: number[] = [];
      for (let t = start; t < end; t++) {
        got.push(next.ids[0]!);
        // The same distribution, not only the same argmax (a token missing from the cache moves the log-probs).
        expect(Math.abs(next.logprobs[0]! - ep.logprobs[t]), `episode ${b} token ${t}`).toBeLessThan(1e-4);
        if (t + 1 < end) next = await fresh.feed([[next.ids[0]!]]);
      }
      fresh.release();
      expect(got, `episode ${b}`).toEqual(Array.from(ep.tokens.subarray(start, end)));
    }
    e.pool.trim();
  });

  it('the log-probs of sampled tokens equal a teacher-forced recompute of the whole episode (< 1e-4)', async () => {
    const { model, tok } = await setup();
    const env = enterpriseEnvironment();
    const specs: EpisodeSpec[] = [ask('明天北京天气怎么样'), ask('你是谁？')].map((prompt) => ({ prompt, tools: TOOLS, renderTools: [], world: env.create() }));
    const first = [call('queryWeather', { city: '北京', date: '2025-06-03' }), call('searchEmployees', { name: '林涛' })];
    const sampling = { temperature: 0.8, topK: 0, topP: 1, seed: 5 };
    const eps = await runEpisodes(model, tok, specs, { ...sampling, maxTurns: 2, maxCompletionLength: 40, sampler: forcedFirstTurn(model, tok, first, sampling) });
    let compared = 0;
    for (const ep of eps) {
      const T = ep.tokens.length;
      const t = model.e.scope(() => model.forward({ ids: ep.tokens, mask: new Uint8Array(T).fill(1), B: 1, T }).logits);
      const logits = await t.read();
      t.release();
      const V = model.cfg.vocabSize;
      const [start, end] = ep.turns[1].span;
      for (let i = start; i < end; i++) {
        const row = logits.subarray((i - 1) * V, i * V);
        let m = -Infinity;
        for (const v of row) m = Math.max(m, v);
        let s = 0;
        for (const v of row) s += Math.exp((v - m) / sampling.temperature);
        const expected = (row[ep.tokens[i]] - m) / sampling.temperature - Math.log(s);
        expect(Math.abs(ep.logprobs[i] - expected), `token ${i}`).toBeLessThan(1e-4);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(4);
  });
});
