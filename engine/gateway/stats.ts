import { build, type Histogram } from 'hdr-histogram-js';

export interface LatencySummary {
  readonly count: number;
  /** Microseconds. */
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export type StatsKind = 'host' | 'lun' | 'pair';

/** One host's, one LUN's, or one host's I/O to one LUN ("pair"), over one interval. */
export interface IntervalStats {
  readonly kind: StatsKind;
  /** The host, the LUN, or HOST/LUN for a pair. */
  readonly name: string;
  /** The host and LUN the figures cover ('' when they cover all hosts or all LUNs). */
  readonly host: string;
  readonly lun: string;
  /** Wall-clock start of the interval (ms since the epoch) and its length in seconds. */
  readonly startedAt: number;
  readonly seconds: number;
  readonly readIops: number;
  readonly writeIops: number;
  /** Flushes, trims, write-zeroes. */
  readonly otherIops: number;
  readonly readMBps: number;
  readonly writeMBps: number;
  readonly readLatencyUs: LatencySummary;
  readonly writeLatencyUs: LatencySummary;
  /** Reads and writes together. */
  readonly latencyUs: LatencySummary;
  /** Requests in the gateway (waiting or at the backend): mean seen by arrivals, and maximum. */
  readonly queueDepthMean: number;
  readonly queueDepthMax: number;
  readonly errors: number;
  /** Requests that waited at a throttle. */
  readonly throttled: number;
}

/**
 * Upper bounds, in microseconds, of the latency buckets each pair counts its I/O in since the
 * gateway started (what /metrics serves as Prometheus histograms; the interval HDR histograms
 * reset at every roll, so they cannot).
 */
export const LATENCY_BUCKET_BOUNDS_US: readonly number[] = [
  50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000, 2_000_000, 5_000_000,
];

/** One pair's reads or writes since the gateway started: per-bucket counts (the last past every bound) and sum. */
export interface LifetimeLatency {
  readonly buckets: ArrayLike<number>;
  readonly sumUs: number;
}

/** A pair's counts since the gateway started; they only grow (Prometheus counters). */
export interface LifetimeStats {
  readonly readOps: number;
  readonly writeOps: number;
  readonly otherOps: number;
  readonly readBytes: number;
  readonly writeBytes: number;
  readonly errors: number;
  readonly throttled: number;
  readonly read: LifetimeLatency;
  readonly write: LifetimeLatency;
}

class LifetimeCounts implements LifetimeStats {
  readOps = 0;
  writeOps = 0;
  otherOps = 0;
  readBytes = 0;
  writeBytes = 0;
  errors = 0;
  throttled = 0;
  readonly read = { buckets: new Float64Array(LATENCY_BUCKET_BOUNDS_US.length + 1), sumUs: 0 };
  readonly write = { buckets: new Float64Array(LATENCY_BUCKET_BOUNDS_US.length + 1), sumUs: 0 };
}

function countLatency(into: { buckets: Float64Array; sumUs: number }, us: number): void {
  let i = 0;
  while (i < LATENCY_BUCKET_BOUNDS_US.length && us > LATENCY_BUCKET_BOUNDS_US[i]!) i++;
  into.buckets[i]!++;
  into.sumUs += us;
}

function newHistogram(): Histogram {
  // Microseconds up to one minute, 2 significant digits: enough for p99 and small enough to reset cheaply.
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 2, autoResize: false });
}

function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  return {
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    max: h.maxValue,
  };
}

const MAX_TRACKED_US = 60_000_000;

/**
 * Counters and latency histograms of one host, LUN or host/LUN pair. The per-I/O calls do
 * not allocate. Only pairs record latencies per I/O; hosts and LUNs track their own queue
 * depth and `absorb` their pairs' counters and histograms when the interval closes, so an
 * I/O costs one histogram update, not three.
 */
export class EntityStats {
  private readOps = 0;
  private writeOps = 0;
  private otherOps = 0;
  private readBytes = 0;
  private writeBytes = 0;
  private errors = 0;
  private throttled = 0;
  private depthSum = 0;
  private arrivals = 0;
  private depthMax = 0;
  inFlight = 0;
  private readonly readLatency = newHistogram();
  private readonly writeLatency = newHistogram();
  private combined: Histogram | null = null;
  private startedAt: number;
  private startedMono: number;
  private readonly counts = new LifetimeCounts();
  /** A request arrived since the host table last looked (it clears this when it ages idle hosts out). */
  touched = false;

