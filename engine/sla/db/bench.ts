import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SlaDb } from './client.js';
import { SamplePacker } from './packer.js';
import { SlaStore } from './store.js';
import type { SampleRow } from './types.js';

export interface DbBenchOptions {
  gateways?: number;
  pairsPerGateway?: number;
  polls?: number;
  pollIntervalMs?: number;
  /** Also fill a month of per-hour class rollups for every gateway and time month-long queries. */
  month?: boolean;
  dir?: string;
}

export interface DbBenchResult {
  gateways: number;
  pairsPerGateway: number;
  polls: number;
  samples: number;
  /** Wall-clock figures, plus the process's CPU time (user + system, all threads) to read them on a shared machine. */
  worker: { seconds: number; samplesPerSecond: number; cpuSeconds: number; batches: number };
  inProcess: { seconds: number; samplesPerSecond: number; cpuSeconds: number };
  loadAverage: number[];
  /** Worker throughput over in-process throughput: the mailbox's cost. */
  workerVsInProcess: number;
  rollupMs: number;
  queriesMs: Record<string, number>;
  month: { classHourRows: number; fillSeconds: number; queriesMs: Record<string, number> } | null;
  dbBytes: number;
}

const CLASSES = ['gold', 'silver', 'bronze'];

function pollRows(gateways: number, pairs: number): SampleRow[] {
  const rows: SampleRow[] = [];
  for (let g = 0; g < gateways; g++) {
    for (let p = 0; p < pairs; p++) {
      rows.push({ t: 0, gatewayId: `gw${g}`, host: `host${p}`, lun: `lun${p}`, className: CLASSES[p % CLASSES.length]!,
        iops: 1000 + p, mbps: 4 + p / 10, p50Us: 300, p95Us: 900 + p, p99Us: 2000 + g % 100, queueDepth: 2 });
    }
  }
  return rows;
}

function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return Number(((usage.user + usage.system) / 1e6).toFixed(3));
}

function median(samples: number[]): number {
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeIt(runs: number, fn: () => unknown): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return Number(median(times).toFixed(3));
}

async function timeItAsync(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return Number(median(times).toFixed(3));
}

/**
 * Ingest throughput through the database thread (the product's path) beside the same work
 * in-process (the baseline), then query latencies on the filled database. Prints nothing.
 */
