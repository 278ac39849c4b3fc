import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLEET_SECRET } from '../../fleet/index.js';
import { freePort } from '../../runtime/ports.js';
import { SlaStore } from '../db/index.js';

// Runs `bin/headroom.js` (the compiled engine in dist/): build first with `npm run build:engine`.

const bin = path.join(import.meta.dirname, '../../../bin/headroom.js');
const GATEWAYS = 12;
const RESTARTS = 10;
const COMMITS_PER_RUN = 3;

const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-sla-restart-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function writePolicy(): string {
  mkdirSync(path.join(dir, 'secrets'), { recursive: true });
  writeFileSync(path.join(dir, 'secrets/fleet.secret'), DEFAULT_FLEET_SECRET);
  const gateways = Array.from({ length: GATEWAYS }, (_, i) => `  - id: gw-${String(i).padStart(5, '0')}\n    secretFile: secrets/fleet.secret`).join('\n');
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, `version: 1
name: restart-test
pollIntervalMs: 100
classes:
  - name: gold
    priority: 1
    latencyTarget: { percentile: p99, ms: 1000 }
  - name: bronze
    priority: 3
    throttleable: true
bindings:
  - { host: host-0, class: gold }
  - { host: host-1, class: bronze }
gateways:
${gateways}
`);
  return file;
}

interface Committed { batchId: number; samples: number; at: number; run: number }

/** One server run: resolves once it has reported `commits` cycles with samples committed. */
function runServer(args: string[], run: number, commits: number): { child: ChildProcess; committed: Committed[]; ready: Promise<void>; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stderr: () => string } {
  const child = spawn(process.execPath, [bin, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HEADROOM_LOG_LEVEL: 'warn' } });
  children.add(child);
  const committed: Committed[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => { children.delete(child); resolve({ code, signal }); }));
  const ready = new Promise<void>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) {
        const event = JSON.parse(line) as { kind?: string; report?: { at: number; commit: { ok: boolean; batchId?: number; samples?: number; error?: string } } };
        if (event.kind !== 'cycle' || !event.report) continue;
        const { commit, at } = event.report;
        if (!commit.ok) { reject(new Error(`run ${run}: a cycle was not committed: ${commit.error}`)); return; }
        if (commit.samples! > 0) committed.push({ batchId: commit.batchId!, samples: commit.samples!, at, run });
        if (committed.length >= commits) resolve();
      }
    });
    void exited.then(({ code, signal }) => reject(new Error(`run ${run}: the server exited by itself (${signal ?? code}) after ${committed.length} commits: ${stderr}`)));
  });
  return { child, committed, ready, exited, stderr: () => stderr };
}

/** Every reported commit is in the database once, whole; nothing else is. */
function checkDatabase(file: string, reported: readonly Committed[]): void {
  const store = new SlaStore(file);
  try {
    expect(store.integrityCheck()).toBe('ok');
    const batches = new Map((store.db.prepare('SELECT batch_id AS id, samples FROM ingest_batches').all() as { id: number; samples: number }[]).map((b) => [b.id, b.samples]));
    const samplesAt = store.db.prepare('SELECT count(*) FROM samples WHERE t = ?').pluck();
    const pairsAt = store.db.prepare('SELECT coalesce(sum(pairs), 0) FROM class_samples WHERE t = ?').pluck();
    for (const c of reported) {
      const where = `run ${c.run}, batch ${c.batchId} at t=${c.at}`;
      expect(batches.get(c.batchId), where).toBe(c.samples);
      expect(samplesAt.get(c.at), where).toBe(c.samples);
      // The per-class table adds on conflict: a cycle ingested twice would count its pairs twice.
      expect(pairsAt.get(c.at), where).toBe(c.samples);
    }
    // Every batch row is one of a cycle's; samples only from batches (a torn batch would leave rows without one).
    const totalSamples = store.db.prepare('SELECT count(*) FROM samples').pluck().get() as number;
    expect(totalSamples).toBe([...batches.values()].reduce((a, b) => a + b, 0));
  } finally {
    store.close();
  }
}

describe('SLA server across restarts', () => {
  it(`keeps every committed cycle, once, through ${RESTARTS} SIGKILLs during ingest from a real fleet, and stops cleanly on SIGTERM`, async () => {
    const policy = writePolicy();
    const db = path.join(dir, 'sla.db');
    const port = await freePort();
    const args = ['--policy', policy, '--db', db, '--listen', `127.0.0.1:${port}`, '--format', 'json', '--shards', '1'];
    const fleet = spawn(process.execPath, [bin, 'fleet', '--gateways', String(GATEWAYS), '--connect', `127.0.0.1:${port}`, '--status-ms', '0', '--until-stdin-closes'], { stdio: ['pipe', 'ignore', 'pipe'] });
    children.add(fleet);
    const reported: Committed[] = [];
    try {
      for (let run = 1; run <= RESTARTS; run++) {
        const server = runServer(args, run, COMMITS_PER_RUN);
        await server.ready;
        // Land the kill at different points of the next cycles' ingest (deterministic spread over two intervals).
        await new Promise((r) => setTimeout(r, (run * 37) % 200));
        server.child.kill('SIGKILL');
        const end = await server.exited;
        expect(end.signal, `run ${run}: ${server.stderr()}`).toBe('SIGKILL');
        reported.push(...server.committed);
        checkDatabase(db, reported);
      }
      // The last run ends with SIGTERM: it stops by itself, and its cycles are there too.
      const last = runServer(args, RESTARTS + 1, COMMITS_PER_RUN);
      await last.ready;
      last.child.kill('SIGTERM');
      const end = await last.exited;
      expect(end, last.stderr()).toEqual({ code: 0, signal: null });
      reported.push(...last.committed);
      checkDatabase(db, reported);

      // No batch id reported twice across runs, and every run contributed.
      expect(new Set(reported.map((c) => c.batchId)).size).toBe(reported.length);
      expect(new Set(reported.map((c) => c.run)).size).toBe(RESTARTS + 1);
    } finally {
      fleet.stdin!.end();
      fleet.kill('SIGTERM');
    }
  }, 180_000);
});
