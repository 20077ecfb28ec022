// Builds the dashboard (web/) into dist/web, served by `waymark serve` at `/`.
// Everything is bundled: no CDN, no web font, nothing fetched from another origin.
import { URL, fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    modulePreload: { polyfill: false },
    // ECharts is most of the bundle; it stays one local file.
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npx vite web` during development: the API of a `waymark serve` on the default port.
    proxy: { '/v1': 'http://127.0.0.1:8470', '/metrics': 'http://127.0.0.1:8470' },
  },
});
