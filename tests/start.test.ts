import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('npm start without the Electron runtime', () => {
  it('says so in one line and serves the workbench at a printed URL', async () => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'start.mjs')], {
      cwd: root,
      // Point Electron at an empty place so the check is the same on machines that have it.
      env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: path.join(root, 'no-electron-here'), HEADROOM_NO_OPEN: '1', HEADROOM_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines = await new Promise<string[]>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no URL within 20 s: ${out}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const split = out.split('\n').filter(Boolean);
          if (split.length >= 2) { clearTimeout(timer); resolve(split); }
        });
      });
      expect(lines[0]).toMatch(/Electron runtime is not installed/);
      const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(lines[1]!)?.[1];
      expect(url).toBeDefined();
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="root">');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    } finally {
      child.kill('SIGTERM');
    }
  });
});
