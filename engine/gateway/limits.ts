import type { Logger } from '../runtime/index.js';

/**
 * The gateway's resource bounds against hostile or faulty clients. Each has a default and
 * a `headroom gateway` flag; hitting one logs a line (see BoundNotices).
 */
export interface ConnectionLimits {
  /** Option data up to this is read and answered; more gets NBD_REP_ERR_TOO_BIG and is skipped. */
  readonly maxOptionBytes: number;
  /** Option data over this ends the connection at once, as nbdkit does (its limit: 64 MiB). */
  readonly maxDiscardBytes: number;
  /** From accept to transmission (TLS included); a client slower than this is disconnected. */
  readonly handshakeTimeoutMs: number;
  /** Connections at once, handshaking or transmitting. */
  readonly maxConnections: number;
  /** Transmitting connections at once of one host. */
  readonly maxConnectionsPerHost: number;
  /** Hosts in the statistics and throttle tables at once; a new host beyond it is refused. */
  readonly maxHosts: number;
  /** A host (or host/LUN pair) with no connection and no I/O for this many intervals leaves the tables. */
  readonly hostIdleIntervals: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = {
  maxOptionBytes: 64 * 1024,
  maxDiscardBytes: 64 * 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  maxConnections: 1024,
  maxConnectionsPerHost: 128,
  maxHosts: 1024,
  hostIdleIntervals: 3,
};

/** An upstream request unanswered this long fails with EIO (`--upstream-timeout`); here, beside the other bounds, so the CLI's help shows it without loading the gateway. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 30_000;

export type BoundName = keyof ConnectionLimits;

/**
 * One log line per bound when it is hit; under a flood, at most one line per bound per
 * `everyMs`, saying how many further hits it stands for, so the log cannot be flooded.
 */
export class BoundNotices {
  private readonly last = new Map<BoundName, { at: number; suppressed: number }>();

  constructor(private readonly logger: Logger | undefined, private readonly everyMs = 10_000, private readonly now: () => number = Date.now) {}

  hit(bound: BoundName, fields: Record<string, unknown>, message: string): void {
    const t = this.now();
    const seen = this.last.get(bound);
    if (seen && t - seen.at < this.everyMs) { seen.suppressed++; return; }
    const suppressed = seen?.suppressed ?? 0;
    this.last.set(bound, { at: t, suppressed: 0 });
    this.logger?.warn({ bound, ...fields }, suppressed > 0 ? `${message} (and ${suppressed} more times since the last such line)` : message);
  }
}
