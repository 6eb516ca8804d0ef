// The studio's config export (src/worker/export-config-session.ts, the Export page's "a config (not trained here)")
// against the CLI's `npm run export -- --config`: for the same YAML and sample files, the zip the worker builds,
// unpacked by Python's zipfile, holds the same paths with the same bytes as the folder the CLI writes. The worker's
// reads go through its real code (publicUrl, fetch, the tiny model's URL folder); fetch here serves public/ from
// disk, as the studio's server does. A config its method's table refuses is refused by key and line.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/train/config-schema.ts';
import { DEFAULT_HUB } from '../../../src/model/hub.ts';
import { exportStudioConfig, type ExportConfigRequest } from '../../../src/worker/export-config-session.ts';

const tmp = mkdtempSync(join(tmpdir(), 'export-config-'));
const ORIGIN = 'http://studio.test/';

beforeAll(() => {
  // The studio serves public/ at its root ("data/x.jsonl" and "public/data/x.jsonl" both name public/data/x.jsonl);
  // this one also serves the test's temp folder, where the CLI reads the same files by their absolute paths.
  vi.stubGlobal('self', { location: { href: ORIGIN } });
  vi.stubGlobal('fetch', async (url: string) => {
    const served = decodeURIComponent(new URL(url).pathname);
    const path = served.startsWith(tmp + '/') ? served : join('public', served);
    return existsSync(path) && statSync(path).isFile() ? new Response(readFileSync(path)) : new Response('not found', { status: 404 });
  });
});
afterAll(() => {
  vi.unstubAllGlobals();
  rmSync(tmp, { recursive: true, force: true });
});

const cli = (args: string[]) => spawnSync('npx', ['tsx', '--import', './scripts/raw-loader.mjs', 'src/cli/export.ts', ...args], { encoding: 'utf8' });

/** Every file under `dir`, relative path -> bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** A small copy of a sample file (so each export takes seconds) in the temp folder, by its absolute path. */
function slice(file: string, lines: number): string {
  const path = join(tmp, file.replace(/\W+/g, '_'));
  writeFileSync(path, readFileSync(file, 'utf8').split('\n').slice(0, lines).join('\n') + '\n');
  return path;
}

const CASES: Array<{ method: ExportConfigRequest['method']; target: ExportConfigRequest['target']; yaml: (train: string, evalFile: string) => string; data: [string, string] }> = [
  {
    method: 'sft', target: 'trl', data: ['sft_data.jsonl', 'eval_data.jsonl'],
    // chat_template: model: the template comes from the tiny model's tokenizer_config.json on both sides.
    yaml: (train, evalFile) => `model_name: builtin:tiny\ntrain_file: [${train}]\neval_file: ${evalFile}\nlearning_rate: 0.0007\nbatch_size: 2\nlora:\n  r: 4\n  alpha: 8\n  target_modules: [q_proj, v_proj]\n`,
  },
  {
    method: 'grpo', target: 'verl', data: ['chains_data.jsonl', 'eval_chains.jsonl'],
    // A reward YAML as reward.rule (not a preset): the CLI reads it from disk, the studio fetches it.
    yaml: (train, evalFile) => `model_name: builtin:tiny\ntrain_file: [${train}]\neval_file: ${evalFile}\nchat_template: compact\nnum_generations: 4\nper_device_train_batch_size: 4\nmax_turns: 3\nreward:\n  rule: ${slice('configs/reward.yaml', 1000)}\n  rule_weight: 1\n  chain_weight: 0.5\n  reward_model_weight: 0\n`,
  },
  {
    method: 'rm', target: 'trl', data: ['rm_data.jsonl', 'rm_eval.jsonl'],
    yaml: (train, evalFile) => `model_name: builtin:tiny\ntrain_file: [${train}]\neval_file: ${evalFile}\nchat_template: compact\nmargin: 0.5\n`,
  },
];

