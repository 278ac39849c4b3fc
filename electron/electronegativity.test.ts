import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const gate = path.join(root, 'scripts/electronegativity.mjs');

function scan(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [gate, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('Electronegativity over the shell and the page', () => {
  it('finds nothing in electron/ and renderer/ that the allowlist does not explain', () => {
    const { status, output } = scan();
    console.log(output);
    expect(output).toMatch(/checks, \d+ findings, \d+ explained, 0 unexplained/);
    expect(output).not.toMatch(/UNEXPLAINED|STALE|PARSE ERROR/);
    expect(status).toBe(0);
  });

  it('fails on an unsafe window the allowlist does not explain, and on an allowlist entry that matches nothing', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-eneg-'));
    mkdirSync(path.join(dir, 'shell'));
    writeFileSync(path.join(dir, 'shell', 'main.ts'), [
      "import { BrowserWindow } from 'electron';",
      "export const w = new BrowserWindow({ webPreferences: { contextIsolation: false, sandbox: false, nodeIntegration: true } });",
    ].join('\n'));
    const allowlist = path.join(dir, 'allow.json');
    writeFileSync(allowlist, JSON.stringify([{ check: 'OPEN_EXTERNAL_JS_CHECK', file: 'shell/gone.ts', reason: 'was there once' }]));
    const { status, output } = scan('--input', path.join(dir, 'shell'), '--allowlist', allowlist);
    expect(status).toBe(1);
    expect(output).toMatch(/UNEXPLAINED CONTEXT_ISOLATION_JS_CHECK shell\/main\.ts:2:/);
    expect(output).toMatch(/UNEXPLAINED SANDBOX_JS_CHECK shell\/main\.ts:2:/);
    // Without the shell's navigation and permission handlers beside it, the global checks speak up too.
    expect(output).toMatch(/UNEXPLAINED LIMIT_NAVIGATION_GLOBAL_CHECK/);
    expect(output).toMatch(/UNEXPLAINED PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK/);
    expect(output).toMatch(/STALE .*OPEN_EXTERNAL_JS_CHECK shell\/gone\.ts/);
  });

  it('refuses an allowlist entry without a one-line reason', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-eneg-'));
    const allowlist = path.join(dir, 'allow.json');
    writeFileSync(allowlist, JSON.stringify([{ check: 'CSP_GLOBAL_CHECK', file: 'N/A', reason: '' }]));
    const { status, output } = scan('--allowlist', allowlist);
    expect(status).not.toBe(0);
    expect(output).toMatch(/allow\.json: entry 0: needs "check", "file" and a one-line "reason"/);
  });
});