  constructor(readonly kind: StatsKind, readonly host: string, readonly lun: string, now: { wall: number; mono: number }) {
    this.startedAt = now.wall;
    this.startedMono = now.mono;
  }

  arrive(): void {
    this.touched = true;
    this.inFlight++;
    this.arrivals++;
    this.depthSum += this.inFlight;
    if (this.inFlight > this.depthMax) this.depthMax = this.inFlight;
  }

  noteThrottled(): void {
    this.throttled++;
    this.counts.throttled++;
  }

  /** Everything counted since the gateway started (pairs only: hosts and LUNs absorb intervals). */
  get lifetime(): LifetimeStats {
    return this.counts;
  }

  /** Depth tracking only (hosts and LUNs); the pair records the I/O itself. */
  leave(): void {
    this.inFlight--;
  }

  /** `latencyUs` from arrival to completion, throttle wait included (what the client saw). */
  complete(isRead: boolean, isWrite: boolean, bytes: number, latencyUs: number, failed: boolean): void {
    this.inFlight--;
    const life = this.counts;
    if (failed) { this.errors++; life.errors++; return; }
    const us = latencyUs < 1 ? 1 : latencyUs > MAX_TRACKED_US ? MAX_TRACKED_US : Math.round(latencyUs);
    if (isRead) {
      this.readOps++;
      this.readBytes += bytes;
      this.readLatency.recordValue(us);
      life.readOps++;
      life.readBytes += bytes;
      countLatency(life.read, us);
    } else if (isWrite) {
      this.writeOps++;
      this.writeBytes += bytes;
      this.writeLatency.recordValue(us);
      life.writeOps++;
      life.writeBytes += bytes;
      countLatency(life.write, us);
    } else {
      this.otherOps++;
      life.otherOps++;
    }
  }

  /** A request refused before reaching the backend (past the end, read-only, unknown). */
  reject(): void {
    this.touched = true;
    this.errors++;
    this.counts.errors++;
  }

  /** Add a pair's counts and latencies of the current interval (call before either `take`). */
  absorb(pair: EntityStats): void {
    this.readOps += pair.readOps;
    this.writeOps += pair.writeOps;
    this.otherOps += pair.otherOps;
    this.readBytes += pair.readBytes;
    this.writeBytes += pair.writeBytes;
    this.errors += pair.errors;
    this.throttled += pair.throttled;
    if (pair.readLatency.totalCount > 0) this.readLatency.add(pair.readLatency);
    if (pair.writeLatency.totalCount > 0) this.writeLatency.add(pair.writeLatency);
  }

  take(now: { wall: number; mono: number }): IntervalStats {
    const seconds = Math.max(1e-9, (now.mono - this.startedMono) / 1000);
    const combined = this.combined ?? (this.combined = newHistogram());
    combined.reset();
    if (this.readLatency.totalCount > 0) combined.add(this.readLatency);
    if (this.writeLatency.totalCount > 0) combined.add(this.writeLatency);
    const out: IntervalStats = {
      kind: this.kind,
      name: this.kind === 'pair' ? `${this.host}/${this.lun}` : this.kind === 'host' ? this.host : this.lun,
      host: this.host,
      lun: this.lun,
      startedAt: this.startedAt,
      seconds,
      readIops: this.readOps / seconds,
      writeIops: this.writeOps / seconds,
      otherIops: this.otherOps / seconds,
      readMBps: this.readBytes / 1e6 / seconds,
      writeMBps: this.writeBytes / 1e6 / seconds,
      readLatencyUs: summarize(this.readLatency),
      writeLatencyUs: summarize(this.writeLatency),
      latencyUs: summarize(combined),
      queueDepthMean: this.arrivals === 0 ? 0 : this.depthSum / this.arrivals,
      queueDepthMax: this.depthMax,
      errors: this.errors,
      throttled: this.throttled,
    };
    this.readOps = this.writeOps = this.otherOps = this.readBytes = this.writeBytes = 0;
    this.errors = this.throttled = this.depthSum = this.arrivals = 0;
    this.depthMax = this.inFlight;
    this.readLatency.reset();
    this.writeLatency.reset();
    this.startedAt = now.wall;
    this.startedMono = now.mono;
    return out;
  }
}
