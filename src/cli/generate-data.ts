// `npm run generate:data [-- --seed N --out DIR]`: writes the sample datasets (public/data/ by default)
// with the seeded generator, then validates each file against the sample tool set.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_DATA_SEED, generateSampleData } from '../data/generator/generate.ts';
import { readDatasetText } from '../data/read-dataset.ts';
import { summaryLine } from '../data/report-text.ts';
import { parseFlags } from './flags.ts';
import { ENTERPRISE_TOOLS } from '../tools/enterprise/tool-set.ts';

const { flags } = parseFlags('generate:data', process.argv.slice(2), { seed: 'int', out: 'string' } as const, 'usage: npm run generate:data -- [--seed N] [--out DIR]');
const seed = flags.seed ?? DEFAULT_DATA_SEED;
const outDir = flags.out ?? 'public/data';
mkdirSync(outDir, { recursive: true });
const { files } = generateSampleData({ seed });
let clean = true;
for (const [name, text] of Object.entries(files)) {
  writeFileSync(join(outDir, name), text);
  const { report } = readDatasetText(text, { tools: ENTERPRISE_TOOLS });
  if (report.invalid > 0 || report.problems.length > 0) clean = false;
  console.log(`${join(outDir, name)}: ${(Buffer.byteLength(text) / 1024).toFixed(0)} KB, ${summaryLine(report)}`);
}
process.exit(clean ? 0 : 1);
