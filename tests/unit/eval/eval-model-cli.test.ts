// `npm run eval -- --model` end to end (real processes, the real tiny model on Dawn): the figures it prints and writes
// for a small file are the figures `--gold FILE --pred` gives when it scores the predictions the run wrote, for
// multi-step chains (free-running: the model's own calls and their results) and for single-step rows.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'eval-model-cli-'));
const run = (args: string[]) => execFileSync('npx', ['tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/eval.ts', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const firstLines = (file: string, n: number) => readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, n).join('\n') + '\n';
const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);

describe('npm run eval -- --model', () => {
  // Chains on the untrained tiny model; single steps on a model trained on those rows (right on most of them).
  const cases = [['chains', 'builtin:tiny', 'public/data/eval_chains.jsonl', 3], ['single', 'tests/fixtures/models/tiny-sft-eval12', 'public/data/eval_data.jsonl', 6]] as const;
  for (const [name, model, source, n] of cases) {
    it(`${name}: the printed figures equal scoring the written predictions with --gold/--pred`, () => {
      const data = join(dir, `${name}.jsonl`);
      writeFileSync(data, firstLines(source, n));
      const pred = join(dir, `${name}-pred.jsonl`);
      const report = join(dir, `${name}-report.json`);
      const out = run(['--model', model, '--data', data, '--pred-out', pred, '--report', report, '--max-new-tokens', name === 'chains' ? '12' : '40', ...(name === 'chains' ? ['--max-tool-turn-tokens', '300'] : [])]);
      const evaluation = JSON.parse(readFileSync(report, 'utf8')).evaluations[0];
      expect(evaluation.mode).toBe('free');
      expect(evaluation.report.counts.records).toBe(n);
      const m = evaluation.report.metrics;
      expect(out).toContain(`tool-level accuracy: ${pct(m.toolAccuracy)}`);
      expect(out).toContain(`chain-level success: ${pct(m.chainSuccess)}`);
      expect(out).toContain(`format validity: ${pct(m.formatValidity)}`);
      // One line per example, one text per turn the model took.
      const preds = readFileSync(pred, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(preds.map((p) => p.id)).toEqual(evaluation.outputs.map((o: { id: string }) => o.id));
      if (name === 'chains') {
        expect(evaluation.report.counts.steps).toBeGreaterThan(n);
        expect(evaluation.settings.maxToolTurnTokens).toBe(300); // the runner's cap as given (model-eval.test.ts: what it does)
      }
      // The trained model's prompts list no tools, as it was trained (its config.resolved.yaml says so).
      else {
        expect(evaluation.settings.promptTools).toBe('none');
        expect(m.toolAccuracy).toBeGreaterThan(0.5);
      }

      const gold = join(dir, `${name}-gold-report.json`);
      run(['--gold', data, '--pred', pred, '--report', gold]);
      const scored = JSON.parse(readFileSync(gold, 'utf8'));
      expect(scored.missing).toEqual([]);
      expect(scored.metrics).toEqual(m);
      expect(scored.counts).toEqual(evaluation.report.counts);
      expect(scored.records.map((r: { chainSuccess: boolean }) => r.chainSuccess)).toEqual(evaluation.report.records.map((r: { chainSuccess: boolean }) => r.chainSuccess));
    });
  }

  it('--samples: seeded sampled runs beside the greedy one; what they got right, printed as the report says', () => {
    const data = join(dir, 'sampled.jsonl');
    writeFileSync(data, firstLines('public/data/eval_data.jsonl', 6));
    const args = (report: string) => ['--model', 'tests/fixtures/models/tiny-sft-eval12', '--data', data, '--max-new-tokens', '40', '--samples', '3', '--temperature', '1.5', '--report', report];
    const [one, two] = ['s1', 's2'].map((name) => {
      const report = join(dir, `${name}.json`);
      return { out: run(args(report)), doc: JSON.parse(readFileSync(report, 'utf8')) };
    });
    const h = one.doc.sampling;
    expect(h).toMatchObject({ samples: 3, temperature: 1.5, examples: 6 });
    // The greedy figures are the evaluation's own; the failures are its records that failed.
    const greedy = one.doc.evaluations[0].report.records as { chainSuccess: boolean }[];
    expect(h.greedyFailures).toBe(greedy.filter((r) => !r.chainSuccess).length);
    expect(h.passAtK.map((r: { k: number }) => r.k)).toEqual([1, 2, 3]);
    // The temperature reaches the sampler: at 1.5 this model's samples score below its greedy answers (83%: 5 of 6).
    expect(h.passAtK[0].passAtK).toBeLessThan(one.doc.evaluations[0].report.metrics.chainSuccess);
    for (const [a, b] of [[0, 1], [1, 2]]) expect(h.passAtK[a].passAtK).toBeLessThanOrEqual(h.passAtK[b].passAtK);
    expect(one.out).toContain(`chain-level success pass@1 ${pct(h.passAtK[0].passAtK)}, pass@2 ${pct(h.passAtK[1].passAtK)}, pass@3 ${pct(h.passAtK[2].passAtK)}`);
    expect(one.out).toContain(`greedy failures that a sample got right: ${h.greedyFailuresWithRightSample} of ${h.greedyFailures}`);
    // Seeded: the same command samples the same episodes.
    expect(two.doc.sampling).toEqual(h);
    expect(() => run(['--model', 'builtin:tiny', '--data', data, '--temperature', '1'])).toThrow(/--temperature applies to --samples N/);
  });

  it('--compare: two reports paired by example, each delta with its paired test', () => {
    const data = join(dir, 'compare.jsonl');
    writeFileSync(data, firstLines('public/data/eval_data.jsonl', 6));
    const [trained, untrained] = [['trained', 'tests/fixtures/models/tiny-sft-eval12'], ['untrained', 'builtin:tiny']].map(([name, model]) => {
      const report = join(dir, `compare-${name}.json`);
      run(['--model', model, '--data', data, '--max-new-tokens', '40', '--report', report]);
      return { report, records: JSON.parse(readFileSync(report, 'utf8')).evaluations[0].report.records as { chainSuccess: boolean }[] };
    });
    const out = run(['--compare', untrained.report, trained.report]);
    expect(out).toContain('6 examples every model was scored on');
    // Fixed: failed untrained, right trained; broken: the reverse. McNemar's p from those two counts (b + c = n).
    const fixed = trained.records.filter((r, i) => r.chainSuccess && !untrained.records[i].chainSuccess).length;
    const broken = trained.records.filter((r, i) => !r.chainSuccess && untrained.records[i].chainSuccess).length;
    expect(fixed).toBeGreaterThan(broken);
    const n = fixed + broken;
    let tail = 0;
    for (let x = 0, c = 1; x <= Math.min(fixed, broken); x++, c = (c * (n - x + 1)) / x) tail += c / 2 ** n;
    const line = out.split('\n').find((l) => l.startsWith('Chain-level success'))!;
    expect(line).toContain(`McNemar p=${Math.min(1, 2 * tail).toFixed(3)}, fixed ${fixed}, broken ${broken}`);
    const rate = (rs: { chainSuccess: boolean }[]) => rs.filter((r) => r.chainSuccess).length / rs.length;
    expect(line).toContain(`Δ ${`+${((rate(trained.records) - rate(untrained.records)) * 100).toFixed(1)}`.padStart(5)}`);
    expect(() => run(['--compare', untrained.report])).toThrow(/--compare needs two report files or more/);
    expect(() => run(['--compare', untrained.report, join(dir, 'nope.json')])).toThrow(/nope\.json: no such file/);
  });

  it('BFCL on a model: generates for each category, decodes, scores, writes every output', () => {
    const report = join(dir, 'bfcl-model.json');
    const out = run(['--model', 'builtin:tiny', '--bfcl', '../shared/bfcl', '--category', 'simple_python,irrelevance', '--limit', '3', '--max-new-tokens', '16', '--report', report]);
    const r = JSON.parse(readFileSync(report, 'utf8'));
    expect(r.summary.map((s: { category: string; total: number }) => [s.category, s.total])).toEqual([['simple', 3], ['irrelevance', 3]]);
    for (const s of r.summary) expect(out).toContain(`${s.category.padEnd(18)} ${s.correct}/${s.total} = ${(s.accuracy * 100).toFixed(2)}%`);
    expect(Object.keys(r.categories[0].outputs)).toEqual(['simple_python_0', 'simple_python_1', 'simple_python_2']);
    expect(r.categories[0].report.cases).toHaveLength(3);
  });

  it('names what is wrong with a model folder', () => {
    let err = '';
    try {
      run(['--model', dir, '--data', 'public/data/eval_data.jsonl']);
    } catch (e) {
      err = String((e as { stderr?: string }).stderr);
    }
    expect(err).toContain('has neither config.json (a model folder) nor adapter_config.json (a PEFT adapter)');
    expect(() => run(['--model', 'builtin:tiny', '--data', 'public/data/eval_chains.jsonl', '--mode', 'teacher-forced', '--max-tool-turn-tokens', '300'])).toThrow(
      /--max-tool-turn-tokens applies to --mode free/,
    );
  });
});
