import type { AccessListWire, ConfigSetting, LunInfo, StatsBatch } from '../protocol/index.js';

/** Commands from the daemon's core to a shard, posted in one array per tick. */
export type ShardCommand =
  | { kind: 'poll'; cycle: number; intervalMs: number }
  | { kind: 'throttle'; gatewayId: string; reqId: number; host: string; lun: string; iopsLimit: number; mbpsLimit: number }
  | { kind: 'config'; gatewayId: string; reqId: number; settings: ConfigSetting[] }
  /** The policy's access lists for one gateway; answered, like config, by a configAck. */
  | { kind: 'access'; gatewayId: string; reqId: number; luns: AccessListWire[] }
  | { kind: 'dial'; gatewayId: string; host: string; port: number }
  | { kind: 'disconnect'; gatewayId: string; reason: string }
  | { kind: 'stop' };

/** Events from a shard to the core, posted in one array per tick. */
export type ShardEvent =
  | { kind: 'listening'; port: number }
  /** `update`: a registered gateway's new inventory (hosts or LUNs), not a new connection. */
  | { kind: 'registered'; gatewayId: string; luns: LunInfo[]; hosts: string[]; remote: string; update: boolean }
  | { kind: 'unregistered'; gatewayId: string; reason: string }
  | { kind: 'refused'; gatewayId: string; remote: string; reason: string }
  | { kind: 'dropped'; gatewayId: string; remote: string; reason: string }
  /** Poll replies, many gateways in one transferred buffer (see StatsBatch). */
  | { kind: 'stats'; batch: StatsBatch }
  | { kind: 'throttleAck'; gatewayId: string; reqId: number; ok: boolean; iopsLimit: number; mbpsLimit: number; reason: string }
  | { kind: 'configAck'; gatewayId: string; reqId: number; ok: boolean; reason: string }
  | { kind: 'alert'; gatewayId: string; severity: string; code: string; text: string; host: string; lun: string }
  /** A registered gateway over its rate: alerts dropped and inventory updates merged since the last report (at most one a second). */
  | { kind: 'rate-limited'; gatewayId: string; alertsDropped: number; inventoriesMerged: number }
  /** Connections closed at once because the table of unauthenticated handshakes was full. */
  | { kind: 'handshakes-full'; refused: number; limit: number }
  | { kind: 'counters'; framesIn: number; framesOut: number; writes: number; bytesOut: number };

export interface DaemonTls {
  key: string;
  cert: string;
  /** Trusted CA (PEM) for gateways the daemon dials; the system's CAs when absent. */
  ca?: string;
}

export interface ShardConfig {
  shardIndex: number;
  host: string;
  /** The secret of every gateway without its own entry in `secrets`. */
  secret: string | null;
  /** Per gateway id. A Map: ids come from peers, and a plain object answers `constructor`. */
  secrets: ReadonlyMap<string, string>;
  /** Connections not yet registered that a shard holds at once; more are closed on arrival. */
  maxHandshakes: number;
  /** Per registered gateway: alerts a second, sustained, and the burst allowed above that. */
  alertsPerSecond: number;
  alertBurst: number;
  /** Per registered gateway: inventory updates closer together than this are merged (the latest wins). */
  inventoryIntervalMs: number;
  maxPayloadBytes: number;
  /** Polls left unanswered in a row before a gateway is dropped as stalled. */
  stallPolls: number;
  handshakeTimeoutMs: number;
  /** Outbound bytes queued for one gateway before it is dropped as not reading. */
  maxQueuedBytes: number;
  /** Thread-per-agent baseline: one request in flight, one write per message, one post per reply. */
  lockStep: boolean;
  pollIntervalMs: number;
  /** TLS: key and certificate to accept with, CA to verify dialled gateways; null for plain TCP. */
  tls: DaemonTls | null;
  /** How long a shard may hold poll replies to post them together (0: post every tick). */
  inboundCoalesceMs: number;
}
