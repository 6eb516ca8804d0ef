// BFCL on a model: questions become conversations with the functions as the chat template's tools (BFCL's types
// mapped to JSON Schema as its GORILLA_TO_OPENAPI table does); a scripted policy that writes the ground-truth calls in
// the model's <tool_call> format scores 100% on simple, multiple and parallel cases (its JSON read losslessly, so a
// float written where BFCL wants an integer is still rejected), and a policy that calls nothing passes irrelevance.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readBfclCases, readBfclQuestions } from '../../../src/eval/bfcl/bfcl-data.ts';
import { bfclConversation, bfclTools } from '../../../src/eval/bfcl/bfcl-prompts.ts';
import { stringifyPyJson, type PyValue } from '../../../src/eval/bfcl/py-value.ts';
import { decodeBfclOutput, scoreBfcl, scoreBfclIrrelevance } from '../../../src/eval/bfcl/score-bfcl.ts';
import { folderProvider } from '../../../src/model/node-files.ts';
import { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';
import { answerBfcl } from '../../../src/train/bfcl-generation.ts';
import { scriptedPolicy } from '../../helpers/scripted-policy.ts';

const dir = '../shared/bfcl';
const read = (cat: string) => readBfclCases(readFileSync(`${dir}/BFCL_v4_${cat}.json`, 'utf8'), readFileSync(`${dir}/possible_answer/BFCL_v4_${cat}.json`, 'utf8'));

/** Ground truth as <tool_call> text: for each parameter the first allowed value ("" = may be left out: left out). */
function goldText(answers: Record<string, Record<string, PyValue[]>>[]): string {
  return answers.map((a) => {
    const [name, params] = Object.entries(a)[0];
    const args: Record<string, PyValue> = {};
    for (const [p, allowed] of Object.entries(params)) {
      const v = allowed.find((x) => x !== '');
      if (v !== undefined) args[p] = v;
    }
    return `<tool_call>\n{"name": ${JSON.stringify(name)}, "arguments": ${stringifyPyJson(args)}}\n</tool_call>`;
  }).join('\n');
}

describe('BFCL prompts', () => {
  it('functions become tools with JSON Schema types; the question becomes the conversation', () => {
    const [q] = readBfclQuestions(readFileSync(`${dir}/BFCL_v4_simple_python.json`, 'utf8'));
    const [tool] = bfclTools(q);
    expect(tool.function.name).toBe('calculate_triangle_area');
    expect(tool.function.parameters).toMatchObject({ type: 'object', properties: { base: { type: 'integer' } }, required: ['base', 'height'] });
    expect(bfclConversation(q)).toEqual({ turns: [{ role: 'user', content: 'Find the area of a triangle with a base of 10 units and height of 5 units.' }] });
    const floats = readBfclQuestions(readFileSync(`${dir}/BFCL_v4_irrelevance.json`, 'utf8'))[0];
    expect(JSON.stringify(bfclTools(floats))).toContain('"weight":{"type":"number"');
    expect(JSON.stringify(bfclTools(floats))).not.toContain('"float"');
  });
});

describe('BFCL with a scripted policy on the episode runner', async () => {
  const tok = await ChatTokenizer.fromFiles(folderProvider('public/models/tiny'));
  const answerAll = async (cases: ReturnType<typeof read>, textOf: (c: ReturnType<typeof read>[number]) => string) => {
    const byPrompt = new Map(cases.map((c) => [bfclConversation(c).turns.map((t) => (t.role === 'user' ? t.content : '')).join('\n'), c]));
    const sampler = scriptedPolicy(tok, (prompt) => {
      const c = [...byPrompt].find(([q]) => prompt.includes(q))?.[1];
      return c ? [textOf(c)] : ['no idea'];
    });
    const texts = await answerBfcl(null as never, tok, cases, { sampler, batchSize: 4, maxNewTokens: 4000 });
    return new Map([...texts].map(([id, t]) => [id, decodeBfclOutput(id, t)]));
  };

  for (const cat of ['simple_python', 'multiple', 'parallel', 'parallel_multiple']) {
    it(`${cat}: the ground truth written by the policy scores 100%`, async () => {
      const cases = read(cat).slice(0, 6);
      const report = scoreBfcl(cases, await answerAll(cases, (c) => goldText(c.answers)));
      expect(report.cases.filter((r) => !r.valid)).toEqual([]);
      expect(report.summary.correct).toBe(6);
    });
  }

  it('integers written as floats are rejected as BFCL rejects them', async () => {
    const cases = read('simple_python').slice(0, 1); // calculate_triangle_area(base: integer, height: integer)
    const report = scoreBfcl(cases, await answerAll(cases, () => '<tool_call>\n{"name": "calculate_triangle_area", "arguments": {"base": 10.0, "height": 5}}\n</tool_call>'));
    expect(report.cases[0]).toMatchObject({ valid: false, errors: [expect.stringContaining('Expected type integer, got float')] });
  });

  it('irrelevance: a policy that calls nothing passes, one that calls fails', async () => {
    const qs = readBfclQuestions(readFileSync(`${dir}/BFCL_v4_irrelevance.json`, 'utf8')).slice(0, 4);
    const tok2 = tok;
    const quiet = await answerBfcl(null as never, tok2, qs, { sampler: scriptedPolicy(tok2, () => ['None of these functions fits.']) });
    expect(scoreBfclIrrelevance(qs.map((q) => q.id), new Map([...quiet].map(([id, t]) => [id, decodeBfclOutput(id, t)]))).summary.correct).toBe(4);
    const eager = await answerBfcl(null as never, tok2, qs, { sampler: scriptedPolicy(tok2, () => ['<tool_call>\n{"name": "x", "arguments": {}}\n</tool_call>']) });
    expect(scoreBfclIrrelevance(qs.map((q) => q.id), new Map([...eager].map(([id, t]) => [id, decodeBfclOutput(id, t)]))).summary.correct).toBe(0);
  });
});
