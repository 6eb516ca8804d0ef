// State of the reward inspector (Reward page): a reward model loaded in the engine worker (a reward-model run's
// newest checkpoint, or a reward model imported on the Models page); a typed or picked
// (prompt, response) scored by it beside the rule reward's components (src/eval/reward.ts); and the pairs of a
// preference file scored by it and sorted by how wrong it is, so what it has not learnt is in view.
import type { DatasetExample, Turn } from '../../data/conversation.ts';
import { turnText } from '../../data/conversation.ts';
import { readDatasetText } from '../../data/read-dataset.ts';
import { decodeReply, replyTurn } from '../../data/reply-decoding.ts';
import { pairDifference } from '../../eval/preference-diff.ts';
import { preferenceReport, type PreferenceReport } from '../../eval/preference-report.ts';
import { computeReward, REWARD_PRESETS, type RewardResult } from '../../eval/reward.ts';
import { DatasetStore } from '../../store/datasets.ts';
import { IMPORT_PREFIX, ImportStore, type ImportRecord } from '../../store/imports.ts';
import { RunStore } from '../../store/runs.ts';
import { printCallString } from '../../tools/call-string.ts';
import { enterpriseEnvironment } from '../../tools/enterprise/executors.ts';
import { ENTERPRISE_TOOLS } from '../../tools/enterprise/tool-set.ts';
import type { RunRecord } from '../../train/metrics.ts';
import type { RewardModelInfo } from '../../worker/protocol.ts';
import { publicUrl } from '../../worker/public-url.ts';
import { loadSettings as loadHubSettings } from '../models/models.svelte.ts';
import { studio } from '../studio.svelte.ts';

type RmExample = Extract<DatasetExample, { kind: 'rm' }>;

/** One scored pair of the table. Texts are shown as text, never as HTML. */
export interface PairRow {
  line: number;
  kind: string;
  difference: string;
  prompt: string;
  chosen: string;
  rejected: string;
  rChosen: number;
  rRejected: number;
}

export interface ScoredResponse {
  score: number;
  /** The rule reward against the reference answer (null without one). */
  rule: RewardResult | null;
  /** The presets' totals for the same components. */
  presets: Array<{ name: string; total: number }>;
}

const SAMPLE_SOURCES = [
  { id: 'sample:data/rm_eval.jsonl', name: 'Sample held-out pairs (rm_eval.jsonl)' },
  { id: 'sample:data/rm_data.jsonl', name: 'Sample training pairs (rm_data.jsonl)' },
];

/** How a side's turns read back as a reply text that decodes to the same turn (a call string, the text, or the broken call). */
export function replyText(turns: Turn[]): string {
  return turns
    .map((t) => (t.role !== 'assistant' ? turnText(t) : t.unparsed ?? [t.content ?? '', t.calls.length ? printCallString(t.calls) : ''].filter(Boolean).join('\n')))
    .join('\n');
}

export class RewardInspector {
  runs = $state<RunRecord[]>([]);
  /** Imported reward models (SEQ_CLS adapters, *ForSequenceClassification folders). */
  imports = $state<ImportRecord[]>([]);
  /** run:<id> or import:<id>. */
  modelChoice = $state('');
  model = $state<RewardModelInfo | null>(null);
  busy = $state(false);
  error = $state<string | null>(null);

  system = $state('当前日期：2025-06-02（星期一），当前用户：王伟（E1001）');
  question = $state('');
  response = $state('');
  reference = $state('');
  result = $state<ScoredResponse | null>(null);

  sources = $state<Array<{ id: string; name: string }>>([...SAMPLE_SOURCES]);
  sourceId = $state(SAMPLE_SOURCES[0].id);
  pairs = $state.raw<RmExample[]>([]);
  rowIndex = $state(1);
  rows = $state.raw<PairRow[] | null>(null);
  summary = $state.raw<PreferenceReport | null>(null);

  async init(): Promise<void> {
    this.runs = (await new RunStore().list()).filter((r) => r.method === 'rm' && r.step > 0);
    this.imports = (await new ImportStore().list()).filter((r) => r.task === 'SEQ_CLS');
    const choices = [...this.runs.map((r) => `run:${r.id}`), ...this.imports.map((r) => `${IMPORT_PREFIX}${r.id}`)];
    if (!choices.includes(this.modelChoice)) this.modelChoice = choices[0] ?? '';
    const stored = (await new DatasetStore().list()).filter((d) => d.kind === 'rm');
    this.sources = [...SAMPLE_SOURCES, ...stored.map((d) => ({ id: `stored:${d.id}`, name: `${d.name} (${d.counts.valid} pairs)` }))];
    if (!this.pairs.length) await this.loadPairs();
  }

