import { defineConfig } from 'vite';

// Forge's Vite plugin (npm start, npm run make) builds the main process from this config.
export default defineConfig({
  build: {
    lib: { entry: 'electron/entry-main.ts', formats: ['cjs'], fileName: () => 'main.js' },
    rollupOptions: { external: ['electron', /^node:/] },
  },
});
