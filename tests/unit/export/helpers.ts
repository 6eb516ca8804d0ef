// Test helpers: an export of the sample data written to a folder, the way the CLI writes one.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readDatasetText } from '../../../src/data/read-dataset.ts';
import { buildExport } from '../../../src/export/build.ts';
import type { ExportFiles, ExportRun, ExportTarget } from '../../../src/export/run.ts';
import { ENTERPRISE_TOOLS } from '../../../src/tools/enterprise/tool-set.ts';
import { COMPACT_CHAT_TEMPLATE } from '../../../src/tokenizer/compact-template.ts';
import { defaultSftConfig } from '../../../src/train/sft-config.ts';

export const sampleExamples = (file: string) => readDatasetText(readFileSync(`public/data/${file}.jsonl`, 'utf8'), { tools: [...ENTERPRISE_TOOLS] }).examples;

export function sampleRun(over: Partial<ExportRun> = {}): ExportRun {
  return {
    method: 'sft',
    config: defaultSftConfig() as unknown as Record<string, unknown>,
    train: sampleExamples('sft_data').slice(0, 200),
    eval: sampleExamples('eval_data').slice(0, 20),
    tools: [...ENTERPRISE_TOOLS],
    chatTemplate: COMPACT_CHAT_TEMPLATE,
    baseModel: 'Qwen/Qwen3-0.6B',
    ...over,
  };
}

export function writeFiles(dir: string, files: ExportFiles): void {
  for (const [name, data] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
}

export function writeExport(dir: string, target: ExportTarget, run: ExportRun = sampleRun()): ExportFiles {
  const files = buildExport(run, target);
  writeFiles(dir, files);
  return files;
}
