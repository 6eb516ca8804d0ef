// config.json parsing for Qwen2 and Qwen3, with the errors a wrong config must produce.
import { describe, expect, it } from 'vitest';
import { expectedParams, paramCount, parseQwenConfig } from '../../../src/model/config.ts';

// Field values of the released checkpoints' config.json (huggingface.co/Qwen/Qwen2.5-0.5B-Instruct, Qwen/Qwen3-0.6B).
const QWEN25_05B = {
  architectures: ['Qwen2ForCausalLM'], hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, vocab_size: 151936, rope_theta: 1000000.0, rms_norm_eps: 1e-6,
  tie_word_embeddings: true, hidden_act: 'silu', max_position_embeddings: 32768, model_type: 'qwen2', rope_scaling: null,
  use_sliding_window: false, torch_dtype: 'bfloat16',
};
const QWEN3_06B = {
  architectures: ['Qwen3ForCausalLM'], attention_bias: false, head_dim: 128, hidden_size: 1024, intermediate_size: 3072,
  num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 8, vocab_size: 151936, rope_theta: 1000000,
  rms_norm_eps: 1e-6, tie_word_embeddings: true, hidden_act: 'silu', max_position_embeddings: 40960, model_type: 'qwen3',
  rope_scaling: null, use_sliding_window: false, torch_dtype: 'bfloat16',
};

describe('parseQwenConfig', () => {
  it('reads Qwen2.5-0.5B: q/k/v biases, head dim from hidden/heads, ~494M parameters', () => {
    const c = parseQwenConfig(QWEN25_05B);
    expect(c).toMatchObject({ arch: 'qwen2', headDim: 64, attentionBias: true, qkNorm: false, numKvHeads: 2, tieWordEmbeddings: true, ropeTheta: 1e6 });
    expect(expectedParams(c).some((p) => p.name === 'model.layers.0.self_attn.q_proj.bias')).toBe(true);
    // Published size of Qwen2.5-0.5B: 0.49B parameters.
    expect(paramCount(c)).toBe(494032768);
  });

  it('reads Qwen3-0.6B: explicit head_dim 128 (q is 2048 wide on a 1024 model), q_norm/k_norm, no biases', () => {
    const c = parseQwenConfig(JSON.stringify(QWEN3_06B));
    expect(c).toMatchObject({ arch: 'qwen3', headDim: 128, attentionBias: false, qkNorm: true });
    const q = expectedParams(c).find((p) => p.name === 'model.layers.3.self_attn.q_proj.weight')!;
    expect(q.shape).toEqual([2048, 1024]);
    expect(expectedParams(c).find((p) => p.name === 'model.layers.0.self_attn.k_norm.weight')!.shape).toEqual([128]);
    // Published size of Qwen3-0.6B: 0.6B parameters (596M with the tied embedding counted once).
    expect(paramCount(c)).toBe(596049920);
  });

  it('names the field and the fix for bad configs', () => {
    expect(() => parseQwenConfig({ ...QWEN25_05B, architectures: ['LlamaForCausalLM'], model_type: 'llama' })).toThrow(/"architectures".*Qwen2ForCausalLM/);
    expect(() => parseQwenConfig({ ...QWEN25_05B, num_key_value_heads: 3 })).toThrow(/"num_key_value_heads" \(3\) must divide num_attention_heads \(14\)/);
    expect(() => parseQwenConfig({ ...QWEN25_05B, hidden_size: -1 })).toThrow(/"hidden_size" must be a positive integer, got -1/);
    expect(() => parseQwenConfig({ ...QWEN3_06B, rope_scaling: { type: 'yarn', factor: 4 } })).toThrow(/"rope_scaling"/);
    expect(() => parseQwenConfig('{"architectures": [', 'my/config.json')).toThrow(/my\/config.json: field "\(file\)" is not valid JSON/);
    const { intermediate_size: _drop, ...noFfn } = QWEN25_05B;
    expect(() => parseQwenConfig(noFfn)).toThrow(/"intermediate_size" must be a positive integer, got null/);
  });
});
