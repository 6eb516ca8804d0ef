// The zip writer against tools we did not write: Python's zipfile reads every entry back (names, bytes, CRC check via
// testzip), and Node's zlib.crc32 gives the same CRC-32.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32, zipFiles, ZipError } from '../../../src/util/zip.ts';
import { Rng } from '../../../src/util/rng.ts';

describe('zipFiles', () => {
  it('python zipfile reads every entry back byte for byte, CRCs checked; crc32 equals zlib\'s', () => {
    const rng = new Rng(5);
    const files: Record<string, string | Uint8Array> = {
      'README.md': '# export\n',
      'data/train.jsonl': '{"prompt": "明天北京天气"}\n'.repeat(50),
      'onnx/model.onnx': Uint8Array.from(rng.floats(7919, 0, 255), (x) => Math.floor(x)),
      'empty.txt': '',
      'deep/a/b/c.bin': new Uint8Array([0, 255, 1, 254]),
    };
    const zip = zipFiles(files, new Date(2026, 11, 1, 10, 30, 0));
    const dir = mkdtempSync(join(tmpdir(), 'zip-'));
    try {
      writeFileSync(join(dir, 'x.zip'), zip);
      const script = `
import zipfile, sys, json, hashlib
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
print(json.dumps({i.filename: [i.file_size, hashlib.sha256(z.read(i)).hexdigest(), list(i.date_time)] for i in z.infolist()}))`;
      const got = JSON.parse(execFileSync('python3', ['-c', script, join(dir, 'x.zip')], { encoding: 'utf8' }));
      expect(Object.keys(got)).toEqual(Object.keys(files));
      for (const [name, data] of Object.entries(files)) {
        const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
        const sha = execFileSync('python3', ['-c', 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'], { input: bytes, encoding: 'utf8' }).trim();
        expect(got[name].slice(0, 2)).toEqual([bytes.length, sha]);
        expect(got[name][2]).toEqual([2026, 12, 1, 10, 30, 0]);
        if (typeof zlib.crc32 === 'function') expect(crc32(bytes)).toBe(zlib.crc32(bytes));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926); // the standard check value
  });

  it('refuses paths that leave the folder', () => {
    expect(() => zipFiles({ '../x': 'a' })).toThrow(ZipError);
    expect(() => zipFiles({ '/etc/x': 'a' })).toThrow(/not a relative path/);
  });
});
