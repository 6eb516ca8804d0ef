// npm run make-tiny end to end: options are honoured, bad options are refused by name, the folder loads back.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderProvider } from '../../../src/model/node-files.ts';
import { openModelFolder } from '../../../src/model/weights.ts';
import { ChatTokenizer } from '../../../src/tokenizer/tokenizer.ts';

const CLI = ['--import', './scripts/raw-loader.mjs', 'src/cli/make-tiny.ts'];
const tsx = path.resolve('node_modules/.bin/tsx');

describe('make-tiny CLI', () => {
  it('writes a Qwen2 folder with the asked shape and BF16 weights that loads back', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tiny-'));
    // A small corpus for the vocabulary cut: the whole sample data (30,000+ rows) takes ~2 minutes to tokenize.
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'tiny-data-'));
    fs.writeFileSync(path.join(data, 'sft_data.jsonl'), fs.readFileSync('public/data/sft_data.jsonl', 'utf8').split('\n').slice(0, 100).join('\n') + '\n');
    const log = execFileSync(tsx, [...CLI, '--arch', 'qwen2', '--layers', '1', '--hidden', '32', '--intermediate', '48', '--heads', '2', '--kv-heads', '1', '--head-dim', '16', '--dtype', 'BF16', '--data', data, '--out', out], { encoding: 'utf8' });
    expect(log).toContain('qwen2, 1 layers, hidden 32');
    const folder = await openModelFolder(folderProvider(out));
    expect(folder.config).toMatchObject({ arch: 'qwen2', numLayers: 1, hiddenSize: 32, attentionBias: true });
    expect(folder.files[0].tensors.every((t) => t.dtype === 'BF16')).toBe(true);
    const tok = await ChatTokenizer.fromFiles(folderProvider(out));
    expect(tok.vocabSize).toBe(folder.config.vocabSize);
    fs.rmSync(out, { recursive: true });
  }, 300_000); // a process that loads the real Qwen tokenizer: seconds, minutes under heavy load

  it('refuses unknown options and bad values by name', () => {
    const bad = spawnSync(tsx, [...CLI, '--layerz', '2'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('unknown option --layerz');
    const arch = spawnSync(tsx, [...CLI, '--arch', 'llama'], { encoding: 'utf8' });
    expect(arch.stderr).toContain('--arch must be qwen2 or qwen3, got llama');
  }, 300_000);
});
