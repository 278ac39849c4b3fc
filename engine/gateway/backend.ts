import type { BlockSizeConstraints } from './export-capabilities.js';

/**
 * One I/O handed to a backend. The gateway pools these objects per connection,
 * so backends must call `complete` exactly once and keep no reference afterwards.
 */
export interface BackendIo {
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly length: number;
  /** Write data; null for other commands. */
  readonly payload: Buffer | null;
  /**
   * `errno` is an NBD error value (0 for success); `data` is the read result or, for
   * NBD_CMD_BLOCK_STATUS, base:allocation descriptors: big-endian u32 (length, flags) pairs.
   */
  complete(errno: number, data: Buffer | null): void;
}

/** `degraded`: reachable but failing requests (an upstream that stopped answering in time). */
export type BackendHealth =
  | { readonly state: 'up' }
  | { readonly state: 'down' | 'degraded'; readonly reason: string };

/** Storage behind a virtual LUN: a local file or an upstream NBD server. */
export interface BlockBackend {
  /** `file:PATH` or `nbd://HOST:PORT/EXPORT`, for logs and alerts. */
  readonly location: string;
  readonly size: number;
  /** NBD transmission flags describing what this backend supports (READ_ONLY, SEND_FLUSH, ...). */
  readonly transmissionFlags: number;
  /** Largest read or write the backend accepts in one request. */
  readonly maxPayload: number;
  /** False while the backend has never reached its storage (size and flags unknown); absent means ready. */
  readonly ready?: boolean;
  /** Size and alignment constraints the backend imposes (an upstream's NBD_INFO_BLOCK_SIZE). */
  readonly blockSize?: BlockSizeConstraints;
  /**
   * How BLOCK_STATUS answers: 'exact' finds holes; 'all-data' reports every extent as data
   * (correct, only less useful: clients copy the zeroes). Absent means 'all-data'.
   */
  readonly allocation?: 'exact' | 'all-data';
  submit(io: BackendIo): void;
  /** Called when the backend fails or recovers (the control agent turns failures into alerts). */
  onHealth(listener: (health: BackendHealth) => void): void;
  close(): Promise<void>;
}
