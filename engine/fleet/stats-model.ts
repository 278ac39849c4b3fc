import type { StatsEntry } from '../protocol/index.js';

/** Deterministic 32-bit mixing, so a gateway's traffic is reproducible from its index and poll count. */
function mix(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x165667b1, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d) >>> 0;
  h ^= h >>> 12;
  return (h >>> 0) / 0x100000000;
}

/**
 * Plausible per host/LUN statistics: a steady base load per pair, some noise per interval, and
 * latency from queue depth by Little's law (latency = queue depth / IOPS) with a right-skewed tail.
 */
export function simulatedStats(gatewayIndex: number, pollCount: number, hosts: readonly string[], luns: readonly string[]): StatsEntry[] {
  const entries: StatsEntry[] = [];
  let k = 0;
  for (const host of hosts) {
    for (const lun of luns) {
      const base = 500 + 4500 * mix(gatewayIndex, k);
      const iops = Math.round(base * (0.8 + 0.4 * mix(gatewayIndex * 7919 + k, pollCount)));
      const queueDepth = Math.round((1 + 15 * mix(gatewayIndex + 31 * k, pollCount + 1)) * 10) / 10;
      const p50 = (queueDepth / iops) * 1e6;
      entries.push({
        host,
        lun,
        iops,
        mbps: Math.round(iops * 16 / 1024 * 100) / 100, // 16 KiB average transfer
        latencyP50Us: Math.round(p50),
        latencyP95Us: Math.round(p50 * 2.2),
        latencyP99Us: Math.round(p50 * 4.5),
        queueDepth,
      });
      k++;
    }
  }
  return entries;
}
