// Rule-based reward for RL on one generation: named components, each in a fixed range, combined with
// weights from a YAML config. Every reward comes back with its components so training can chart them.
//
// Components (value ranges):
//   format       {0,1}   the text parses, and is a tool call when tools are expected / an answer when not
//                        (and opens with <think> when requireThink is set)
//   intent       {0,1}   tool or no tool, as expected
//   tool_name    [0,1]   Jaccard of predicted and expected tool-name sets (both empty: 1)
//   param_names  [0,1]   ToolRL's parameter-name term, averaged over expected calls
//   param_values [0,1]   ToolRL's parameter-value term, as a fraction of expected parameters
//   params       [0,1]   expected calls matched by a fully correct call (BFCL rules) / max(#expected, #predicted)
//   execution    [0,1]   predicted calls that execute without error, or fail exactly as their reference
//                        call does (needs executors; with no calls: intent)
//   correctness  [-3,3]  ToolRL's correctness reward (below)
//   binary       {0,1}   all or nothing: format ok, exactly the right calls, and all of them execute (as above)
//
// ToolRL (Qian et al. 2025, "ToolRL: Reward is All Tool Learning Needs", arXiv:2504.13958) uses
// R = R_format + R_correct with R_format in {0,1} and R_correct in [-3,3]. With G the expected and P the
// predicted calls, N_G and N_P their name sets:
//   r_name  = |N_G ∩ N_P| / |N_G ∪ N_P|                                       in [0, 1]
//   r_param = Σ_(g,p) |keys(g) ∩ keys(p)| / |keys(g) ∪ keys(p)|                in [0, |G|]
//   r_value = Σ_(g,p) Σ_(k in keys(g)) 1[g[k] == p[k]]                           in [0, Σ_g |keys(g)|]
//   R_max   = r_name + max over one-to-one pairings (g,p) of (r_param + r_value)
//   S_max   = 1 + |G| + Σ_g |keys(g)|,   R_correct = 6 · R_max / S_max − 3.
// Our choices where the paper leaves room: a pair earns parameter credit only when the tool names agree;
// value equality is exact JSON equality; with no expected and no predicted calls R_correct = 3.

import { parse as parseYaml, parseDocument, isMap, isScalar, type Node as YamlNode } from 'yaml';
import { parseModelOutput, type ParsedOutput } from '../tools/parse-output.ts';
import type { ToolCall, ToolDefinition } from '../tools/types.ts';
import type { ToolEnvironment } from '../tools/environment.ts';
import { GoldMatcher, jsonEqual, maxMatching, type GoldCall } from './match.ts';

export const REWARD_COMPONENTS = [
  'format', 'intent', 'tool_name', 'param_names', 'param_values', 'params', 'execution', 'correctness', 'binary',
] as const;
export type RewardComponent = (typeof REWARD_COMPONENTS)[number];

export interface RewardConfig {
  /** Name for logs and charts, e.g. "toolrl". */
  name: string;
  weights: Partial<Record<RewardComponent, number>>;
  /** The format component also requires a leading <think> block (ToolRL's thought-then-call layout). */
  requireThink: boolean;
}

/** The two documented presets; configs/reward_toolrl.yaml and configs/reward_binary.yaml hold the same. */
export const REWARD_PRESETS: Record<'toolrl' | 'binary' | 'pipeline', RewardConfig> = {
  toolrl: { name: 'toolrl', weights: { format: 1, correctness: 1 }, requireThink: false },
  binary: { name: 'binary', weights: { binary: 1 }, requireThink: false },
  pipeline: { name: 'pipeline', weights: { intent: 1, tool_name: 1, params: 1, execution: 1 }, requireThink: false },
};

export interface RewardInput {
  /** The model's raw text (or an already parsed output). */
  output: string | ParsedOutput;
  expected: GoldCall[];
  tools?: readonly ToolDefinition[];
  /** Executors for the execution and binary components. */
  environment?: ToolEnvironment;
  /** Calls of earlier chain steps, executed first so this step runs in the right state. */
  prefix?: ToolCall[];
}

export interface RewardResult {
  total: number;
  /** Every component's value (weighted or not), so charts can show them all. */
  components: Record<RewardComponent, number>;
  weights: Partial<Record<RewardComponent, number>>;
}

