/**
 * The viewer's build: web/ -> dist/web, served by `folioscope serve` (src/server/http.ts).
 * `npx vite --config web/vite.config.ts` serves it with hot reload and sends /api to a running
 * `folioscope serve` on the default port.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  server: { host: '127.0.0.1', proxy: { '/api': 'http://127.0.0.1:4780' } },
});
