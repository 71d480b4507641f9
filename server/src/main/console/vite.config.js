import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Built into the server's classes, so that the jar carries the console (no Node.js where it runs).
export default defineConfig({
  base: '/ui/',
  build: {
    outDir: fileURLToPath(new URL('../../../target/classes/ui', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // No inline script anywhere: the page runs under a Content-Security-Policy without 'unsafe-inline'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
});
