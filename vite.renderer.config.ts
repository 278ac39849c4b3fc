import { defineConfig, mergeConfig } from 'vite';
import base from './vite.config.js';

// Forge's renderer build: the same renderer as browser mode, written where Forge expects it.
export default mergeConfig(base, defineConfig({ build: { outDir: undefined, emptyOutDir: true } }));
