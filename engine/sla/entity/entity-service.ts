import type { LunInfo, StatsEntry } from '../../protocol/index.js';

export type GatewayState = 'registered' | 'polled' | 'late' | 'disconnected';

export interface GatewayEntity {
  gatewayId: string;
  state: GatewayState;
  remote: string;
  luns: LunInfo[];
  hosts: string[];
  registeredAt: number | null;
  /** Time of the last statistics reply (ms since the epoch), null before the first. */
  lastPollAt: number | null;
  intervalMs: number;
  entries: StatsEntry[];
}

/** Aggregated over every LUN of a host or every host of a LUN on one gateway. */
export interface AggregateEntity {
  gatewayId: string;
  name: string;
  at: number;
  iops: number;
  mbps: number;
  /** The worst pair's percentiles: percentiles do not add, and the worst is what an SLA sees. */
  latencyP50Us: number;
  latencyP95Us: number;
  latencyP99Us: number;
  queueDepth: number;
}

export interface EntitySnapshot {
  gateways: GatewayEntity[];
  hosts: AggregateEntity[];
  luns: AggregateEntity[];
}

/**
 * The latest statistics of every gateway, host and LUN, in memory. Fed by the daemon's events
 * (registration, stats replies, late replies, disconnects); read by the Monitor and the RPC.
 */
export class EntityService {
  private readonly gateways = new Map<string, GatewayEntity>();
  private hostAggregates = new Map<string, AggregateEntity>();
  private lunAggregates = new Map<string, AggregateEntity>();

  registered(gatewayId: string, info: { luns: LunInfo[]; hosts: string[]; remote?: string }, at: number): void {
    const existing = this.gateways.get(gatewayId);
    this.gateways.set(gatewayId, {
      gatewayId, state: 'registered', remote: info.remote ?? existing?.remote ?? '', luns: [...info.luns], hosts: [...info.hosts],
      registeredAt: at, lastPollAt: existing?.lastPollAt ?? null, intervalMs: existing?.intervalMs ?? 0, entries: existing?.entries ?? [],
    });
  }

  /** A registered gateway's new inventory: hosts and LUNs change, its state and statistics do not. */
  inventory(gatewayId: string, info: { luns: LunInfo[]; hosts: string[] }): void {
    const gw = this.gateways.get(gatewayId);
    if (!gw) return;
    gw.luns = [...info.luns];
    gw.hosts = [...info.hosts];
  }

  stats(gatewayId: string, intervalMs: number, entries: readonly StatsEntry[], at: number): void {
    const gw = this.gateways.get(gatewayId) ?? {
      gatewayId, state: 'polled' as GatewayState, remote: '', luns: [], hosts: [], registeredAt: null, lastPollAt: null, intervalMs, entries: [],
    };
    gw.state = 'polled';
    gw.lastPollAt = at;
    gw.intervalMs = intervalMs;
    gw.entries = entries.map((e) => ({ ...e }));
    this.gateways.set(gatewayId, gw);
    for (const key of [...this.hostAggregates.keys()]) if (key.startsWith(`${gatewayId}\u0000`)) this.hostAggregates.delete(key);
    for (const key of [...this.lunAggregates.keys()]) if (key.startsWith(`${gatewayId}\u0000`)) this.lunAggregates.delete(key);
    for (const e of entries) {
      merge(this.hostAggregates, gatewayId, e.host, e, at);
      merge(this.lunAggregates, gatewayId, e.lun, e, at);
    }
  }

  setState(gatewayId: string, state: GatewayState): void {
    const gw = this.gateways.get(gatewayId);
    if (gw) gw.state = state;
  }

  gateway(gatewayId: string): GatewayEntity | undefined {
    const gw = this.gateways.get(gatewayId);
    return gw ? structuredClone(gw) : undefined;
  }

  host(gatewayId: string, host: string): AggregateEntity | undefined {
    const a = this.hostAggregates.get(`${gatewayId}\u0000${host}`);
    return a ? { ...a } : undefined;
  }

  lun(gatewayId: string, lun: string): AggregateEntity | undefined {
    const a = this.lunAggregates.get(`${gatewayId}\u0000${lun}`);
    return a ? { ...a } : undefined;
  }

  /** Every gateway's latest statistics, as the analyzer takes them. */
  latestStats(): { gatewayId: string; entries: StatsEntry[] }[] {
    return [...this.gateways.values()].sort((a, b) => a.gatewayId.localeCompare(b.gatewayId)).map((g) => ({ gatewayId: g.gatewayId, entries: g.entries.map((e) => ({ ...e })) }));
  }

  snapshot(): EntitySnapshot {
    const sorted = <T extends { gatewayId: string; name?: string }>(list: Iterable<T>): T[] =>
      [...list].sort((a, b) => a.gatewayId.localeCompare(b.gatewayId) || (a.name ?? '').localeCompare(b.name ?? ''));
    return {
      gateways: sorted([...this.gateways.values()].map((g) => structuredClone(g))),
      hosts: sorted([...this.hostAggregates.values()].map((a) => ({ ...a }))),
      luns: sorted([...this.lunAggregates.values()].map((a) => ({ ...a }))),
    };
  }

  forget(gatewayId: string): void {
    this.gateways.delete(gatewayId);
    for (const key of [...this.hostAggregates.keys()]) if (key.startsWith(`${gatewayId}\u0000`)) this.hostAggregates.delete(key);
    for (const key of [...this.lunAggregates.keys()]) if (key.startsWith(`${gatewayId}\u0000`)) this.lunAggregates.delete(key);
  }
}

function merge(into: Map<string, AggregateEntity>, gatewayId: string, name: string, e: StatsEntry, at: number): void {
  const key = `${gatewayId}\u0000${name}`;
  const a = into.get(key);
  if (!a) {
    into.set(key, { gatewayId, name, at, iops: e.iops, mbps: e.mbps, latencyP50Us: e.latencyP50Us, latencyP95Us: e.latencyP95Us, latencyP99Us: e.latencyP99Us, queueDepth: e.queueDepth });
    return;
  }
  a.iops += e.iops;
  a.mbps += e.mbps;
  a.latencyP50Us = Math.max(a.latencyP50Us, e.latencyP50Us);
  a.latencyP95Us = Math.max(a.latencyP95Us, e.latencyP95Us);
  a.latencyP99Us = Math.max(a.latencyP99Us, e.latencyP99Us);
  a.queueDepth += e.queueDepth;
}