describe('the studio\'s config export', () => {
  for (const c of CASES) {
    it(`${c.method} -> ${c.target}: the worker's zip holds the files \`npm run export -- --config\` writes, byte for byte`, async () => {
      const train = slice(`public/data/${c.data[0]}`, 24);
      const evalFile = slice(`public/data/${c.data[1]}`, 6);
      const yaml = c.yaml(train, evalFile);
      const configPath = join(tmp, `${c.method}.yaml`);
      writeFileSync(configPath, yaml);
      const cliOut = join(tmp, `cli-${c.method}-${c.target}`);
      const r = cli(['--config', configPath, '--method', c.method, '--to', c.target, '--out', cliOut]);
      expect(r.status, r.stderr).toBe(0);

      const phases: string[] = [];
      const res = await exportStudioConfig(
        { method: c.method, yaml, target: c.target, train: { kind: 'sample', files: [train] }, eval: { kind: 'sample', files: [evalFile] }, hub: DEFAULT_HUB },
        (p) => phases.push(p),
      );
      expect(res.name).toBe(`config-${c.method}-${c.target}.zip`);
      expect(phases).toContain('zipping');
      const zipPath = join(tmp, res.name);
      writeFileSync(zipPath, res.zip);
      const studioOut = join(tmp, `studio-${c.method}-${c.target}`);
      execFileSync('python3', ['-c', 'import zipfile, sys\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nz.extractall(sys.argv[2])', zipPath, studioOut]);

      const fromCli = tree(cliOut);
      const fromStudio = tree(studioOut);
      expect([...fromStudio.keys()].sort()).toEqual([...fromCli.keys()].sort());
      expect([...fromStudio.keys()].sort()).toEqual([...res.paths].sort());
      // The zip's entries carry a time; the files do not: every file is the same bytes.
      for (const [path, bytes] of fromCli) expect(fromStudio.get(path)!.equals(bytes), path).toBe(true);
      // No adapter (nothing was trained); the tiny model travels.
      expect(res.paths.some((p) => p.startsWith('adapter/'))).toBe(false);
      expect(res.paths).toContain('model/model.safetensors');
      const config = JSON.parse(fromStudio.get('studio_config.json')!.toString('utf8')) as { method: string; config: Record<string, unknown> };
      expect(config.method).toBe(c.method);
      if (c.method === 'sft') {
        const script = fromStudio.get('train_sft.py')!.toString('utf8');
        expect(script).toContain('learning_rate=0.0007,');
        expect(script).toContain('"r": 4');
        expect(fromStudio.get('chat_template.jinja')!.toString('utf8')).toBe(JSON.parse(readFileSync('public/models/tiny/tokenizer_config.json', 'utf8')).chat_template);
        expect(fromStudio.get('data/sft_train.jsonl')!.toString('utf8').trim().split('\n')).toHaveLength(24);
      }
      if (c.method === 'grpo') expect(fromStudio.get('run_verl.sh')!.toString('utf8')).toContain('actor_rollout_ref.rollout.multi_turn.max_assistant_turns=3');
      if (c.method === 'rm') expect(fromStudio.get('data/rm_train.jsonl')!.toString('utf8').trim().split('\n')).toHaveLength(24);
    }, 180_000);
  }

  it('a config its method\'s table refuses is refused by key and line, before anything is read', async () => {
    const req = (yaml: string, method: ExportConfigRequest['method']): ExportConfigRequest => ({ method, yaml, target: 'trl', train: { kind: 'sample', files: ['data/missing.jsonl'] }, eval: null, hub: DEFAULT_HUB });
    const phases: string[] = [];
    const err = await exportStudioConfig(req('model_name: builtin:tiny\nlearning_rat: 0.001\nbatch_size: 0\n', 'sft'), (p) => phases.push(p)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems;
    expect(problems.find((p) => p.key === 'learning_rat')).toMatchObject({ line: 2 });
    expect(problems.find((p) => p.key === 'learning_rat')?.message).toMatch(/learning_rate/);
    expect(problems.find((p) => p.key === 'batch_size')).toMatchObject({ line: 3 });
    expect(phases).toEqual([]);
    // A key of another method's table is unknown to this one: GRPO's num_generations in an RM config.
    const rm = await exportStudioConfig(req('num_generations: 4\n', 'rm'), () => {}).catch((e: unknown) => e);
    expect((rm as ConfigError).problems.map((p) => p.key)).toEqual(['num_generations']);
  });
});
