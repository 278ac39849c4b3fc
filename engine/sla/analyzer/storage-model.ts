import type { StatsEntry } from '../../protocol/index.js';
import type { GatewayStats, PairCap } from './analyzer.js';

/**
 * A small storage model for driving the analyzer without gateways: each gateway's backend has a
 * capacity in IOPS shared by its hosts in proportion to what they offer, and latency grows with
 * utilisation as in an M/M/1 queue (p = −ln(1 − q) · S / (1 − u)). Deterministic: noise comes
 * from a seeded generator.
 */
export interface ModelPair {
  gatewayId: string;
  host: string;
  lun: string;
  /** IOPS the application would issue with no cap. */
  demandIops: number;
  /** Megabytes per I/O (0.004 for 4 KiB). */
  mbPerIo: number;
}

export interface ModelBackend {
  capacityIops: number;
  /** Mean service time in ms at zero load. */
  serviceMs: number;
}

export interface StorageModel {
  backends: Readonly<Record<string, ModelBackend>>;
  /** Relative noise on the reported latency and throughput (0.05 = ±5%). */
  noise?: number;
  seed?: number;
}

const MAX_UTILISATION = 0.995;

export function modelInterval(model: StorageModel, pairs: readonly ModelPair[], caps: readonly PairCap[], interval: number): GatewayStats[] {
  const rand = mulberry32(((model.seed ?? 1) * 2654435761 + interval * 40503) >>> 0);
  const jitter = (): number => 1 + (model.noise ?? 0) * (rand() * 2 - 1);
  const byGateway = new Map<string, ModelPair[]>();
  for (const p of pairs) byGateway.set(p.gatewayId, [...(byGateway.get(p.gatewayId) ?? []), p]);
  const out: GatewayStats[] = [];
  for (const [gatewayId, list] of [...byGateway.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const backend = model.backends[gatewayId];
    if (!backend) throw new Error(`no backend for gateway ${gatewayId}`);
    const offered = list.map((p) => {
      const cap = caps.find((c) => c.gatewayId === gatewayId && c.host === p.host && c.lun === p.lun);
      let o = p.demandIops;
      if (cap && cap.iopsLimit > 0) o = Math.min(o, cap.iopsLimit);
      if (cap && cap.mbpsLimit > 0 && p.mbPerIo > 0) o = Math.min(o, cap.mbpsLimit / p.mbPerIo);
      return o;
    });
    const total = offered.reduce((s, o) => s + o, 0);
    const scale = total > backend.capacityIops ? backend.capacityIops / total : 1;
    const u = Math.min(MAX_UTILISATION, total / backend.capacityIops);
    const meanMs = backend.serviceMs / (1 - u);
    const entries: StatsEntry[] = list.map((p, i) => {
      const iops = offered[i]! * scale * jitter();
      const lat = meanMs * jitter();
      return {
        host: p.host,
        lun: p.lun,
        iops,
        mbps: iops * p.mbPerIo,
        latencyP50Us: Math.LN2 * lat * 1000,
        latencyP95Us: -Math.log(0.05) * lat * 1000,
        latencyP99Us: -Math.log(0.01) * lat * 1000,
        // As the gateway reports it: the mean depth seen by arrivals, the arrival included
        // (PASTA: 1 + the time-average of Little's law).
        queueDepth: 1 + (iops * lat) / 1000,
      };
    });
    out.push({ gatewayId, entries });
  }
  return out;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
