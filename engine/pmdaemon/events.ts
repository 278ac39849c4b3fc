import type { LunInfo } from '../protocol/index.js';
import type { ShardEvent } from './mailbox.js';
import type { CycleResult } from './poll-scheduler.js';

/** What the daemon tells its listeners (the SLA server, the bench, tests). Tagged by `kind`, as every event union here. */
export type DaemonEvent =
  | Exclude<ShardEvent, { kind: 'listening' } | { kind: 'counters' } | { kind: 'stats' }>
  | { kind: 'cycle'; result: CycleResult }
  | { kind: 'thread-limit'; gatewayId: string; reason: string }
  | { kind: 'thread-failed'; reason: string }
  /** Refusals and drops of peers that never authenticated, beyond the first few a second, counted instead of reported one by one. */
  | { kind: 'unauthenticated-suppressed'; count: number };

export interface ThrottleRequest {
  host: string;
  lun: string;
  iopsLimit: number;
  mbpsLimit: number;
}
export interface ThrottleAck extends ThrottleRequest {
  gatewayId: string;
  ok: boolean;
  reason: string;
}

export interface RegisteredGateway {
  gatewayId: string;
  luns: LunInfo[];
  hosts: string[];
  remote: string;
}

export interface DaemonCounters {
  framesIn: number;
  framesOut: number;
  writes: number;
  bytesOut: number;
}
