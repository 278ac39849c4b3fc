import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveWorkerScript } from '../runtime/index.js';
import { killAfterReports } from '../sla/db/crash-harness.js';
import { migrate, SCHEMA_VERSION, SlaStore } from '../sla/index.js';
import { syntheticSteps } from './testing/synthetic-steps.js';
import { probedLun, readStoredProbes, storedStorageProbes, writeProbeToDatabase, type ProbeResult } from './index.js';

let dir = '';
let n = 0;
const newFile = (): string => path.join(dir, `probes-${++n}.db`);

beforeAll(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-probe-db-')); });
afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

const probe = (uri: string, complete = true): ProbeResult => ({
  uri, bs: '4k', blockBytes: 4096, rw: 'randread', secondsPerStep: 0.8, startedAt: '2026-12-01T10:00:00.123Z', complete,
  steps: syntheticSteps(2, 0.5, 0.02),
});

describe('storage probes in the SLA database', () => {
  it('upgrades a version 2 database to the probe tables, keeping its data; read only, a version 2 database holds no probes', () => {
    const file = newFile();
    const v2 = new Database(file);
    migrate(v2, 2);
    v2.prepare(`INSERT INTO policies VALUES (1, 3, 'p', 'test', 'version: 1')`).run();
    v2.prepare(`INSERT INTO alerts (t, severity, gateway, class, code, text) VALUES (7, 'warning', 'gw1', 'gold', 'late', 'kept')`).run();
    v2.close();

    // A report reads an old database without migrating it.
    const reader = new SlaStore(file, { readonly: true });
    expect(storedStorageProbes(reader)).toEqual([]);
    reader.close();

    const written = writeProbeToDatabase(file, probe('nbd://127.0.0.1:10809/h1/lun0'));
    expect(written.id).toBe(1);
    const store = new SlaStore(file);
    try {
      expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(store.policyHistory()).toEqual([{ version: 1, appliedAt: 3, name: 'p', source: 'test', text: 'version: 1' }]);
      expect(store.db.prepare('SELECT text FROM alerts').all()).toEqual([{ text: 'kept' }]);
      expect(store.integrityCheck()).toBe('ok');
    } finally {
      store.close();
    }
  });

  it('round-trips a probe, its steps in order, and finds it by the LUN its URI names', () => {
    const file = newFile();
    const a = probe('nbd://127.0.0.1:10809/h1/lun0');
    const b = probe('nbds://gold@127.0.0.1:10810/lun1', false);
    expect(writeProbeToDatabase(file, a)).toEqual({ file, id: 1 });
    expect(writeProbeToDatabase(file, b)).toEqual({ file, id: 2 });
    expect(readStoredProbes(file)).toEqual([{ id: 1, lun: 'lun0', result: a }, { id: 2, lun: 'lun1', result: b }]);
    expect(readStoredProbes(file, 'lun1').map((p) => p.id)).toEqual([2]);
    expect(probedLun('nbd://127.0.0.1:10809')).toBeNull();
    expect(() => readStoredProbes(path.join(dir, 'none.db'))).toThrow(/none\.db: no such SLA database/);
  });

  it('names the file when it is not a database', async () => {
    const file = path.join(dir, 'text.db');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, 'not sqlite at all, just text that is long enough to be a header\n'.repeat(10)));
    expect(() => writeProbeToDatabase(file, probe('nbd://127.0.0.1:1/lun0'))).toThrow(/text\.db/);
  });

  it('a process SIGKILLed while writing probes leaves every probe it reported whole and none torn', async () => {
    const file = newFile();
    const steps = 5000;
    // Killed at once after the 20th report, while the next probe's transaction is being written.
    const { lines, ended } = await killAfterReports(fileURLToPath(resolveWorkerScript(import.meta.url, './testing/probe-db-child.js')), [file, String(steps), '10000'], 20);
    expect(ended).toBe('SIGKILL');
    const reported = new Set(lines.map((line) => Number(line.split(' ')[1])));

    const store = new SlaStore(file);
    try {
      expect(store.integrityCheck()).toBe('ok');
      // storedStorageProbes throws on a probe whose step rows differ from the count written with it.
      const stored = storedStorageProbes(store);
      for (const id of reported) expect(stored.some((p) => p.id === id), `probe ${id}`).toBe(true);
      for (const p of stored) expect(p.result.steps, `probe ${p.id}`).toHaveLength(steps);
      const rows = store.db.prepare('SELECT count(*) AS n FROM storage_probe_steps').get() as { n: number };
      expect(rows.n).toBe(stored.length * steps);
      expect(stored.length).toBeGreaterThanOrEqual(reported.size);
    } finally {
      store.close();
    }
  }, 40_000);
});
