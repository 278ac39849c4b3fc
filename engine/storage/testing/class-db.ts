import { writeSyntheticDb } from './synthetic-db.js';
import { uniform } from './uniform.js';

/**
 * Synthetic SLA databases with service classes of known targets on a LUN of known queue:
 * 1000 IOPS, 1 ms mean service at no load. Under M/M/1 a class's target T at quantile q is
 * crossed at the LUN load X = C·(1 + ln(1 − q)·S/T).
 */
export const CLASS_LUN = { capacityIops: 1000, serviceMs: 1 } as const;

export const crossingAt = (q: number, targetMs: number): number => CLASS_LUN.capacityIops * (1 + (Math.log(1 - q) * CLASS_LUN.serviceMs) / targetMs);

/** Gold (p99 ≤ `gold` ms) and silver (p95 ≤ `silver` ms) protected; bronze, with no target, may be throttled down to its floor. */
export const threeClassPolicy = (gold: number, silver: number, bronzeFloor = 25): string => `version: 1
name: three-classes
pollIntervalMs: 1000
classes:
  - name: gold
    priority: 1
    latencyTarget: { percentile: p99, ms: ${gold} }
  - name: silver
    priority: 2
    latencyTarget: { percentile: p95, ms: ${silver} }
  - name: bronze
    priority: 3
    throttleable: true
    floor: { iops: ${bronzeFloor}, mbps: ${(bronzeFloor * 4096) / 1e6} }
bindings:
  - { host: gold-app, class: gold }
  - { host: silver-app, class: silver }
  - { host: bronze-app, class: bronze }
gateways: []
`;

/**
 * 30 days of hours on gw1/lun0 under threeClassPolicy(20, 10): gold steady at 150 IOPS, silver at
 * 100, bronze growing from 200 by 6 IOPS a day, each ±10% per hour. The LUN's total grows
 * 450 + 6·day: it meets silver's load at target (700.4 IOPS) on day 41.7 and gold's (769.7) on day 53.3.
 */
export function writeGrowingClassesDb(file: string, start: number): void {
  const noise = uniform(17);
  const jitter = (): number => 0.9 + 0.2 * noise();
  writeSyntheticDb({
    file, start, stepMs: 3_600_000, intervals: 30 * 24, noise: 0.05, policy: threeClassPolicy(20, 10), luns: [{
      gatewayId: 'gw1', lun: 'lun0', ...CLASS_LUN, hosts: [
        { host: 'gold-app', demand: () => 150 * jitter() },
        { host: 'silver-app', demand: () => 100 * jitter() },
        { host: 'bronze-app', demand: (i) => (200 + (6 * i) / 24) * jitter() },
      ],
    }],
  });
}
