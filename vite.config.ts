// Vite builds the studio (Svelte 5 SPA + engine worker); Vitest runs the Node unit tests on Dawn.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { hubOriginFromCookies, studioCsp } from './src/util/csp.ts';

/**
 * The Content-Security-Policy (src/util/csp.ts): a <meta> copy in the page for any host, and, from the
 * studio's own server (`npm start` = vite preview), a header on every response (page, scripts, workers)
 * whose connect-src names the hub origin the user configured (the Models page keeps it in a cookie).
 */
function contentSecurityPolicy(): Plugin {
  let dev = false;
  return {
    name: 'studio-content-security-policy',
    config(_, env) {
      dev = env.command === 'serve' && !env.isPreview;
    },
    transformIndexHtml: () => [
      { tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: studioCsp({ hub: 'any-http', meta: true, devStyles: dev }) }, injectTo: 'head-prepend' },
    ],
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        res.setHeader('Content-Security-Policy', studioCsp({ hub: hubOriginFromCookies(req.headers.cookie) }));
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Referrer-Policy', 'no-referrer');
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [svelte({ configFile: false }), contentSecurityPolicy()],
  worker: { format: 'es' },
  build: { target: 'es2022', sourcemap: true, chunkSizeWarningLimit: 4000 },
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    // Dawn is a native addon: separate processes are safer than worker threads, and 2 cores fit 2 forks.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
