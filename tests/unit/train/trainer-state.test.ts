// Trainer state in file checkpoints: typed arrays survive the JSON round trip bit for bit.
import { describe, expect, it } from 'vitest';
import { parseTrainerState, stringifyTrainerState } from '../../../src/train/checkpoint.ts';

describe('trainer state as JSON', () => {
  it('keeps typed arrays (values, type, odd lengths, NaN and -0) and plain values exactly', () => {
    const f = new Float32Array([1.5, -0, Number.NaN, 3.4e38, 1e-45]);
    const state = {
      cursor: { epoch: 2, index: 17 },
      rng: [1, 2, 3, 4294967295],
      buffer: [{ ids: new Int32Array([5, -7, 9]), logprobs: f, mask: new Uint8Array([1, 0, 1, 1, 0, 1, 1]) }],
      note: 'ok',
    };
    const back = parseTrainerState(stringifyTrainerState(state)) as typeof state;
    expect(back.cursor).toEqual(state.cursor);
    expect(back.rng).toEqual(state.rng);
    expect(back.buffer[0].ids).toBeInstanceOf(Int32Array);
    expect(Array.from(back.buffer[0].ids)).toEqual([5, -7, 9]);
    expect(back.buffer[0].mask).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.buffer[0].mask)).toEqual([1, 0, 1, 1, 0, 1, 1]);
    expect(new Uint32Array(back.buffer[0].logprobs.buffer)).toEqual(new Uint32Array(f.buffer));
    expect(back.note).toBe('ok');
  });

  it('rejects an unknown array tag instead of returning garbage', () => {
    expect(() => parseTrainerState('{"x":{"$typed":"BigInt64Array","base64":"AAAA"}}')).toThrow(/unknown array type BigInt64Array/);
  });
});
