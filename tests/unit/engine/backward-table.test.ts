// The backward table is exhaustive by type: a table missing a rule does not compile (checked by tsc on this file),
// and at run time every recorded op has a function.
import { expect, it } from 'vitest';
import { BACKWARD_RULES } from '../../../src/engine/autograd/backward-rules.ts';
import type { BackwardRules, OpName, OpRecords } from '../../../src/engine/autograd/op-records.ts';

// @ts-expect-error -- leaving out the matmul rule is a type error
const missing: BackwardRules = { ...BACKWARD_RULES, matmul: undefined };
void missing;

/** Every key of OpRecords, spelled out; adding an op without listing it here is also a type error. */
const ALL_OPS = {
  matmul: 1, embedding: 1, rmsnorm: 1, rope: 1, swiglu: 1, add: 1, sub: 1, mul: 1, scale: 1, exp: 1, reshape: 1,
  attention: 1, crossEntropy: 1, tokenLogprobs: 1, entropy: 1, linearLogits: 1, maskedMean: 1, checkpoint: 1, projection: 1,
  affineClamp: 1, minmax: 1, logSigmoid: 1,
} satisfies Record<OpName, 1>;

it('every op has a backward function', () => {
  const names = Object.keys(ALL_OPS) as Array<keyof OpRecords>;
  expect(names.length).toBe(Object.keys(BACKWARD_RULES).length);
  for (const n of names) expect(typeof BACKWARD_RULES[n]).toBe('function');
});
