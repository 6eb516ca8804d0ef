// A .zip of a folder held in memory (an export downloaded from the studio): entries stored without compression,
// CRC-32 checked, UTF-8 names, the layout any unzip tool reads (PKWARE APPNOTE 4.3: local headers, central
// directory, end record). No compression keeps it small and dependency-free; the large files (weights, ONNX) would
// not shrink much anyway. Folders above 4 GiB would need ZIP64, which this writer refuses.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, the one zip uses). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export class ZipError extends Error {
  override name = 'ZipError';
}

/** DOS date and time of a JS date (local time, 2-second resolution), as zip headers store them. */
function dosDateTime(d: Date): { time: number; date: number } {
  const year = Math.max(1980, d.getFullYear());
  return { time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1), date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate() };
}

/** The zip file of `files` (relative path -> contents), entries in the given order. */
export function zipFiles(files: Record<string, string | Uint8Array>, when = new Date()): Uint8Array {
  const enc = new TextEncoder();
  const { time, date } = dosDateTime(when);
  const entries = Object.entries(files).map(([name, data]) => {
    if (name === '' || name.startsWith('/') || name.split('/').includes('..')) throw new ZipError(`zip: "${name}" is not a relative path inside the folder`);
    const bytes = typeof data === 'string' ? enc.encode(data) : data;
    return { name: enc.encode(name), bytes, crc: crc32(bytes), offset: 0 };
  });
  let size = 22;
  for (const e of entries) size += 30 + e.name.length + e.bytes.length + 46 + e.name.length;
  if (size > 0xffffffff || entries.length > 0xffff) throw new ZipError(`zip: ${size} bytes in ${entries.length} files needs ZIP64, which this writer does not write`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let p = 0;
  const u16 = (v: number) => {
    view.setUint16(p, v, true);
    p += 2;
  };
  const u32 = (v: number) => {
    view.setUint32(p, v >>> 0, true);
    p += 4;
  };
  const bytes = (b: Uint8Array) => {
    out.set(b, p);
    p += b.length;
  };
  // Version 2.0 (store), flag bit 11: names are UTF-8.
  const header = (e: (typeof entries)[number]) => {
    u16(20);
    u16(0x0800);
    u16(0);
    u16(time);
    u16(date);
    u32(e.crc);
    u32(e.bytes.length);
    u32(e.bytes.length);
    u16(e.name.length);
    u16(0);
  };
  for (const e of entries) {
    e.offset = p;
    u32(0x04034b50);
    header(e);
    bytes(e.name);
    bytes(e.bytes);
  }
  const central = p;
  for (const e of entries) {
    u32(0x02014b50);
    u16(20);
    header(e);
    u16(0); // comment length
    u16(0); // disk number
    u16(0); // internal attributes
    u32(0); // external attributes
    u32(e.offset);
    bytes(e.name);
  }
  const centralSize = p - central;
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(entries.length);
  u16(entries.length);
  u32(centralSize);
  u32(central);
  u16(0);
  return out;
}
