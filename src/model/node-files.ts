// Node-only FileProvider over a folder on disk (CLI, tests). Reads by ranges through a file handle, so large
// weight files stream without being loaded whole. Never imported by browser code.
import fs from 'node:fs';
import path from 'node:path';
import type { ByteSource, FileProvider } from './byte-source.ts';

export function fileSource(file: string): ByteSource {
  const size = fs.statSync(file).size;
  return {
    name: path.basename(file),
    size,
    async read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const buf = new Uint8Array(n);
      const fh = await fs.promises.open(file, 'r');
      try {
        let done = 0;
        while (done < n) {
          const { bytesRead } = await fh.read(buf, done, n - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === n ? buf : buf.subarray(0, done);
      } finally {
        await fh.close();
      }
    },
  };
}

export function folderProvider(dir: string): FileProvider {
  return async (name) => {
    const file = path.join(dir, name);
    return fs.existsSync(file) ? fileSource(file) : null;
  };
}
