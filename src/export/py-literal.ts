// Python source literals for values the exporter writes into generated scripts (configs, hyper-parameters):
// JSON-shaped values become Python expressions that evaluate to the same value.

/** A Python expression for a JSON-shaped value: True/False/None, str with JSON escapes (valid in Python), lists, dicts. */
export function pyLiteral(v: unknown, indent = 0): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`pyLiteral: ${v} has no JSON form`);
    return JSON.stringify(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  const pad = ' '.repeat(indent + 4);
  const end = ' '.repeat(indent);
  if (Array.isArray(v)) {
    if (v.every((x) => x === null || typeof x !== 'object')) return `[${v.map((x) => pyLiteral(x)).join(', ')}]`;
    return `[\n${v.map((x) => `${pad}${pyLiteral(x, indent + 4)},`).join('\n')}\n${end}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${pad}${JSON.stringify(k)}: ${pyLiteral(x, indent + 4)},`).join('\n')}\n${end}}`;
}

/** `name=value,  # comment` lines for a call such as SFTConfig(...), one keyword per line. */
export function pyKwargs(args: { key: string; value: unknown; comment?: string }[], indent = 4): string {
  const pad = ' '.repeat(indent);
  return args.map(({ key, value, comment }) => `${pad}${key}=${pyLiteral(value, indent)},${comment ? `  # ${comment}` : ''}`).join('\n');
}
