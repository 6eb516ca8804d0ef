// What the Node commands read from disk: the model folder a config names, tool sets and datasets.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetExample } from '../data/conversation.ts';
import { readDatasetText } from '../data/read-dataset.ts';
import type { ToolDefinition } from '../tools/types.ts';
import { parse as parseYaml } from 'yaml';

export const BUILTIN_TINY = 'public/models/tiny';

/** Where a model_name points on disk: builtin:tiny, or a local HF folder. */
export function modelFolderFor(name: string): string {
  if (name === 'builtin:tiny') return BUILTIN_TINY;
  if (existsSync(join(name, 'config.json'))) return name;
  throw new Error(
    `model_name "${name}" is not builtin:tiny and not a folder with config.json. ` +
      'Download the model in the studio (Models page) or with huggingface-cli into a folder, and give that folder.',
  );
}

/** Reads JSONL/JSON datasets, printing each file's validation summary; bad lines are left out, not fatal. */
export function readDatasets(files: string[], tools: ToolDefinition[], log = console.log): DatasetExample[] {
  const out: DatasetExample[] = [];
  for (const f of files) {
    if (!existsSync(f)) throw new Error(`dataset file ${f} does not exist`);
    const { report, examples } = readDatasetText(readFileSync(f, 'utf8'), { tools });
    log(`${f}: ${report.valid} valid of ${report.records} records${report.invalid ? ` (${report.invalid} left out; run npm run validate -- ${f} for the list)` : ''}`);
    out.push(...examples);
  }
  return out;
}

export function readTools(file: string): ToolDefinition[] {
  if (!existsSync(file)) throw new Error(`tools_file ${file} does not exist`);
  const tools = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(tools)) throw new Error(`tools_file ${file}: expected a JSON list of tool definitions`);
  return tools as ToolDefinition[];
}

/** Applies `--set lora.r=16` style overrides (values parsed as YAML scalars). */
export function applySets(raw: Record<string, unknown>, sets: string[]): void {
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq < 1) throw new Error(`--set expects key=value, got "${s}"`);
    const path = s.slice(0, eq).split('.');
    let obj = raw;
    for (const k of path.slice(0, -1)) obj = (obj[k] ??= {}) as Record<string, unknown>;
    obj[path[path.length - 1]] = parseYaml(s.slice(eq + 1));
  }
}
