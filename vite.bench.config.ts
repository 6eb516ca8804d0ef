// Builds the benchmark pages (bench/*.html) into dist-bench/, apart from the studio: the decode benchmark's peer,
// transformers.js, brings onnxruntime-web and its wasm, which the studio must not ship.
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  build: { target: 'es2022', outDir: 'dist-bench', emptyOutDir: true, chunkSizeWarningLimit: 30000, rollupOptions: { input: { decode: 'bench/decode.html' } } },
  preview: { host: '127.0.0.1', strictPort: true },
});
