import { execFile } from 'node:child_process';
import { mkdtemp, writeFile, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'headroom.js');

async function headroom(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: { ...process.env, HEADROOM_LOG_LEVEL: 'silent' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('headroom CLI', () => {
  it('lists its commands in --help', async () => {
    const { code, stdout } = await headroom('--help');
    expect(code).toBe(0);
    for (const command of ['serve', 'workspace']) expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('creates a workspace, checks it, and names the place of a problem in a broken one', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-cli-'));
    const good = path.join(dir, 'good.headroom.json');
    expect((await headroom('workspace', 'new', good, '--name', 'CLI study')).code).toBe(0);
    expect(JSON.parse(await readFile(good, 'utf8'))).toMatchObject({ schemaVersion: 1, name: 'CLI study' });
    // new never replaces an existing file
    const again = await headroom('workspace', 'new', good);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');

    const bad = path.join(dir, 'bad.headroom.json');
    await writeFile(bad, JSON.stringify({ ...JSON.parse(await readFile(good, 'utf8')), notes: 'none' }, null, 2));
    const checked = await headroom('workspace', 'check', good, bad);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(`ok ${good}`);
    expect(checked.stdout).toMatch(new RegExp(`invalid ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at \\$\\.notes \\(line 7, column \\d+\\): must be array`));
  });

  it('lists every problem of an invalid workspace with --all, each with its place', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-cli-'));
    const bad = path.join(dir, 'many.headroom.json');
    await writeFile(bad, '{"schemaVersion":1,"name":5,\n"notes":7,"bogus":1}');
    const first = await headroom('workspace', 'check', bad);
    expect(first.code).toBe(1);
    const more = Number(/and (\d+) more problems\) \(--all lists them\)/.exec(first.stdout)?.[1]);
    expect(more).toBeGreaterThan(1);
    const all = await headroom('workspace', 'check', '--all', bad);
    expect(all.code).toBe(1);
    const lines = all.stdout.trimEnd().split('\n').slice(1);
    expect(lines).toHaveLength(more + 1);
    expect(lines).toContain('  $.name (line 1, column 27): must be string');
    expect(lines).toContain('  $.notes (line 2, column 9): must be array');
    expect(lines.some((l) => l.includes('unknown property "bogus"'))).toBe(true);
  });

  it('checks every sample workspace', async () => {
    const samples = path.join(root, 'samples');
    const { readdir } = await import('node:fs/promises');
    const files = (await readdir(samples)).filter((f) => f.endsWith('.headroom.json')).map((f) => path.join(samples, f));
    expect(files.length).toBeGreaterThan(0);
    const { code, stdout } = await headroom('workspace', 'check', ...files);
    expect(stdout).not.toContain('invalid');
    expect(code).toBe(0);
  });

  it('refuses a bad port with a message, not a stack trace', async () => {
    const { code, stderr } = await headroom('serve', '--port', 'seventy');
    expect(code).not.toBe(0);
    expect(stderr).toContain('a port is a whole number');
    expect(stderr).not.toContain('    at ');
  });
});
