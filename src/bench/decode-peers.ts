// The engines bench:decode compares, named once for the page (src/bench/decode-page.ts) and the CLI that drives it.
export const OURS_ATTACHED = 'ours (adapter attached)';
export const OURS_MERGED = 'ours (adapter merged)';
export const PEER_WEBGPU = 'transformers.js + onnxruntime-web webgpu';
export const PEER_WASM = 'transformers.js + onnxruntime-web wasm';
export type DecodeEngine = typeof OURS_ATTACHED | typeof OURS_MERGED | typeof PEER_WEBGPU | typeof PEER_WASM;
