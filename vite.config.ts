import { defineConfig } from 'vite';

// The renderer is built once and served two ways: over app:// in Electron and by the engine's
// loopback server in browser mode; relative asset paths work for both.
export default defineConfig({
  root: 'renderer',
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 4096,
    target: 'es2022',
  },
  worker: { format: 'es' },
});
