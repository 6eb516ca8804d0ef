// Reads BFCL's data files (JSON Lines despite the .json name): questions with function descriptions,
// and possible answers. Answers are read losslessly (5.0 stays a float) because the checker's type
// rules depend on it. Errors name the file and line.

import type { BfclCategory, BfclFunction, PossibleAnswer } from './ast-checker.ts';
import { categoryOf } from './ast-checker.ts';
import { isPyDict, parsePyJson, toJs, type PyValue } from './py-value.ts';

export interface BfclCase {
  id: string;
  category: BfclCategory;
  functions: BfclFunction[];
  /** The conversation turns as BFCL stores them (list of turns, each a list of messages). */
  question: unknown;
  answers: PossibleAnswer[];
}

export class BfclDataError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'BfclDataError';
  }
}

/** Each non-blank line as a lossless JSON value, with its 1-based line number. */
export function readJsonLines(text: string, file: string): { line: number; value: PyValue }[] {
  const out: { line: number; value: PyValue }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      out.push({ line: i + 1, value: parsePyJson(raw) });
    } catch (e) {
      throw new BfclDataError(file, i + 1, (e as Error).message);
    }
  });
  return out;
}

/** Joins a category's question file and possible-answer file by id. */
export function readBfclCases(questionsText: string, answersText: string, questionsFile = 'questions', answersFile = 'answers'): BfclCase[] {
  const answers = new Map<string, PossibleAnswer[]>();
  for (const { line, value } of readJsonLines(answersText, answersFile)) {
    if (!isPyDict(value) || typeof value.id !== 'string') throw new BfclDataError(answersFile, line, 'field "id": expected a string');
    const gt = value.ground_truth;
    if (!Array.isArray(gt) || !gt.every((g) => isPyDict(g) && Object.keys(g).length === 1 && Object.values(g).every(isPyDict))) {
      throw new BfclDataError(answersFile, line, 'field "ground_truth": expected a list of {"<function>": {"<param>": [allowed values]}}');
    }
    answers.set(value.id, gt as unknown as PossibleAnswer[]);
  }
  const cases: BfclCase[] = [];
  for (const { line, value } of readJsonLines(questionsText, questionsFile)) {
    if (!isPyDict(value) || typeof value.id !== 'string') throw new BfclDataError(questionsFile, line, 'field "id": expected a string');
    const fns = toJs(value.function ?? null);
    if (!Array.isArray(fns) || !fns.every((f) => f && typeof f === 'object' && typeof (f as BfclFunction).name === 'string')) {
      throw new BfclDataError(questionsFile, line, 'field "function": expected a list of function descriptions with "name"');
    }
    const a = answers.get(value.id);
    if (!a) throw new BfclDataError(answersFile, 0, `no possible answer for id "${value.id}" (${questionsFile}:${line})`);
    cases.push({ id: value.id, category: categoryOf(value.id), functions: fns as BfclFunction[], question: toJs(value.question ?? null), answers: a });
  }
  return cases;
}

/** Ids of a question file (categories without possible answers, like irrelevance). */
export function readBfclIds(questionsText: string, questionsFile = 'questions'): string[] {
  return readJsonLines(questionsText, questionsFile).map(({ line, value }) => {
    if (!isPyDict(value) || typeof value.id !== 'string') throw new BfclDataError(questionsFile, line, 'field "id": expected a string');
    return value.id;
  });
}

/** A question as a model sees it: the conversation turns and the function documents (no answers needed). */
export interface BfclQuestion {
  id: string;
  functions: BfclFunction[];
  question: unknown;
}

/** A category's questions (irrelevance included, which has no answer file). */
export function readBfclQuestions(questionsText: string, questionsFile = 'questions'): BfclQuestion[] {
  return readJsonLines(questionsText, questionsFile).map(({ line, value }) => {
    if (!isPyDict(value) || typeof value.id !== 'string') throw new BfclDataError(questionsFile, line, 'field "id": expected a string');
    const fns = toJs(value.function ?? null);
    if (!Array.isArray(fns) || !fns.every((f) => f && typeof f === 'object' && typeof (f as BfclFunction).name === 'string')) {
      throw new BfclDataError(questionsFile, line, 'field "function": expected a list of function descriptions with "name"');
    }
    return { id: value.id, functions: fns as BfclFunction[], question: toJs(value.question ?? null) };
  });
}
