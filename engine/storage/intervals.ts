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
