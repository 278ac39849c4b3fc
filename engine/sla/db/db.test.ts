import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { resolveWorkerScript } from '../../runtime/index.js';
import { killAfterReports } from './crash-harness.js';
import { migrate, runDbBench, SamplePacker, SCHEMA_VERSION, SlaDb, SlaStore, type SampleRow } from './index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'headroom-sla-db-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
const newFile = () => path.join(dir, `t${++fileNo}.db`);

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

function row(t: number, gatewayId: string, host: string, className: string | null, iops: number, p99Us: number): SampleRow {
  return { t, gatewayId, host, lun: `${host}/lun`, className, iops, mbps: iops / 250, p50Us: p99Us / 4, p95Us: p99Us / 2, p99Us, queueDepth: 1 };
}

function ingestRows(store: SlaStore, packer: SamplePacker, rows: readonly SampleRow[]) {
  for (const r of rows) packer.add(r);
  return store.ingest(packer.take()!);
}

describe('migrations', () => {
  it('creates the latest schema from an empty file', () => {
    const store = new SlaStore(newFile());
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('upgrades a version 1 database and keeps its data', () => {
    const file = newFile();
    const v1 = new Database(file);
    migrate(v1, 1);
    expect(v1.pragma('user_version', { simple: true })).toBe(1);
    v1.prepare(`INSERT INTO actions (t, gateway, host, lun, class, kind, iops_limit, mbps_limit, previous_iops_limit, previous_mbps_limit, protects, reason)
      VALUES (5, 'gw1', 'b', 'l', 'bronze', 'throttle', 100, 0, 0, 0, 'gold', 'old reason')`).run();
    v1.prepare(`INSERT INTO policies VALUES (1, 3, 'p', 'test', 'version: 1')`).run();
    v1.close();

    const store = new SlaStore(file);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    const timeline = store.timeline({ from: 0, to: 10 });
    expect(timeline.actions).toEqual([expect.objectContaining({ reason: 'old reason', acked: null, iopsLimit: 100 })]);
    store.ackAction(timeline.actions[0]!.id, true, 'applied');
    expect(store.timeline({ from: 0, to: 10 }).actions[0]).toMatchObject({ acked: true, ackReason: 'applied' });
    expect(store.policyHistory()).toEqual([{ version: 1, appliedAt: 3, name: 'p', source: 'test', text: 'version: 1' }]);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('refuses a database from a newer Headroom', () => {
    const file = newFile();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => new SlaStore(file)).toThrow(/schema version/);
  });
});

describe('SlaStore', () => {
  it('ingests batches atomically and answers the views\' queries', () => {
    const store = new SlaStore(newFile());
    const packer = new SamplePacker();
    for (let poll = 0; poll < 5; poll++) {
      const t = T0 + poll * 1000;
      ingestRows(store, packer, [
        row(t, 'gw1', 'gold', 'gold', 100 + poll, 1000 * (poll + 1)),
        row(t, 'gw1', 'bronze', 'bronze', 5000, 90_000),
        row(t, 'gw2', 'gold2', 'gold', 50, 500),
        row(t, 'gw2', 'stray', null, 7, 1),
      ]);
    }
    const series = store.classSeries({ className: 'gold', from: T0, to: T0 + 10_000 });
    expect(series.resolution).toBe('raw');
    expect(series.points.map((p) => [p.t - T0, p.iops, p.p99Us])).toEqual([0, 1, 2, 3, 4].map((i) => [i * 1000, 150 + i, 1000 * (i + 1)]));
    expect(store.classSeries({ className: 'gold', gatewayId: 'gw2', from: T0, to: T0 + 10_000 }).points.map((p) => p.iops)).toEqual([50, 50, 50, 50, 50]);
    expect(store.classSeries({ className: 'nosuch', from: T0, to: T0 + 1 }).points).toEqual([]);
    expect(store.latestPerGateway()).toEqual([
      expect.objectContaining({ gatewayId: 'gw1', lastSeen: T0 + 4000, iops: 104 + 5000, p99Us: 90_000 }),
      expect.objectContaining({ gatewayId: 'gw2', lastSeen: T0 + 4000, iops: 57 }),
    ]);
    expect(store.counts()).toMatchObject({ samples: 20, series: 4, ingest_batches: 5 });
    store.close();
  });

  it('skips a batch id it has already committed', () => {
    const store = new SlaStore(newFile());
    const packer = new SamplePacker(7);
    for (const r of [row(T0, 'gw1', 'a', 'gold', 10, 1)]) packer.add(r);
    const batch = packer.take()!;
    expect(store.ingest(batch)).toMatchObject({ batchId: 7, samples: 1, duplicate: false });
    expect(store.ingest(batch)).toMatchObject({ batchId: 7, samples: 0, duplicate: true });
    expect(store.classSeries({ className: 'gold', from: T0, to: T0 }).points[0]!.iops).toBe(10);
    store.close();
  });

  it('keeps numbering and series after a restart, a skipped batch and a rolled-back one', () => {
    const file = newFile();
    const first = new SlaStore(file);
    const packer1 = new SamplePacker(first.lastBatchId() + 1);
    expect(ingestRows(first, packer1, [row(T0, 'gw1', 'a', 'gold', 1, 1)])).toMatchObject({ batchId: 1, duplicate: false });
    expect(ingestRows(first, packer1, [row(T0 + 1000, 'gw1', 'a', 'gold', 2, 1)])).toMatchObject({ batchId: 2, duplicate: false });
    first.close();

    // A new run numbers after the last committed batch: nothing it sends looks like a resend.
    const second = new SlaStore(file);
    expect(second.lastBatchId()).toBe(2);
    const packer2 = new SamplePacker(second.lastBatchId() + 1);
    expect(ingestRows(second, packer2, [row(T0 + 2000, 'gw1', 'a', 'gold', 3, 1), row(T0 + 2000, 'gw2', 'b', 'bronze', 4, 1)])).toMatchObject({ batchId: 3, samples: 2, duplicate: false });

    // A resent batch is skipped, yet the series it defined stay usable by the next batches.
    const stale = new SamplePacker(3);
    stale.add(row(T0 + 2000, 'gw3', 'c', 'gold', 5, 1));
    const resent = stale.take()!;
    expect(second.ingest(resent)).toMatchObject({ duplicate: true });
    stale.add(row(T0 + 3000, 'gw3', 'c', 'gold', 6, 1));
    expect(second.ingest(stale.take()!)).toMatchObject({ batchId: 4, samples: 1, duplicate: false });

    // A batch that fails inside its transaction leaves nothing, and the next one (whose series
    // the failed one defined, and whose gateway row it rolled back) commits whole.
    const failing = new SamplePacker(10);
    failing.add(row(T0 + 4000, 'gw-new', 'd', 'silver', 7, 1));
    const bad = failing.take()!;
    second.db.exec('CREATE TEMP TRIGGER fail_once BEFORE INSERT ON ingest_batches BEGIN SELECT RAISE(ABORT, \'disk on fire\'); END');
    expect(() => second.ingest(bad)).toThrow(/disk on fire/);
    second.db.exec('DROP TRIGGER fail_once');
    expect(second.db.prepare('SELECT count(*) FROM gateways WHERE name = ?').pluck().get('gw-new')).toBe(0);
    failing.add(row(T0 + 5000, 'gw-new', 'd', 'silver', 8, 1));
    expect(second.ingest(failing.take()!)).toMatchObject({ batchId: 11, samples: 1 });
    expect(second.classSeries({ className: 'silver', from: T0, to: T0 + 10_000 }).points.map((p) => p.iops)).toEqual([8]);

    // Retention may delete every batch row; numbering still goes on after the highest.
    second.db.exec('DELETE FROM ingest_batches');
    expect(second.lastBatchId()).toBe(11);
    expect(second.integrityCheck()).toBe('ok');
    second.close();
  });

  it('rolls samples up to minutes and hours with the same means and worst latencies, then applies retention', () => {
    const store = new SlaStore(newFile(), { retention: { rawSamplesMs: 30 * MINUTE, rawClassMs: 30 * MINUTE, minuteSamplesMs: 3 * 3600_000, minuteClassMs: 3 * 3600_000 } });
    const packer = new SamplePacker();
    // Two hours of polls every 10 s; gold's IOPS follow the minute number, its p99 peaks once.
    const polls = 2 * 60 * 6;
    for (let i = 0; i < polls; i++) {
      const t = T0 + i * 10_000;
      const minute = Math.floor(i / 6);
      ingestRows(store, packer, [row(t, 'gw1', 'g', 'gold', minute, i === 100 ? 99_000 : 1000), row(t, 'gw1', 'b', 'bronze', 1, 1)]);
    }
    store.rollup(T0 + polls * 10_000);
    const minutes = store.classSeries({ className: 'gold', from: T0, to: T0 + 3 * 3600_000, resolution: 'minute' }).points;
    expect(minutes.length).toBe(120);
    expect(minutes.map((p) => p.iops)).toEqual(Array.from({ length: 120 }, (_, m) => m));
    expect(minutes.filter((p) => p.p99Us === 99_000).map((p) => (p.t - T0) / MINUTE)).toEqual([16]);
    const hours = store.classSeries({ className: 'gold', from: T0, to: T0 + 3 * 3600_000, resolution: 'hour' }).points;
    expect(hours.map((p) => p.iops)).toEqual([29.5, 89.5]);
    expect(hours.map((p) => p.p99Us)).toEqual([99_000, 1000]);
    // Rolling up again changes nothing.
    const before = store.counts();
    store.rollup(T0 + polls * 10_000);
    expect(store.counts()).toEqual(before);

    // Four hours later: raw rows and minutes are past their retention; hours stay.
    const deleted = store.applyRetention(T0 + 6 * 3600_000);
    expect(deleted.samples).toBe(polls * 2);
    expect(store.counts()).toMatchObject({ samples: 0, class_samples: 0, samples_minute: 0, class_minute: 0 });
    expect(store.classSeries({ className: 'gold', from: T0, to: T0 + 3 * 3600_000, resolution: 'hour' }).points.map((p) => p.iops)).toEqual([29.5, 89.5]);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('records actions, violations, alerts and policies for the timeline', () => {
    const store = new SlaStore(newFile());
    const [id] = store.recordActions([{ t: 20, gatewayId: 'gw1', host: 'b', lun: 'l', className: 'bronze', kind: 'throttle', iopsLimit: 200, mbpsLimit: 2,
      previousIopsLimit: 0, previousMbpsLimit: 0, protects: 'gold', reason: 'protect gold' }]);
    store.recordViolations([{ t: 10, gatewayId: 'gw1', className: 'gold', host: 'g', lun: 'l', measurement: 'p99', observed: 40, target: 20, text: 'p99 40 > 20' }]);
    store.recordAlerts([{ t: 10, severity: 'warning', gatewayId: 'gw1', className: 'gold', code: 'at-risk', text: 'gold at risk' }]);
    store.recordViolations([{ t: 10, gatewayId: 'gw2', className: 'gold', host: 'g', lun: 'l', measurement: 'p99', observed: 40, target: 20, text: 'elsewhere' }]);
    store.ackAction(id!, false, 'gateway refused');
    store.recordPolicy({ version: 1, appliedAt: 1, name: 'gold-bronze', source: 'test', text: 'x' });
    const tl = store.timeline({ from: 0, to: 100, gatewayId: 'gw1' });
    expect(tl.actions).toEqual([expect.objectContaining({ id, protects: 'gold', acked: false, ackReason: 'gateway refused' })]);
    expect(tl.violations.map((v) => v.text)).toEqual(['p99 40 > 20']);
    expect(tl.alerts.map((a) => a.code)).toEqual(['at-risk']);
    expect(store.timeline({ from: 0, to: 15 }).actions).toEqual([]);
    expect(store.policyHistory().map((p) => p.name)).toEqual(['gold-bronze']);
    store.close();
  });
});

describe('SlaDb (database thread behind a mailbox)', () => {
  it('batches rows of one tick into one transaction and serves queries in order', async () => {
    const db = await SlaDb.open(newFile());
    try {
      const commits = await Promise.all([
        db.ingest([row(T0, 'gw1', 'g', 'gold', 10, 100)]),
        db.ingest([row(T0, 'gw1', 'b', 'bronze', 20, 100)]),
      ]);
      expect(commits[0]).toEqual(commits[1]);
      expect(commits[0]).toMatchObject({ samples: 2, duplicate: false });
      const next = await db.ingest([row(T0 + 1000, 'gw1', 'g', 'gold', 11, 100)]);
      expect(next.batchId).toBe(commits[0]!.batchId + 1);
      expect((await db.queries.classSeries({ className: 'gold', from: T0, to: T0 + 1000 })).points.map((p) => p.iops)).toEqual([10, 11]);
      expect(await db.queries.committedBatches()).toEqual([commits[0]!.batchId, next.batchId]);
      expect(await db.queries.lastBatchId()).toBe(next.batchId);
      await expect(db.queries.classSeries({ className: 'gold', from: T0, to: T0, resolution: 'nosuch' as 'raw' })).rejects.toThrow(/resolution must be/);
    } finally {
      await db.close();
    }
    await expect(db.ingest([])).rejects.toThrow(/closed/);
  });

  it('continues batch numbering after the last committed batch when it opens again', async () => {
    const file = newFile();
    const first = await SlaDb.open(file);
    const a = await first.ingest([row(T0, 'gw1', 'g', 'gold', 1, 100)]);
    const b = await first.ingest([row(T0 + 1000, 'gw1', 'g', 'gold', 2, 100)]);
    await first.close();
    const second = await SlaDb.open(file);
    try {
      // Before the fix this batch reused id 1, was skipped as a resend, and the next one failed
      // with "series 0 was never defined".
      const c = await second.ingest([row(T0 + 2000, 'gw1', 'g', 'gold', 3, 100)]);
      const d = await second.ingest([row(T0 + 3000, 'gw1', 'g', 'gold', 4, 100)]);
      expect([a.batchId, b.batchId, c.batchId, d.batchId]).toEqual([1, 2, 3, 4]);
      expect([c.duplicate, d.duplicate]).toEqual([false, false]);
      expect((await second.queries.classSeries({ className: 'gold', from: T0, to: T0 + 3000 })).points.map((p) => p.iops)).toEqual([1, 2, 3, 4]);
    } finally {
      await second.close();
    }
  });

  it('names the file when it cannot open it', async () => {
    await expect(SlaDb.open(path.join(dir, 'missing-folder', 'x.db'))).rejects.toThrow(/missing-folder/);
  });

  it('a SIGKILLed ingesting process leaves a consistent database holding every committed batch', async () => {
    const file = newFile();
    const rowsPerBatch = 2000;
    const { lines, ended } = await killAfterReports(fileURLToPath(resolveWorkerScript(import.meta.url, './crash-child.js')), [file, String(rowsPerBatch), '5000'], 40);
    expect(ended).toBe('SIGKILL');
    const reported = new Map<number, number>();
    for (const line of lines) {
      const [, id, t] = line.split(' ');
      reported.set(Number(id), Number(t));
    }

    const store = new SlaStore(file);
    try {
      expect(store.integrityCheck()).toBe('ok');
      const committed = new Set(store.committedBatches());
      for (const id of reported.keys()) expect(committed.has(id), `batch ${id}`).toBe(true);
      // Every batch is whole or absent: no torn batch.
      const perT = new Map((store.db.prepare('SELECT t, count(*) AS n FROM samples GROUP BY t').all() as { t: number; n: number }[]).map((r) => [r.t, r.n]));
      for (const id of committed) expect(perT.get(id * 1000), `batch ${id}`).toBe(rowsPerBatch);
      for (const t of perT.keys()) expect(committed.has(t / 1000), `samples at ${t} without a committed batch`).toBe(true);
      expect(committed.size).toBeGreaterThanOrEqual(reported.size);
    } finally {
      store.close();
    }
  });
});

describe('bench db', () => {
  it('ingests every sample it claims to, through the thread and in-process', async () => {
    const result = await runDbBench({ gateways: 7, pairsPerGateway: 3, polls: 4 });
    expect(result.samples).toBe(7 * 3 * 4);
    expect(result.worker.batches).toBeGreaterThanOrEqual(1);
    expect(Object.keys(result.queriesMs)).toEqual(['classSeriesLast10Min', 'classSeriesOneGatewayRaw', 'classSeriesMinutes', 'timeline', 'latestPerGateway']);
  });
});
