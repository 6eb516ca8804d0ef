// Which targets the Export panel offers a run is decided by the run's method name alone (exportUnsupported), so a
// method the Train page adds is offered what its name supports, and refused with a reason otherwise.
import { describe, expect, it } from 'vitest';
import { EXPORT_METHODS, exportUnsupported, RUN_EXPORT_TARGETS } from '../../../src/export/run.ts';

describe('exportUnsupported', () => {
  it('offers TRL and verl to every mapped method, ONNX to every policy method', () => {
    for (const m of EXPORT_METHODS) {
      expect(exportUnsupported(m, 'trl'), m).toBeNull();
      expect(exportUnsupported(m, 'verl'), m).toBeNull();
    }
    for (const m of ['sft', 'grpo', 'ppo']) expect(exportUnsupported(m, 'onnx'), m).toBeNull();
  });

  it('says why a reward model has no ONNX export and an unmapped method no cluster export', () => {
    expect(exportUnsupported('rm', 'onnx')).toMatch(/reward model scores text.*causal LM/);
    expect(exportUnsupported('dpo', 'trl')).toBe('method "dpo" has no TRL mapping yet (src/export/methods.ts covers sft, rm, grpo, ppo)');
    expect(exportUnsupported('dpo', 'verl')).toMatch(/^method "dpo" has no verl mapping yet/);
    expect(exportUnsupported('dpo', 'onnx')).toBeNull();
    expect(RUN_EXPORT_TARGETS).toEqual(['trl', 'verl', 'onnx']);
  });
});
