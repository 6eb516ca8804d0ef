// Sampling settings are checked up front with the field's name (the sampling itself runs on the GPU and is
// tested against its float64 reference in tests/unit/engine/sample.test.ts).
import { describe, expect, it } from 'vitest';
import { validateSampling, GREEDY } from '../../../src/model/generate.ts';

describe('validateSampling', () => {
  it('rejects bad settings with the field name', () => {
    expect(() => validateSampling({ ...GREEDY, topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => validateSampling({ ...GREEDY, maxNewTokens: 0 })).toThrow(/maxNewTokens/);
    expect(() => validateSampling({ ...GREEDY, temperature: -0.5 })).toThrow(/temperature must be >= 0/);
    expect(() => validateSampling({ ...GREEDY, topK: 1.5 })).toThrow(/topK/);
    expect(() => validateSampling(GREEDY)).not.toThrow();
  });
});
