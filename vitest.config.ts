import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests never touch the user's own settings (recent files and the like).
const configDir = mkdtempSync(path.join(os.tmpdir(), 'headroom-test-config-'));

export default defineConfig({
  test: {
    include: ['engine/**/*.test.ts', 'electron/**/*.test.ts', 'renderer/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['tests/ui/**', 'node_modules/**', 'dist/**'],
    environment: 'node',
    globalSetup: ['tests/support/fresh-dist.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { HEADROOM_LOG_LEVEL: 'silent', HEADROOM_CONFIG_DIR: configDir },
  },
});
