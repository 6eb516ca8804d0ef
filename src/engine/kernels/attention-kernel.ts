// Fills the head dimension into the attention WGSL templates (private arrays need a compile-time size).
import backwardDkv from '../../../shaders/attention_backward_dkv.wgsl?raw';
import backwardDq from '../../../shaders/attention_backward_dq.wgsl?raw';
import delta from '../../../shaders/attention_delta.wgsl?raw';
import forward from '../../../shaders/attention_forward.wgsl?raw';

const TEMPLATES = { forward, delta, backwardDq, backwardDkv } as const;
export type AttentionKernel = keyof typeof TEMPLATES;

/** Head dims up to 256 (Qwen uses 64 and 128); each invocation keeps a few head-dim vectors in registers. */
export function attentionKernel(which: AttentionKernel, headDim: number): string {
  if (!Number.isInteger(headDim) || headDim < 1 || headDim > 256) throw new Error(`attention: head_dim=${headDim} must be an integer in 1..256`);
  return TEMPLATES[which].replaceAll('{{HEAD_DIM}}', String(headDim));
}
