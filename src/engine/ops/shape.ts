// Shape checks shared by the op launchers: each failure names the op, the operand and both shapes.

export function fmt(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function assertShape(op: string, name: string, shape: readonly number[], expected: readonly number[]): void {
  if (shape.length !== expected.length || shape.some((d, i) => d !== expected[i])) {
    throw new Error(`${op}: ${name} has shape ${fmt(shape)}, expected ${fmt(expected)}`);
  }
}

export function assertDtype(op: string, name: string, dtype: string, expected: string): void {
  if (dtype !== expected) throw new Error(`${op}: ${name} has dtype ${dtype}, expected ${expected}`);
}

/** (rows, last) view of a shape. */
export function rowsOf(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  const last = shape[shape.length - 1];
  return [shape.reduce((a, b) => a * b, 1) / Math.max(last, 1), last];
}
