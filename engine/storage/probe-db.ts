import { SlaStore } from '../sla/index.js';
import { openSlaDatabase } from './intervals.js';
import type { ProbeMode, ProbeResult, ProbeStep } from './probe.js';

/** A probe as the SLA database keeps it: its row id, the LUN named by its URI, and the result. */
export interface StoredStorageProbe {
  id: number;
  /** The LUN part of the URI's export name (HOST/LUN or LUN), or null when the URI names none. */
  lun: string | null;
  result: ProbeResult;
}

/** The LUN a gateway URI's export name names: its last path segment (nbd://gw:10809/HOST/LUN → LUN). */
export function probedLun(uri: string): string | null {
  try {
    const segments = decodeURIComponent(new URL(uri).pathname).split('/').filter((s) => s.length > 0);
    return segments.at(-1) ?? null;
  } catch {
    return null;
  }
}

function openForWrite(file: string): SlaStore {
  try {
    return new SlaStore(file);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(message.includes(file) ? message : `${file}: cannot be written as an SLA database (${message})`);
  }
}

/**
 * Add a probe to an SLA database (created, or migrated to the current schema, as the SLA server
 * would). The probe row and its steps go in one transaction: a process killed while writing leaves
 * the probe whole or absent. The probe row records its step count, so a reader can check that too.
 */
export function writeProbeToDatabase(file: string, result: ProbeResult): { file: string; id: number } {
  const started = Date.parse(result.startedAt);
  if (!Number.isFinite(started)) throw new Error(`startedAt: not a date (${result.startedAt})`);
  const store = openForWrite(file);
  try {
    const db = store.db;
    const probe = db.prepare(`INSERT INTO storage_probes (uri, lun, bs, block_bytes, rw, seconds_per_step, started_at, complete, steps)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const step = db.prepare(`INSERT INTO storage_probe_steps (probe_id, step, iodepth, iops, mbps, mean_ms, p50_ms, p95_ms, p99_ms, ios)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const id = db.transaction(() => {
      const row = probe.run(result.uri, probedLun(result.uri), result.bs, result.blockBytes, result.rw, result.secondsPerStep, started, result.complete ? 1 : 0, result.steps.length);
      const probeId = Number(row.lastInsertRowid);
      result.steps.forEach((s, i) => step.run(probeId, i, s.iodepth, s.iops, s.mbps, s.meanMs, s.p50Ms, s.p95Ms, s.p99Ms, s.ios));
      return probeId;
    })();
    return { file, id };
  } finally {
    store.close();
  }
}

interface ProbeRow { id: number; uri: string; lun: string | null; bs: string; block_bytes: number; rw: ProbeMode; seconds_per_step: number; started_at: number; complete: number; steps: number }
interface StepRow { probe_id: number; iodepth: number; iops: number; mbps: number; mean_ms: number; p50_ms: number; p95_ms: number; p99_ms: number; ios: number }

/**
 * The probes stored in an open SLA database, oldest first; with `lun`, only that LUN's. A database
 * from before the probe tables (schema version 2, read only) holds none.
 */
export function storedStorageProbes(store: SlaStore, lun?: string): StoredStorageProbe[] {
  const hasTable = store.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'storage_probes'`).get() !== undefined;
  if (!hasTable) return [];
  const probes = (lun === undefined
    ? store.db.prepare('SELECT * FROM storage_probes ORDER BY started_at, id').all()
    : store.db.prepare('SELECT * FROM storage_probes WHERE lun = ? ORDER BY started_at, id').all(lun)) as ProbeRow[];
  const stepsOf = store.db.prepare('SELECT * FROM storage_probe_steps WHERE probe_id = ? ORDER BY step');
  return probes.map((p) => {
    const steps = (stepsOf.all(p.id) as StepRow[]).map((s): ProbeStep => ({
      iodepth: s.iodepth, iops: s.iops, mbps: s.mbps, meanMs: s.mean_ms, p50Ms: s.p50_ms, p95Ms: s.p95_ms, p99Ms: s.p99_ms, ios: s.ios,
    }));
    if (steps.length !== p.steps) throw new Error(`storage probe ${p.id}: ${steps.length} steps stored, written with ${p.steps}`);
    return {
      id: p.id, lun: p.lun,
      result: { uri: p.uri, bs: p.bs, blockBytes: p.block_bytes, rw: p.rw, secondsPerStep: p.seconds_per_step, startedAt: new Date(p.started_at).toISOString(), complete: p.complete === 1, steps },
    };
  });
}

/** `storedStorageProbes` of a database file, opened read only (it must exist). */
export function readStoredProbes(file: string, lun?: string): StoredStorageProbe[] {
  const store = openSlaDatabase(file);
  try {
    return storedStorageProbes(store, lun);
  } finally {
    store.close();
  }
}
