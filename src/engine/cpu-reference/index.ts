// Float64 CPU references of every engine op (forward and backward), for tests and reference models.
export * from './matmul.ts';
export * from './embedding.ts';
export * from './rmsnorm.ts';
export * from './rope.ts';
export * from './swiglu.ts';
export * from './elementwise.ts';
export * from './attention.ts';
export * from './logits.ts';
export * from './reduce.ts';
export * from './adamw.ts';
export * from './pointwise.ts';
export * from './log-sigmoid.ts';
export * from './preference.ts';
export * from './sample.ts';
export * from './projection.ts';
