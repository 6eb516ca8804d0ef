// State of the Evaluate page: a gold file and a predictions file (JSONL), scored in the page with the
// same code as `npm run eval`, giving the same report.

import { readGold, readPredictions, joinRecords, formatProblem } from '../../eval/read-records.ts';
import { scoreRecords, type EvalReport } from '../../eval/metrics.ts';
import { REWARD_PRESETS } from '../../eval/reward.ts';
import { summariseRewards, type RewardSummary } from '../../eval/reward-summary.ts';
import { ENTERPRISE_TOOLS } from '../../tools/enterprise/tool-set.ts';
import { enterpriseEnvironment } from '../../tools/enterprise/executors.ts';

export interface LoadedFile {
  name: string;
  text: string;
}

export class EvaluateState {
  gold = $state<LoadedFile | null>(null);
  pred = $state<LoadedFile | null>(null);
  report = $state.raw<EvalReport | null>(null);
  /** What the reward presets would pay these outputs (text predictions only). */
  rewards = $state.raw<RewardSummary[]>([]);
  problems = $state<string[]>([]);
  missing = $state<string[]>([]);
  unknown = $state<string[]>([]);
  error = $state<string | null>(null);
  /** Run the mock executors (execution success, final-state chain check). */
  execute = $state(true);

  async setFile(which: 'gold' | 'pred', file: File): Promise<void> {
    const loaded = { name: file.name, text: await file.text() };
    if (which === 'gold') this.gold = loaded;
    else this.pred = loaded;
    this.report = null;
  }

  async loadSampleGold(): Promise<void> {
    const res = await fetch(`${import.meta.env.BASE_URL}data/eval_data.jsonl`);
    if (!res.ok) {
      this.error = `could not fetch the sample eval split (HTTP ${res.status})`;
      return;
    }
    this.gold = { name: 'eval_data.jsonl', text: await res.text() };
    this.report = null;
  }

  run(): void {
    this.error = null;
    if (!this.gold || !this.pred) {
      this.error = 'load a gold file and a predictions file first';
      return;
    }
    try {
      const g = readGold(this.gold.text, this.gold.name);
      const p = readPredictions(this.pred.text, this.pred.name);
      const joined = joinRecords(g.gold, p.preds);
      this.problems = [...g.problems, ...p.problems].map(formatProblem);
      this.missing = joined.missing;
      this.unknown = joined.unknown;
      if (joined.records.length === 0) throw new Error('no gold record could be read');
      const opts = { tools: ENTERPRISE_TOOLS, environment: this.execute ? enterpriseEnvironment() : undefined };
      this.report = scoreRecords(joined.records, opts);
      this.rewards = summariseRewards(joined.records, [REWARD_PRESETS.toolrl, REWARD_PRESETS.binary, REWARD_PRESETS.pipeline], opts);
    } catch (e) {
      this.report = null;
      this.rewards = [];
      this.error = (e as Error).message;
    }
  }

  /** The report as the CLI writes it, for download. */
  reportJson(): string {
    return JSON.stringify({ ...this.report, rewards: this.rewards, problems: this.problems, missing: this.missing, unknown: this.unknown }, null, 1);
  }
}
