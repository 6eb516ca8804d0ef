// Fuzzing the YAML config loader (parseSftYaml: the file the CLI reads and the studio's YAML box): any text
// gives a valid SftConfig or a ConfigError whose every problem names its key (and line when it comes from
// the file). Unknown keys are always reported, inherited names like `constructor` included, and every
// problem on a single-key file names that key.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError } from '../../../src/train/config-schema.ts';
import { parseSftYaml, SFT_TABLE } from '../../../src/train/sft-config.ts';
import { mutated, namedOutcome, nastyString, seeded } from './named-errors.ts';

const SAMPLE = readFileSync(new URL('../../../configs/config_sft.yaml', import.meta.url), 'utf8');
const KEYS = Object.keys(SFT_TABLE);
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), nastyString(12), fc.constantFrom(1e400, -1e400, 0.5, -1, 2 ** 53, 4294967296));

function checkProblems(e: ConfigError): void {
  expect(e.problems.length).toBeGreaterThan(0);
  for (const p of e.problems) {
    expect(p.key.length).toBeGreaterThan(0);
    expect(p.message.length).toBeGreaterThan(0);
    if (p.line !== undefined) expect(p.line).toBeGreaterThanOrEqual(1);
  }
}

describe('YAML config loader fuzz', () => {
  it('the sample config with its text mutated: a config, or a ConfigError whose problems name key and line', () => {
    fc.assert(
      fc.property(mutated(SAMPLE, 5), (text) => {
        const r = namedOutcome(() => parseSftYaml(text, 'config_sft.yaml'), [ConfigError], /^config_sft\.yaml: \d+ config problem/);
        if ('error' in r) checkProblems(r.error as ConfigError);
      }),
      seeded(1801),
    );
  });

  it('one key with any value: accepted as that type, or rejected naming exactly that key on line 1', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...KEYS, 'lora.r', 'lora.alpha', 'lora.target_modules'), nastyString(10), fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf')), anyValue, (key, value) => {
        const [top, sub] = key.startsWith('lora.') ? ['lora', key.slice(5)] : [key, undefined];
        const doc = sub ? { [top]: { [sub]: value } } : { [top]: value };
        const text = stringify(doc);
        const r = namedOutcome(() => parseSftYaml(text, 'c.yaml'), [ConfigError], /^c\.yaml: /);
        // The keys as YAML reads them back: a BOM in a key is not part of it, and "\ufeff#" starts a comment.
        // (yaml's stringify does not quote a key that starts with a BOM, so such a text may not be YAML at all.)
        let read: Record<string, unknown> | null = null;
        try {
          read = (parse(text) as Record<string, unknown> | null) ?? {};
        } catch {
          expect('error' in r, 'text that is not YAML was accepted').toBe(true);
        }
        const readTop = read ? Object.keys(read)[0] : undefined;
        if ('error' in r) {
          const e = r.error as ConfigError;
          checkProblems(e);
          const shown = (k: string) => (k === '' ? '""' : k);
          const names = [shown(key), shown(top), ...(readTop !== undefined ? [shown(readTop)] : []), '(yaml syntax)', '(top level)', 'eval_every'];
          for (const p of e.problems) {
            const named = names.includes(p.key) || p.key.startsWith(`${shown(readTop ?? top)}.`);
            expect(named, `problem ${JSON.stringify(p)} names another key`).toBe(true);
          }
        } else if (read) {
          for (const k of Object.keys(read)) expect(Object.hasOwn(SFT_TABLE, k), `unknown key "${k}" was accepted`).toBe(true);
          const lora = read.lora;
          if (lora && typeof lora === 'object') for (const k of Object.keys(lora)) expect(Object.hasOwn(SFT_TABLE.lora.fields, k), `unknown key "lora.${k}" was accepted`).toBe(true);
        }
      }),
      seeded(1802),
    );
  });

  it('random YAML-ish text never escapes as anything but a ConfigError', () => {
    fc.assert(
      fc.property(fc.oneof(nastyString(80), fc.array(fc.tuple(nastyString(8), nastyString(8)), { maxLength: 6 }).map((kv) => kv.map(([k, v]) => `${k}: ${v}`).join('\n'))), (text) => {
        const r = namedOutcome(() => parseSftYaml(text, 'x.yaml'), [ConfigError], /^x\.yaml: /);
        if ('error' in r) checkProblems(r.error as ConfigError);
      }),
      seeded(1803),
    );
  });
});
