// What sampling finds that greedy decoding does not: for each example, whether the greedy episode was right and how
// many of N sampled episodes were. RL can only reinforce answers the policy samples, so a greedy failure that no
// sample gets right gives GRPO and PPO nothing to move towards (docs/training.md "demo:rl: measured").
// "Right" is an example's chain-level success (every step's calls right; for a single step its call, or no call where
// none was due; the world in the reference state), the same success pass@k counts (src/eval/pass-at-k.ts).
import { pct } from './format-report.ts';
import { defaultKs, passAtK } from './pass-at-k.ts';

export interface SampledRun {
  /** Tool-level accuracy of this run (src/eval/metrics.ts). */
  toolAccuracy: number | null;
  records: readonly { id: string; chainSuccess: boolean }[];
}

export interface SamplingHeadroom {
  samples: number;
  temperature: number;
  examples: number;
  /** Mean over the sampled runs of their tool-level accuracy. */
  sampledToolAccuracy: number | null;
  /** pass@k for k = 1, 2, 4, ..., samples (k = 1: the mean chain-level success of one sample). */
  passAtK: { k: number; passAtK: number }[];
  /** Examples the greedy episode got wrong. */
  greedyFailures: number;
  /** Of those, the examples that at least one sample got right: what RL has a signal for. */
  greedyFailuresWithRightSample: number;
  /** Right samples among the greedy failures' samples. */
  rightSampleRateOnGreedyFailures: number;
}

export function samplingHeadroom(greedy: readonly { id: string; chainSuccess: boolean }[], runs: readonly SampledRun[], temperature: number): SamplingHeadroom {
  const n = runs.length;
  if (n < 1) throw new Error('sampling headroom needs at least one sampled run');
  const right = new Map(greedy.map((r) => [r.id, 0]));
  for (const [s, run] of runs.entries()) {
    if (run.records.length !== greedy.length) throw new Error(`sampled run ${s + 1} scored ${run.records.length} examples, the greedy run ${greedy.length}: both must score the same file`);
    for (const r of run.records) {
      const c = right.get(r.id);
      if (c === undefined) throw new Error(`sampled run ${s + 1} scored ${r.id}, which the greedy run did not`);
      right.set(r.id, c + (r.chainSuccess ? 1 : 0));
    }
  }
  const failures = greedy.filter((r) => !r.chainSuccess).map((r) => right.get(r.id)!);
  const accuracies = runs.map((r) => r.toolAccuracy).filter((a): a is number => a !== null);
  const counts = [...right.values()];
  return {
    samples: n,
    temperature,
    examples: greedy.length,
    sampledToolAccuracy: accuracies.length ? accuracies.reduce((a, b) => a + b, 0) / accuracies.length : null,
    passAtK: defaultKs(n).map((k) => ({ k, passAtK: counts.reduce((a, c) => a + passAtK(n, c, k), 0) / Math.max(1, counts.length) })),
    greedyFailures: failures.length,
    greedyFailuresWithRightSample: failures.filter((c) => c > 0).length,
    rightSampleRateOnGreedyFailures: failures.length ? failures.reduce((a, c) => a + c, 0) / (failures.length * n) : 0,
  };
}

/** The lines `npm run eval -- --model M --data F --samples N` prints. */
export function samplingHeadroomLines(h: SamplingHeadroom): string[] {
  return [
    `sampled at temperature ${h.temperature}, ${h.samples} per example (${h.examples} examples):`,
    `  tool-level accuracy per sample: ${pct(h.sampledToolAccuracy)}`,
    `  chain-level success ${h.passAtK.map((r) => `pass@${r.k} ${pct(r.passAtK)}`).join(', ')}`,
    `  greedy failures that a sample got right: ${h.greedyFailuresWithRightSample} of ${h.greedyFailures}` +
      ` (${pct(h.rightSampleRateOnGreedyFailures)} of their samples right); RL has no right answer to reinforce on the others`,
  ];
}
