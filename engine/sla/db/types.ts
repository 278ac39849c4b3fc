/** Shapes shared by the store (in the worker) and its clients. Plain data: they cross a MessagePort. */

export interface SeriesKey {
  gatewayId: string;
  host: string;
  lun: string;
  /** The class the pair was bound to when sampled; null when no binding matched. */
  className: string | null;
}

/** One host/LUN pair's statistics for one interval. Latencies in microseconds. */
export interface SampleRow extends SeriesKey {
  t: number;
  iops: number;
  mbps: number;
  p50Us: number;
  p95Us: number;
  p99Us: number;
  queueDepth: number;
}

export const VALUES_PER_SAMPLE = 6;

/**
 * A batch in columnar form, so a MessagePort moves three buffers instead of cloning objects.
 * Series are numbered by the sender; a number's key travels once, in the first batch using it.
 */
export interface PackedSamples {
  batchId: number;
  newSeries: { index: number; key: SeriesKey }[];
  count: number;
  t: Float64Array;
  series: Int32Array;
  /** count × 6: iops, mbps, p50Us, p95Us, p99Us, queueDepth. */
  values: Float64Array;
}

export interface ActionRecord {
  t: number;
  gatewayId: string;
  host: string;
  lun: string;
  className: string;
  kind: string;
  iopsLimit: number;
  mbpsLimit: number;
  previousIopsLimit: number;
  previousMbpsLimit: number;
  protects: string | null;
  reason: string;
}

export interface StoredAction extends ActionRecord {
  id: number;
  /** null until the gateway answered. */
  acked: boolean | null;
  ackReason: string | null;
}

export interface ViolationRecord {
  t: number;
  gatewayId: string;
  className: string;
  host: string;
  lun: string;
  measurement: string;
  observed: number;
  target: number;
  text: string;
}

export interface AlertRecord {
  t: number;
  severity: string;
  gatewayId: string;
  className: string;
  code: string;
  text: string;
}

export interface PolicyRecord {
  version: number;
  appliedAt: number;
  name: string;
  source: string;
  text: string;
}

export type Resolution = 'raw' | 'minute' | 'hour';

export interface ClassSeriesQuery {
  className: string;
  from: number;
  to: number;
  gatewayId?: string;
  /** Default: chosen from the range (raw up to 2 h, minutes up to 3 days, hours beyond). */
  resolution?: Resolution;
}

export interface ClassPoint {
  t: number;
  iops: number;
  mbps: number;
  p95Us: number;
  p99Us: number;
}

export interface TimelineQuery {
  from: number;
  to: number;
  gatewayId?: string;
  limit?: number;
}

export interface Timeline {
  actions: StoredAction[];
  violations: (ViolationRecord & { id: number })[];
  alerts: (AlertRecord & { id: number })[];
}

export interface GatewayLatest {
  gatewayId: string;
  address: string;
  lastSeen: number | null;
  iops: number;
  mbps: number;
  p99Us: number;
}

export interface RetentionPolicy {
  rawSamplesMs: number;
  minuteSamplesMs: number;
  hourSamplesMs: number;
  rawClassMs: number;
  minuteClassMs: number;
  hourClassMs: number;
  eventsMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  rawSamplesMs: 6 * 3600_000,
  minuteSamplesMs: 7 * 86400_000,
  hourSamplesMs: 400 * 86400_000,
  rawClassMs: 2 * 86400_000,
  minuteClassMs: 31 * 86400_000,
  hourClassMs: 400 * 86400_000,
  eventsMs: 400 * 86400_000,
};
