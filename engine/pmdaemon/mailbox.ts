import type { ConfigSetting, LunInfo, StatsBatch } from '../protocol/index.js';

/** Commands from the daemon's core to a shard, posted in one array per tick. */
export type ShardCommand =
  | { k: 'poll'; cycle: number; intervalMs: number }
  | { k: 'throttle'; gatewayId: string; reqId: number; host: string; lun: string; iopsLimit: number; mbpsLimit: number }
  | { k: 'config'; gatewayId: string; reqId: number; settings: ConfigSetting[] }
  | { k: 'dial'; gatewayId: string; host: string; port: number }
  | { k: 'disconnect'; gatewayId: string; reason: string }
  | { k: 'stop' };

/** Events from a shard to the core, posted in one array per tick. */
export type ShardEvent =
  | { k: 'listening'; port: number }
  /** `update`: a registered gateway's new inventory (hosts or LUNs), not a new connection. */
  | { k: 'registered'; gatewayId: string; luns: LunInfo[]; hosts: string[]; remote: string; update: boolean }
  | { k: 'unregistered'; gatewayId: string; reason: string }
  | { k: 'refused'; gatewayId: string; remote: string; reason: string }
  | { k: 'dropped'; gatewayId: string; remote: string; reason: string }
  /** Poll replies, many gateways in one transferred buffer (see StatsBatch). */
  | { k: 'stats'; batch: StatsBatch }
  | { k: 'throttleAck'; gatewayId: string; reqId: number; ok: boolean; iopsLimit: number; mbpsLimit: number; reason: string }
  | { k: 'configAck'; gatewayId: string; reqId: number; ok: boolean; reason: string }
  | { k: 'alert'; gatewayId: string; severity: string; code: string; text: string; host: string; lun: string }
  | { k: 'counters'; framesIn: number; framesOut: number; writes: number; bytesOut: number };

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
  secrets: Record<string, string>;
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