function jaccard<T>(a: Set<T>, b: Set<T>): number {
  const union = new Set([...a, ...b]);
  if (union.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / union.size;
}

/** Best total score of a one-to-one pairing (bitmask DP over predicted calls; exact for up to 16). */
function bestPairing(nGold: number, nPred: number, score: (g: number, p: number) => number): number {
  if (nPred > 16) {
    // Beyond 16 predicted calls, greedy is good enough and keeps the cost bounded.
    const used = new Set<number>();
    let total = 0;
    for (let g = 0; g < nGold; g++) {
      let best = -1, bestScore = 0;
      for (let p = 0; p < nPred; p++) if (!used.has(p) && score(g, p) > bestScore) (best = p), (bestScore = score(g, p));
      if (best >= 0) used.add(best), (total += bestScore);
    }
    return total;
  }
  let dp = new Map<number, number>([[0, 0]]);
  for (let g = 0; g < nGold; g++) {
    const next = new Map<number, number>();
    for (const [mask, v] of dp) {
      next.set(mask, Math.max(next.get(mask) ?? -Infinity, v)); // g left unpaired
      for (let p = 0; p < nPred; p++) {
        if (mask & (1 << p)) continue;
        const m = mask | (1 << p);
        next.set(m, Math.max(next.get(m) ?? -Infinity, v + score(g, p)));
      }
    }
    dp = next;
  }
  return Math.max(...dp.values());
}

/** ToolRL's terms for expected vs predicted calls. */
export function toolRlTerms(expected: readonly ToolCall[], predicted: readonly ToolCall[]) {
  const rName = jaccard(new Set(expected.map((c) => c.name)), new Set(predicted.map((c) => c.name)));
  const pairParam = (g: number, p: number) =>
    expected[g].name !== predicted[p].name ? 0 : jaccard(new Set(Object.keys(expected[g].arguments)), new Set(Object.keys(predicted[p].arguments)));
  const pairValue = (g: number, p: number) => {
    if (expected[g].name !== predicted[p].name) return 0;
    const pa = predicted[p].arguments;
    return Object.entries(expected[g].arguments).filter(([k, v]) => Object.hasOwn(pa, k) && jsonEqual(v, pa[k])).length;
  };
  const best = bestPairing(expected.length, predicted.length, (g, p) => pairParam(g, p) + pairValue(g, p));
  // r_param and r_value on their own (the param_names / param_values components) each take their best pairing.
  const rParam = bestPairing(expected.length, predicted.length, pairParam);
  const rValue = bestPairing(expected.length, predicted.length, pairValue);
  const keyCount = expected.reduce((s, c) => s + Object.keys(c.arguments).length, 0);
  const sMax = 1 + expected.length + keyCount;
  const rMax = rName + best;
  const correctness = expected.length === 0 && predicted.length === 0 ? 3 : (6 * rMax) / sMax - 3;
  return { rName, rParam, rValue, keyCount, sMax, rMax, correctness };
}

/** Computes every component and the weighted total. */
export function computeReward(input: RewardInput, config: RewardConfig): RewardResult {
  const parsed = typeof input.output === 'string' ? parseModelOutput(input.output) : input.output;
  const pred = parsed.calls;
  const gold = input.expected;
  const wantsCalls = gold.length > 0;

  const formatOk = !parsed.error
    && (wantsCalls ? parsed.format !== 'text' && pred.length > 0 : pred.length === 0 && parsed.content.length > 0)
    && (!config.requireThink || parsed.think !== undefined);
  const intent = (pred.length > 0) === wantsCalls ? 1 : 0;
  const terms = toolRlTerms(gold, pred);

  const byName = new Map((input.tools ?? []).map((t) => [t.function.name, t]));
  const matchers = gold.map((g) => new GoldMatcher(g, byName.get(g.name)));
  const full = maxMatching(gold.length, pred.length, (g, p) => matchers[g].check(pred[p]).valid);
  const params = gold.length === 0 && pred.length === 0 ? 1 : full.length / Math.max(gold.length, pred.length);
  const exact = gold.length === pred.length && full.length === gold.length;

  let execution = intent;
  let allExecuted = true;
  if (input.environment && pred.length > 0) {
    // The reference calls run too: a call that fails exactly as its reference does (cancelling an order
    // that has shipped, as the user asked) behaves correctly and is not punished.
    const refWorld = input.environment.create();
    for (const c of input.prefix ?? []) refWorld.execute(c);
    const refErrors = gold.map((g) => {
      const r = refWorld.execute({ name: g.name, arguments: g.arguments });
      return r.ok ? null : r.error.type;
    });
    const goldOf = new Map(full.map(([g, p]) => [p, g]));
    const world = input.environment.create();
    for (const c of input.prefix ?? []) world.execute(c);
    const ok = pred.filter((c, p) => {
      const r = world.execute(c);
      const g = goldOf.get(p);
      return r.ok || (g !== undefined && refErrors[g] === r.error.type);
    }).length;
    execution = ok / pred.length;
    allExecuted = ok === pred.length;
  }

  const components: Record<RewardComponent, number> = {
    format: formatOk ? 1 : 0,
    intent,
    tool_name: terms.rName,
    param_names: gold.length ? terms.rParam / gold.length : pred.length ? 0 : 1,
    param_values: terms.keyCount ? terms.rValue / terms.keyCount : intent,
    params,
    execution,
    correctness: terms.correctness,
    binary: formatOk && exact && allExecuted ? 1 : 0,
  };
  let total = 0;
  for (const [name, w] of Object.entries(config.weights) as [RewardComponent, number][]) total += w * components[name];
  return { total, components, weights: { ...config.weights } };
}

/** A config problem with the YAML line it comes from. */
export class RewardConfigError extends Error {
  constructor(readonly file: string, readonly line: number, readonly field: string, message: string) {
    super(`${file}:${line}: ${field}: ${message}`);
    this.name = 'RewardConfigError';
  }
}

function lineOf(text: string, node: YamlNode | null | undefined): number {
  const offset = node?.range?.[0];
  return offset === undefined ? 1 : text.slice(0, offset).split('\n').length;
}

/**
 * Reads a reward config: `name`, `preset` (start from toolrl / binary / pipeline), `weights: {component: number}`
 * and `require_think`. Unknown keys and components are errors that name the line and the valid choices.
 */
export function parseRewardConfig(text: string, file = 'reward.yaml'): RewardConfig {
  const doc = parseDocument(text);
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new RewardConfigError(file, e.linePos?.[0]?.line ?? 1, '(yaml)', e.message);
  }
  const root = doc.contents;
  if (!isMap(root)) throw new RewardConfigError(file, 1, '(root)', 'expected a mapping with "weights"');
  const raw = parseYaml(text) as Record<string, unknown>;
  const keyNode = (key: string) => root.items.find((p) => isScalar(p.key) && p.key.value === key);
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '?';
    if (!['name', 'preset', 'weights', 'require_think'].includes(key)) {
      throw new RewardConfigError(file, lineOf(text, pair.key as YamlNode), key, 'unknown key; expected one of name, preset, weights, require_think');
    }
  }
  let base: RewardConfig = { name: 'custom', weights: {}, requireThink: false };
  if (raw.preset !== undefined) {
    const preset = REWARD_PRESETS[raw.preset as keyof typeof REWARD_PRESETS];
    if (!preset) throw new RewardConfigError(file, lineOf(text, keyNode('preset')?.value as YamlNode), 'preset', `unknown preset ${JSON.stringify(raw.preset)}; expected one of ${Object.keys(REWARD_PRESETS).join(', ')}`);
    base = structuredClone(preset);
  }
  const weights = { ...base.weights };
  const wNode = keyNode('weights')?.value;
  if (raw.weights !== undefined) {
    if (!isMap(wNode)) throw new RewardConfigError(file, lineOf(text, wNode as YamlNode), 'weights', 'expected a mapping of component: weight');
    for (const pair of wNode.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '?';
      const value = isScalar(pair.value) ? pair.value.value : undefined;
      const line = lineOf(text, pair.key as YamlNode);
      if (!(REWARD_COMPONENTS as readonly string[]).includes(name)) {
        throw new RewardConfigError(file, line, `weights.${name}`, `unknown component; expected one of ${REWARD_COMPONENTS.join(', ')}`);
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RewardConfigError(file, line, `weights.${name}`, `weight must be a number, got ${JSON.stringify(value ?? null)}`);
      weights[name as RewardComponent] = value;
    }
  }
  if (Object.keys(weights).length === 0) throw new RewardConfigError(file, 1, 'weights', 'no component has a weight; set weights or a preset');
  const requireThink = raw.require_think ?? base.requireThink;
  if (typeof requireThink !== 'boolean') throw new RewardConfigError(file, lineOf(text, keyNode('require_think')?.value as YamlNode), 'require_think', 'expected true or false');
  return { name: typeof raw.name === 'string' ? raw.name : base.name, weights, requireThink };
}
