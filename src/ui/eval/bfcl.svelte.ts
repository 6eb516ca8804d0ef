// State of the Evaluate page's BFCL panel: BFCL's question and possible-answer files plus a predictions
// file, scored with the same checker as `npm run eval -- --bfcl`.

import { readBfclCases, readBfclIds } from '../../eval/bfcl/bfcl-data.ts';
import { categoryOf } from '../../eval/bfcl/ast-checker.ts';
import { readBfclPredictions, scoreBfcl, scoreBfclIrrelevance, type BfclReport } from '../../eval/bfcl/score-bfcl.ts';
import type { LoadedFile } from './evaluate.svelte.ts';

export class BfclState {
  questions = $state<LoadedFile | null>(null);
  answers = $state<LoadedFile | null>(null);
  predictions = $state<LoadedFile | null>(null);
  underscoreToDot = $state(false);
  report = $state.raw<BfclReport | null>(null);
  problems = $state<string[]>([]);
  error = $state<string | null>(null);

  async setFile(which: 'questions' | 'answers' | 'predictions', file: File): Promise<void> {
    this[which] = { name: file.name, text: await file.text() };
    this.report = null;
  }

  /** The irrelevance category has no answer file. */
  get needsAnswers(): boolean {
    return !this.questions?.name.includes('irrelevance');
  }

  run(): void {
    this.error = null;
    try {
      if (!this.questions || !this.predictions || (this.needsAnswers && !this.answers)) throw new Error('load the question file, its possible-answer file and a predictions file');
      const problems: string[] = [];
      const preds = readBfclPredictions(this.predictions.text, this.predictions.name, problems);
      this.problems = problems;
      if (!this.needsAnswers) {
        this.report = scoreBfclIrrelevance(readBfclIds(this.questions.text, this.questions.name), preds);
        return;
      }
      const cases = readBfclCases(this.questions.text, this.answers!.text, this.questions.name, this.answers!.name);
      if (cases.length && categoryOf(cases[0].id) !== categoryOf(this.questions.name)) throw new Error(`${this.questions.name} holds ${cases[0].id}: the file name and its ids disagree on the category`);
      this.report = scoreBfcl(cases, preds, { underscoreToDot: this.underscoreToDot });
    } catch (e) {
      this.report = null;
      this.error = (e as Error).message;
    }
  }
}
