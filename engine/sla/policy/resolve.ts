import type { AccessEntry, Binding, GatewayEntry, PolicyDocument, Rate } from './schema.js';

export type AlertLevel = 'none' | 'info' | 'warning' | 'critical';

/** Both dimensions of a rate; 0 means "no bound" for limits and "none" for floors and reservations. */
export interface RatePair {
  iops: number;
  mbps: number;
}

/** A service class with every default filled in. */
export interface ResolvedClass {
  name: string;
  description: string;
  priority: number;
  weight: number;
  throttleable: boolean;
  reservation: RatePair;
  limit: RatePair;
  floor: RatePair;
  latencyTarget: { percentile: 'p95' | 'p99'; ms: number } | null;
}

/** A valid policy, ready for the analyzer and the daemon. */
export interface Policy {
  name: string;
  pollIntervalMs: number;
  classes: ResolvedClass[];
  bindings: Binding[];
  gateways: GatewayEntry[];
  /** Per-LUN access lists for the gateways (accessListsFor gives one gateway's). */
  access: AccessEntry[];
  atRisk: { throttleLowerClasses: boolean; alert: AlertLevel; restoreBelow: number; restoreAfterIntervals: number };
  /** The document as written (after YAML parsing). */
  document: PolicyDocument;
}

export const DEFAULT_RESTORE_BELOW = 0.7;
export const DEFAULT_RESTORE_AFTER_INTERVALS = 2;

export function ratePair(rate: Rate | undefined): RatePair {
  return { iops: rate?.iops ?? 0, mbps: rate?.mbps ?? 0 };
}

export function resolvePolicy(document: PolicyDocument): Policy {
  return {
    name: document.name ?? 'unnamed policy',
    pollIntervalMs: document.pollIntervalMs,
    classes: document.classes.map((c) => ({
      name: c.name,
      description: c.description ?? '',
      priority: c.priority,
      weight: c.weight ?? 1,
      throttleable: c.throttleable ?? false,
      reservation: ratePair(c.reservation),
      limit: ratePair(c.limit),
      floor: ratePair(c.floor),
      latencyTarget: c.latencyTarget ? { percentile: c.latencyTarget.percentile, ms: c.latencyTarget.ms } : null,
    })),
    bindings: document.bindings,
    gateways: document.gateways,
    access: document.access ?? [],
    atRisk: {
      throttleLowerClasses: document.atRisk?.throttleLowerClasses ?? true,
      alert: document.atRisk?.alert ?? 'warning',
      restoreBelow: document.atRisk?.restoreBelow ?? DEFAULT_RESTORE_BELOW,
      restoreAfterIntervals: document.atRisk?.restoreAfterIntervals ?? DEFAULT_RESTORE_AFTER_INTERVALS,
    },
    document,
  };
}

/**
 * The class of one host's traffic to one LUN on one gateway: the most specific binding wins
 * (a named LUN beats "every LUN", a named gateway beats "every gateway"); among equally
 * specific ones, the first written.
 */
export function classOf(policy: Policy, gatewayId: string, host: string, lun: string): ResolvedClass | undefined {
  let best: Binding | undefined;
  let bestScore = -1;
  for (const b of policy.bindings) {
    if (b.host !== host) continue;
    if (b.lun !== undefined && b.lun !== lun) continue;
    if (b.gateway !== undefined && b.gateway !== gatewayId) continue;
    const score = (b.lun !== undefined ? 2 : 0) + (b.gateway !== undefined ? 1 : 0);
    if (score > bestScore) { best = b; bestScore = score; }
  }
  return best ? policy.classes.find((c) => c.name === best.class) : undefined;
}