export async function runDbBench(options: DbBenchOptions = {}): Promise<DbBenchResult> {
  const gateways = options.gateways ?? 1000;
  const pairs = options.pairsPerGateway ?? 10;
  const polls = options.polls ?? 100;
  const interval = options.pollIntervalMs ?? 1000;
  const dir = options.dir ?? mkdtempSync(path.join(os.tmpdir(), 'headroom-bench-db-'));
  const rows = pollRows(gateways, pairs);
  const t0 = Date.UTC(2026, 0, 1);
  const samples = rows.length * polls;
  try {
    // In-process baseline: packer + store on this thread.
    const baseFile = path.join(dir, 'in-process.db');
    const store = new SlaStore(baseFile);
    const packer = new SamplePacker();
    let start = performance.now();
    let cpu = process.cpuUsage();
    for (let poll = 0; poll < polls; poll++) {
      for (const r of rows) { r.t = t0 + poll * interval; packer.add(r); }
      store.ingest(packer.take()!);
    }
    const inProcessSeconds = (performance.now() - start) / 1000;
    const inProcessCpu = cpuSeconds(process.cpuUsage(cpu));
    store.close();

    // The product's path: rows → mailbox → database thread, one transaction per batch.
    const file = path.join(dir, 'worker.db');
    const db = await SlaDb.open(file, { maxBatchRows: rows.length * 5 });
    start = performance.now();
    cpu = process.cpuUsage();
    const pending: Promise<unknown>[] = [];
    const batches = new Set<number>();
    for (let poll = 0; poll < polls; poll++) {
      for (const r of rows) r.t = t0 + poll * interval;
      pending.push(db.ingest(rows).then((b) => batches.add(b.batchId)));
      // Bounded in flight: wait for the oldest batches before queueing many more.
      if (pending.length >= 20) await Promise.all(pending.splice(0, 10));
    }
    await Promise.all(pending);
    const workerSeconds = (performance.now() - start) / 1000;
    const workerCpu = cpuSeconds(process.cpuUsage(cpu));

    const end = t0 + polls * interval;
    const q = db.queries;
    const rollupStart = performance.now();
    await q.rollup(end + 3600_000);
    const rollupMs = Number((performance.now() - rollupStart).toFixed(1));
    await q.recordActions(Array.from({ length: 1000 }, (_, i) => ({ t: t0 + i * 10, gatewayId: `gw${i % gateways}`, host: 'host1', lun: 'lun1', className: 'bronze', kind: 'throttle',
      iopsLimit: 500, mbpsLimit: 10, previousIopsLimit: 0, previousMbpsLimit: 0, protects: 'gold', reason: 'bench' })));
    const queriesMs: Record<string, number> = {
      classSeriesLast10Min: await timeItAsync(5, () => q.classSeries({ className: 'gold', from: end - 600_000, to: end, resolution: 'raw' })),
      classSeriesOneGatewayRaw: await timeItAsync(5, () => q.classSeries({ className: 'gold', gatewayId: 'gw7', from: t0, to: end, resolution: 'raw' })),
      classSeriesMinutes: await timeItAsync(5, () => q.classSeries({ className: 'gold', from: t0, to: end, resolution: 'minute' })),
      timeline: await timeItAsync(5, () => q.timeline({ from: t0, to: end })),
      latestPerGateway: await timeItAsync(5, () => q.latestPerGateway()),
    };
    await db.close();

    let month: DbBenchResult['month'] = null;
    if (options.month) {
      const s = new SlaStore(file);
      const hours = 31 * 24;
      const fillStart = performance.now();
      // A month of hourly class rollups for every gateway, written in SQL (a bench fixture, not ingest).
      s.db.exec(`WITH RECURSIVE h(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM h WHERE i < ${hours - 1})
        INSERT OR REPLACE INTO class_hour (class_id, bucket, gateway_id, n, iops, mbps, p95_us, p99_us)
        SELECT c.id, ${t0 - hours * 3600_000} + h.i * 3600000, g.id, 3600, 1000, 4, 900, 2000 FROM h, classes c, gateways g WHERE c.name <> ''`);
      const fillSeconds = (performance.now() - fillStart) / 1000;
      const classHourRows = s.db.prepare('SELECT count(*) FROM class_hour').pluck().get() as number;
      const from = t0 - hours * 3600_000;
      const monthQueries = {
        classSeriesMonthAllGateways: timeIt(3, () => s.classSeries({ className: 'gold', from, to: t0 })),
        classSeriesMonthOneGateway: timeIt(3, () => s.classSeries({ className: 'gold', gatewayId: 'gw7', from, to: t0 })),
      };
      s.close();
      month = { classHourRows, fillSeconds: Number(fillSeconds.toFixed(2)), queriesMs: monthQueries };
    }
    const dbBytes = statSync(file).size;
    const workerRate = samples / workerSeconds;
    const inProcessRate = samples / inProcessSeconds;
    return {
      gateways, pairsPerGateway: pairs, polls, samples,
      worker: { seconds: Number(workerSeconds.toFixed(3)), samplesPerSecond: Math.round(workerRate), cpuSeconds: workerCpu, batches: batches.size },
      inProcess: { seconds: Number(inProcessSeconds.toFixed(3)), samplesPerSecond: Math.round(inProcessRate), cpuSeconds: inProcessCpu },
      loadAverage: os.loadavg().map((l) => Number(l.toFixed(2))),
      workerVsInProcess: Number((workerRate / inProcessRate).toFixed(3)),
      rollupMs, queriesMs, month, dbBytes,
    };
  } finally {
    if (!options.dir) rmSync(dir, { recursive: true, force: true });
  }
}
