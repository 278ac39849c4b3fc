import { existsSync } from 'node:fs';
import { ACTIVE_IOPS, SlaStore, type Resolution } from '../sla/index.js';

/** One LUN's traffic in one interval, summed over the hosts (and classes) using it. Latencies in ms. */
export interface LunInterval {
  t: number;
  iops: number;
  mbps: number;
  /** I/O-weighted mean over the pairs of each pair's percentile: exact for one pair, an approximation for several. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Requests in the gateway for this LUN: the pairs' mean depths seen by arrivals, summed. */
  queueDepth: number;
}

export interface LunRef {
  gatewayId: string;
  lun: string;
  /** Raw intervals stored for it (what the fit reads first). */
  rawIntervals: number;
}

/** The SLA database read-only: a report or a fit never writes it, and may read while the server writes. */
export function openSlaDatabase(file: string): SlaStore {
  if (!existsSync(file)) throw new Error(`${file}: no such SLA database`);
  try {
    return new SlaStore(file, { readonly: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(message.startsWith(file) ? message : `${file}: not an SLA database (${message})`);
  }
}

/** Every LUN with stored samples, by gateway. */
export function storedLuns(store: SlaStore): LunRef[] {
  return store.db.prepare(`SELECT g.name AS gatewayId, l.name AS lun,
      (SELECT count(DISTINCT s.t) FROM samples s JOIN series se ON se.id = s.series_id WHERE se.lun_id = l.id) AS rawIntervals
    FROM luns l JOIN gateways g ON g.id = l.gateway_id ORDER BY g.name, l.name`).all() as LunRef[];
}

/** The LUNs a `--lun` (and `--gateway`) name: an unknown or ambiguous name is an error listing what is there. */
export function selectLuns(store: SlaStore, file: string, lun?: string, gatewayId?: string): LunRef[] {
  const all = storedLuns(store);
  if (all.length === 0) throw new Error(`${file}: the database holds no LUNs (no samples stored yet)`);
  const known = (refs: readonly LunRef[]): string => refs.map((r) => `${r.lun} (gateway ${r.gatewayId})`).join(', ');
  let chosen = all;
  if (gatewayId !== undefined) {
    chosen = chosen.filter((r) => r.gatewayId === gatewayId);
    if (chosen.length === 0) throw new Error(`${file}: no gateway "${gatewayId}"; LUNs stored: ${known(all)}`);
  }
  if (lun !== undefined) {
    chosen = chosen.filter((r) => r.lun === lun);
    if (chosen.length === 0) throw new Error(`${file}: no LUN "${lun}"${gatewayId === undefined ? '' : ` on gateway ${gatewayId}`}; LUNs stored: ${known(all)}`);
  }
  return chosen;
}

const TABLES: Record<Resolution, { table: string; time: string }> = {
  raw: { table: 'samples', time: 't' },
  minute: { table: 'samples_minute', time: 'bucket' },
  hour: { table: 'samples_hour', time: 'bucket' },
};

/**
 * A LUN's intervals at one resolution, oldest first. Idle intervals (under the analyzer's
 * ACTIVE_IOPS) are left out: their latency says nothing about load.
 */
export function lunIntervals(store: SlaStore, ref: Pick<LunRef, 'gatewayId' | 'lun'>, resolution: Resolution): LunInterval[] {
  const { table, time } = TABLES[resolution];
  const pct = (col: string): string => `CASE WHEN sum(s.iops) > 0 THEN sum(s.${col} * s.iops) / sum(s.iops) ELSE max(s.${col}) END / 1000.0`;
  return store.db.prepare(`SELECT s.${time} AS t, sum(s.iops) AS iops, sum(s.mbps) AS mbps,
      ${pct('p50_us')} AS p50Ms, ${pct('p95_us')} AS p95Ms, ${pct('p99_us')} AS p99Ms, sum(s.queue_depth) AS queueDepth
    FROM ${table} s JOIN series se ON se.id = s.series_id JOIN luns l ON l.id = se.lun_id JOIN gateways g ON g.id = l.gateway_id
    WHERE g.name = ? AND l.name = ? GROUP BY s.${time} HAVING sum(s.iops) >= ? ORDER BY s.${time}`).all(ref.gatewayId, ref.lun, ACTIVE_IOPS) as LunInterval[];
}

/** A service class whose traffic reached a LUN: the name as stored ('' for traffic bound to no class). */
export interface StoredClass { id: number; name: string }

/** The classes the series table ties to a LUN, by name. */
export function lunClasses(store: SlaStore, ref: Pick<LunRef, 'gatewayId' | 'lun'>): StoredClass[] {
  return store.db.prepare(`SELECT DISTINCT c.id AS id, c.name AS name FROM series se JOIN classes c ON c.id = se.class_id
      JOIN luns l ON l.id = se.lun_id JOIN gateways g ON g.id = l.gateway_id WHERE g.name = ? AND l.name = ? ORDER BY c.name`).all(ref.gatewayId, ref.lun) as StoredClass[];
}

/**
 * One class on one LUN in one interval. `iops` and `mbps` are the LUN's totals (every class on
 * it): the load the class's latency answers to. The percentiles are the class's worst active
 * pair's, as the analyzer judges a target (any pair over it is a violation); `classIops` and
 * `classMbps` the class's own traffic on the LUN.
 */
export interface ClassInterval extends LunInterval {
  classIops: number;
  classMbps: number;
}

/** A class's intervals on a LUN at one resolution, oldest first, over the LUN's active intervals. */
export function classIntervals(store: SlaStore, ref: Pick<LunRef, 'gatewayId' | 'lun'>, classId: number, resolution: Resolution): ClassInterval[] {
  const { table, time } = TABLES[resolution];
  const worst = (col: string): string => `coalesce(max(CASE WHEN s.iops >= @active THEN s.${col} END), 0) / 1000.0`;
  return store.db.prepare(`WITH lun AS (
      SELECT s.${time} AS t, sum(s.iops) AS iops, sum(s.mbps) AS mbps FROM ${table} s JOIN series se ON se.id = s.series_id
      WHERE se.lun_id = @lunId GROUP BY s.${time} HAVING sum(s.iops) >= @active)
    SELECT lun.t AS t, lun.iops AS iops, lun.mbps AS mbps, sum(s.iops) AS classIops, sum(s.mbps) AS classMbps,
      ${worst('p50_us')} AS p50Ms, ${worst('p95_us')} AS p95Ms, ${worst('p99_us')} AS p99Ms, sum(s.queue_depth) AS queueDepth
    FROM lun JOIN ${table} s ON s.${time} = lun.t JOIN series se ON se.id = s.series_id
    WHERE se.lun_id = @lunId AND se.class_id = @classId GROUP BY lun.t ORDER BY lun.t`).all({ lunId: lunDbId(store, ref), classId, active: ACTIVE_IOPS }) as ClassInterval[];
}

function lunDbId(store: SlaStore, ref: Pick<LunRef, 'gatewayId' | 'lun'>): number {
  const id = store.db.prepare('SELECT l.id FROM luns l JOIN gateways g ON g.id = l.gateway_id WHERE g.name = ? AND l.name = ?').pluck().get(ref.gatewayId, ref.lun) as number | undefined;
  if (id === undefined) throw new Error(`no LUN "${ref.lun}" on gateway ${ref.gatewayId}`);
  return id;
}
