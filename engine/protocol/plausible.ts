import type { StatsEntry } from './messages.js';

/**
 * Upper bounds no real host/LUN pair reaches in one interval. A figure outside them, or below
 * zero, is a gateway lying (or broken), and the analyzer must never compute caps from it: a
 * cap derived from 1e300 IOPS is not a number the wire can carry.
 */
export const STATS_BOUNDS = {
  iops: 1e9,
  mbps: 1e8,
  /** An hour, in microseconds. */
  latencyUs: 3.6e9,
  queueDepth: 1e7,
} as const;

const fields: ReadonlyArray<readonly [keyof StatsEntry, number]> = [
  ['iops', STATS_BOUNDS.iops],
  ['mbps', STATS_BOUNDS.mbps],
  ['latencyP50Us', STATS_BOUNDS.latencyUs],
  ['latencyP95Us', STATS_BOUNDS.latencyUs],
  ['latencyP99Us', STATS_BOUNDS.latencyUs],
  ['queueDepth', STATS_BOUNDS.queueDepth],
];

/**
 * Why a stats reply cannot be true, naming the entry and the field; null when it could be.
 * The decoder already refused what is not a finite number; this refuses what is not a fact:
 * negative or absurd figures, percentiles out of order, one host/LUN pair reported twice.
 */
export function implausibleStats(entries: readonly StatsEntry[]): string | null {
  const seen = new Set<string>();
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    for (const [field, max] of fields) {
      const value = e[field] as number;
      if (!(value >= 0 && value <= max)) return `entries[${i}].${field} is ${value} (host ${e.host}, LUN ${e.lun}); it must lie in 0..${max}`;
    }
    if (e.latencyP50Us > e.latencyP95Us || e.latencyP95Us > e.latencyP99Us) {
      return `entries[${i}] (host ${e.host}, LUN ${e.lun}) has its latency percentiles out of order: p50 ${e.latencyP50Us}, p95 ${e.latencyP95Us}, p99 ${e.latencyP99Us} µs`;
    }
    const key = `${e.host}\u0000${e.lun}`;
    if (seen.has(key)) return `entries[${i}] reports host ${e.host} on LUN ${e.lun} a second time`;
    seen.add(key);
  }
  return null;
}