  async loadModel(): Promise<void> {
    if (!studio.engine || !this.modelChoice) return;
    await this.guard(async () => {
      this.model = (await studio.engine!.request({ type: 'reward-load', model: this.modelChoice, hub: loadHubSettings() })).info;
      this.rows = null;
      this.summary = null;
      this.result = null;
    });
  }

  /** The preference pairs of the chosen source. */
  async loadPairs(): Promise<void> {
    await this.guard(async () => {
      const [kind, ref] = [this.sourceId.slice(0, this.sourceId.indexOf(':')), this.sourceId.slice(this.sourceId.indexOf(':') + 1)];
      let examples: DatasetExample[];
      if (kind === 'sample') {
        const res = await fetch(publicUrl(ref));
        if (!res.ok) throw new Error(`sample file ${ref}: HTTP ${res.status}`);
        examples = readDatasetText(await res.text(), { tools: ENTERPRISE_TOOLS }).examples;
      } else examples = await new DatasetStore().examples(ref);
      this.pairs = examples.filter((x): x is RmExample => x.kind === 'rm');
      this.rows = null;
      this.summary = null;
    });
  }

  /** Fills the form from pair `rowIndex` (1-based): its prompt, one side as the response, the chosen side as reference. */
  pickRow(side: 'chosen' | 'rejected'): void {
    const p = this.pairs[this.rowIndex - 1];
    if (!p) {
      this.error = `row ${this.rowIndex} is not in this file (${this.pairs.length} pairs)`;
      return;
    }
    this.error = null;
    this.system = p.prompt.system ?? '';
    this.question = p.prompt.turns.filter((t) => t.role === 'user').map((t) => (t as { content: string }).content).join('\n');
    this.response = replyText(p[side]);
    this.reference = replyText(p.chosen);
    this.result = null;
  }

  /** The reward model's score and the rule reward's components for the form's prompt and response. */
  async score(): Promise<void> {
    if (!studio.engine || !this.model) return;
    await this.guard(async () => {
      if (this.question.trim() === '' || this.response.trim() === '') throw new Error('type a question and a response (or pick a row of a file)');
      const prompt = { ...(this.system.trim() ? { system: this.system } : {}), turns: [{ role: 'user' as const, content: this.question }] };
      const { scores } = await studio.engine!.request({ type: 'reward-score', items: [{ prompt, response: [replyTurn(this.response)] }] });
      let rule: RewardResult | null = null;
      if (this.reference.trim()) {
        const ref = decodeReply(this.reference);
        if ('error' in ref) throw new Error(`the reference answer is not a valid call or answer: ${ref.error}`);
        rule = computeReward({ output: this.response, expected: ref.calls, tools: ENTERPRISE_TOOLS, environment: enterpriseEnvironment() }, REWARD_PRESETS.toolrl);
      }
      const presets = rule
        ? Object.values(REWARD_PRESETS).map((p) => ({ name: p.name, total: Object.entries(p.weights).reduce((s, [k, w]) => s + (w ?? 0) * rule!.components[k as keyof RewardResult['components']], 0) }))
        : [];
      this.result = { score: scores[0], rule, presets };
    });
  }

  /** Scores both sides of every pair of the source, most wrong first (r_rejected − r_chosen, largest first). */
  async scorePairs(): Promise<void> {
    if (!studio.engine || !this.model) return;
    await this.guard(async () => {
      const ps = this.pairs;
      if (!ps.length) throw new Error('this file has no preference pairs');
      const items = [...ps.map((p) => ({ prompt: p.prompt, response: p.chosen })), ...ps.map((p) => ({ prompt: p.prompt, response: p.rejected }))];
      const { scores } = await studio.engine!.request({ type: 'reward-score', items: $state.snapshot(items) as never });
      const n = ps.length;
      this.summary = preferenceReport(ps.map((p, i) => ({ line: p.line, chosen: scores[i], rejected: scores[n + i], ...(p.rejectionKind ? { kind: p.rejectionKind } : {}) })));
      this.rows = ps
        .map((p, i) => ({
          line: p.line, kind: p.rejectionKind ?? '', difference: pairDifference(p).label,
          prompt: [p.prompt.system ?? '', ...p.prompt.turns.map(turnText)].filter(Boolean).join('\n'),
          chosen: replyText(p.chosen), rejected: replyText(p.rejected), rChosen: scores[i], rRejected: scores[n + i],
        }))
        .sort((a, b) => b.rRejected - b.rChosen - (a.rRejected - a.rChosen));
    });
  }

  private async guard(fn: () => Promise<void>): Promise<void> {
    this.busy = true;
    this.error = null;
    try {
      await fn();
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = false;
    }
  }
}

export const inspector = new RewardInspector();
