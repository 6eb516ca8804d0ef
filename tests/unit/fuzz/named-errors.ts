// What the fuzzers accept as a rejection: an error of one of the named classes whose message says where
// (the file, the line or the field). Anything else thrown (a TypeError from a null dereference, a RangeError,
// a URIError...) is a bug the fuzzer reports with the input that caused it.
import fc from 'fast-check';
import { vi } from 'vitest';

/** Runs per property (npm test: 2,000); `npm run soak:fuzz` runs 20,000 with the same seeds. */
export const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
// The slowest property takes about 30 ms a case on this machine under load: a soak gets the time it needs.
vi.setConfig({ testTimeout: Math.max(120_000, RUNS * 60) });

/** Every property has its own fixed seed, so a failure reproduces with the same command. */
export const seeded = (seed: number, numRuns = RUNS): fc.Parameters<unknown> => ({ seed, numRuns });

type ErrorClass = abstract new (...args: never[]) => Error;

/** Calls `fn`; returns its value, or the error if it is one of `allowed` and its message matches `where`. Rethrows anything else. */
export function namedOutcome<T>(fn: () => T, allowed: ErrorClass[], where: RegExp): { value: T } | { error: Error } {
  try {
    return { value: fn() };
  } catch (e) {
    return { error: checkNamed(e, allowed, where) };
  }
}

export async function namedOutcomeAsync<T>(fn: () => Promise<T>, allowed: ErrorClass[], where: RegExp): Promise<{ value: T } | { error: Error }> {
  try {
    return { value: await fn() };
  } catch (e) {
    return { error: checkNamed(e, allowed, where) };
  }
}

function checkNamed(e: unknown, allowed: ErrorClass[], where: RegExp): Error {
  if (!(e instanceof Error) || !allowed.some((C) => e instanceof C)) {
    throw new Error(`unnamed error escaped: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
  if (!where.test(e.message)) throw new Error(`${e.name} does not say where: ${e.message}`);
  if (e.message.length > 4000) throw new Error(`${e.name} message is ${e.message.length} characters (unbounded?)`);
  return e;
}

/** Text that stresses parsers: unicode, lone surrogates, control characters, markup and JSON punctuation. */
export const nastyString = (maxLength = 40): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength, unit: 'grapheme' }),
    fc.string({ maxLength, unit: 'binary' }),
    fc.string({ maxLength, unit: fc.constantFrom('{', '}', '[', ']', '"', "'", '\\', ',', ':', '=', '(', ')', ';', '\n', '\r', ' ', '<', '>', '/', '%', '#', '&', '*', '\u0000', '\ud800', '\ufeff', 'a', '1', '-', '.', 'e') }),
    fc.constantFrom('', 'null', 'true', '-0', '1e400', 'NaN', '__proto__', 'constructor', 'toString', '<script>alert(1)</script>', '%E0%A4%A', '#/%zz', '\u2028', '🙂'),
  );

/** Replaces, inserts or deletes characters of a valid text at seeded positions: near-misses find the deep paths. */
export const mutated = (valid: string, maxEdits = 4): fc.Arbitrary<string> =>
  fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete', 'truncate'), nastyString(6)), { minLength: 1, maxLength: maxEdits }).map((edits) => {
    let s = valid;
    for (const [at, op, piece] of edits) {
      const i = s.length === 0 ? 0 : at % s.length;
      if (op === 'replace') s = s.slice(0, i) + piece + s.slice(i + Math.max(1, piece.length));
      else if (op === 'insert') s = s.slice(0, i) + piece + s.slice(i);
      else if (op === 'delete') s = s.slice(0, i) + s.slice(i + 1 + (at % 5));
      else s = s.slice(0, i);
    }
    return s;
  });
