import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newWorkspace, openWorkspace, parseWorkspace, saveWorkspace, WorkspaceError, hashBytes } from './index.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'headroom-ws-'));
}

describe('workspace files', () => {
  it('round-trips a workspace through an atomic save', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'study.headroom.json');
    const ws = { ...newWorkspace('Round trip'), notes: [{ title: 'a', body: 'b' }] };
    const saved = await saveWorkspace(file, ws);
    const opened = await openWorkspace(file);
    expect(opened.workspace).toEqual(ws);
    expect(opened.hash).toBe(saved.hash);
    // No temporary file is left behind.
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('names the file, JSON path, line and column of a schema violation', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'bad.headroom.json');
    const ws = newWorkspace('x');
    await writeFile(file, JSON.stringify({ ...ws, notes: [{ title: 'ok', body: 7 }] }, null, 2));
    const err = await openWorkspace(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceError);
    const message = (err as Error).message;
    expect(message).toContain(file);
    expect(message).toContain('$.notes[0].body');
    expect(message).toMatch(/line \d+, column \d+/);
  });

  it('reports where JSON syntax breaks', () => {
    const err = (() => { try { parseWorkspace('f.headroom.json', '{\n  "a": 1,\n  oops\n}'); } catch (e) { return e; } })();
    expect((err as Error).message).toMatch(/^f\.headroom\.json at line 3, column 3: not valid JSON/);
  });

  it('refuses a file from a newer format instead of guessing', () => {
    const text = JSON.stringify({ ...newWorkspace('x'), schemaVersion: 99 });
    expect(() => parseWorkspace('f', text)).toThrow(/newer Headroom/);
  });

  it('never overwrites a file that is not a valid workspace', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'corrupt.headroom.json');
    const corrupt = Buffer.from('{"schemaVersion": 1, "name": "half-written', 'utf8');
    await writeFile(file, corrupt);
    await expect(saveWorkspace(file, newWorkspace('new'), { overwrite: true })).rejects.toThrow(/refusing to overwrite/);
    expect(Buffer.compare(await readFile(file), corrupt)).toBe(0);
  });

  it('refuses to save over a file changed on disk since it was opened', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'shared.headroom.json');
    const first = await saveWorkspace(file, newWorkspace('one'));
    await saveWorkspace(file, newWorkspace('someone else'), { baseHash: first.hash });
    await expect(saveWorkspace(file, newWorkspace('mine'), { baseHash: first.hash })).rejects.toThrow(/changed on disk/);
    expect((await openWorkspace(file)).workspace.name).toBe('someone else');
  });

  it('asks before replacing an existing workspace that was not opened', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'a.headroom.json');
    await saveWorkspace(file, newWorkspace('a'));
    await expect(saveWorkspace(file, newWorkspace('b'))).rejects.toThrow(/already exists/);
    await saveWorkspace(file, newWorkspace('b'), { overwrite: true });
    expect((await openWorkspace(file)).workspace.name).toBe('b');
  });

  it('never writes an invalid workspace', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'x.headroom.json');
    const bad = { ...newWorkspace('x'), name: '' };
    await expect(saveWorkspace(file, bad)).rejects.toThrow(/\$\.name/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('gives a WorkspaceError, never a crash, for any mutation of a valid file', () => {
    const valid = JSON.stringify({ ...newWorkspace('fuzz'), notes: [{ title: 't', body: 'b' }] }, null, 2);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 8 }), fc.string({ maxLength: 4 }), (at, cut, insert) => {
        const mutated = valid.slice(0, at) + insert + valid.slice(at + cut);
        try {
          const ws = parseWorkspace('m.headroom.json', mutated);
          expect(ws.schemaVersion).toBe(1);
        } catch (e) {
          expect(e).toBeInstanceOf(WorkspaceError);
          expect((e as Error).message.startsWith('m.headroom.json')).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('hashes the bytes on disk', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'h.headroom.json');
    const saved = await saveWorkspace(file, newWorkspace('h'));
    expect(saved.hash).toBe(hashBytes(await readFile(file)));
  });
});
