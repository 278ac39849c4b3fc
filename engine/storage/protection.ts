import { modelInterval, PerformanceAnalyzer, type AnalysisResult, type ModelPair, type Policy, type StorageModel as AnalyzerStorageModel } from '../sla/index.js';

/**
 * Would protecting a class need throttling of lower classes, and what would they keep? The
 * analyzer's own control law (PerformanceAnalyzer, the code the SLA server runs) is run in closed
 * loop against the analyzer's storage model set to the fitted LUN: its capacity, and the service
 * time the fit's unloaded latency implies. The loop runs until the caps have settled; what each
 * class gets then is the answer. Nothing of the law is re-implemented here.
 */

export interface ClassDemand {
  className: string;
  /** IOPS the class's hosts would issue on this LUN with no cap. */
  iops: number;
  /** Bytes per I/O (floors and limits in MB/s act through it). */
  ioBytes: number;
}

export interface ProtectionQuery {
  policy: Policy;
  /** Where the policy came from, for errors. */
  policyFile: string;
  capacityIops: number;
  /** Mean service time at no load, ms (the M/M/1 model: mean latency = S / (1 − ρ)). */
  serviceMs: number;
  demands: readonly ClassDemand[];
  intervals?: number;
}

export interface ClassOutcome {
  className: string;
  priority: number;
  throttleable: boolean;
  demandIops: number;
  /** Mean over the settled intervals. */
  gotIops: number;
  /** The cap in force at the end (null: none). */
  capIops: number | null;
  floorIops: number;
  atFloor: boolean;
  /** Share of its demand the class gives up, %. */
  throttledPercent: number;
  targetMs: number | null;
  percentile: 'p95' | 'p99' | null;
  /** Its target percentile without control, and settled under control (ms). */
  uncontrolledMs: number | null;
  settledMs: number | null;
  meetsTarget: boolean | null;
}

export interface ProtectionResult {
  needsThrottling: boolean;
  /** Classes with a target that still miss it once the caps settle (lower classes at their floors, or none to throttle). */
  unprotected: string[];
  classes: ClassOutcome[];
  intervals: number;
  /** Interval of the last cap change. */
  settledAfter: number;
  /** The analyzer's reasons for its first throttle decisions. */
  explanations: string[];
}

const GATEWAY = 'fitted-lun';
const LUN = 'lun';
/** The averages are over the last quarter of the run, once the caps have stopped moving. */
const SETTLED_SHARE = 0.25;
/**
 * The analyzer's caps are whole IOPS, and it cuts only when the cut changes a cap: caps can settle
 * with the percentile a hair over target (10.0025 ms for a 10 ms target, one IOPS of cap away).
 * Within this share of the target it is met, as the control law itself treats it.
 */
const MET_TOLERANCE = 0.005;

export function protectionNeeds(q: ProtectionQuery): ProtectionResult {
  if (!(q.capacityIops > 0) || !(q.serviceMs > 0)) throw new Error(`the storage model needs a capacity and a service time > 0 (got ${q.capacityIops} IOPS, ${q.serviceMs} ms)`);
  const intervals = q.intervals ?? 120;
  if (!(intervals >= 10 && intervals <= 10_000)) throw new Error(`--intervals: between 10 and 10000 (got ${intervals})`);
  const byName = new Map(q.policy.classes.map((c) => [c.name, c]));
  for (const d of q.demands) {
    if (!byName.has(d.className)) throw new Error(`${q.policyFile}: no class "${d.className}"; classes: ${[...byName.keys()].join(', ')}`);
    if (!(d.iops >= 0)) throw new Error(`--demand ${d.className}: IOPS must be ≥ 0 (got ${d.iops})`);
  }
  // One host per class on the fitted LUN: the policy's own classes, bound by name.
  const policy: Policy = { ...q.policy, bindings: q.demands.map((d) => ({ host: d.className, lun: LUN, class: d.className })) };
  const pairs: ModelPair[] = q.demands.map((d) => ({ gatewayId: GATEWAY, host: d.className, lun: LUN, demandIops: d.iops, mbPerIo: d.ioBytes / 1e6 }));
  const model: AnalyzerStorageModel = { backends: { [GATEWAY]: { capacityIops: q.capacityIops, serviceMs: q.serviceMs } } };
  const uncontrolled = modelInterval(model, pairs, [], 0)[0]!.entries;
  const analyzer = new PerformanceAnalyzer();
  const settledFrom = Math.floor(intervals * (1 - SETTLED_SHARE));
  const sums = new Map<string, { iops: number; latency: number; n: number }>();
  let last: AnalysisResult | null = null;
  let settledAfter = 0;
  const explanations: string[] = [];
  let throttled = false;
  for (let i = 1; i <= intervals; i++) {
    const stats = modelInterval(model, pairs, Object.values(analyzer.state().caps), i);
    if (i > settledFrom) {
      for (const e of stats[0]!.entries) {
        const cls = byName.get(e.host)!;
        const s = sums.get(e.host) ?? { iops: 0, latency: 0, n: 0 };
        s.iops += e.iops;
        s.latency += (cls.latencyTarget?.percentile === 'p95' ? e.latencyP95Us : e.latencyP99Us) / 1000;
        s.n++;
        sums.set(e.host, s);
      }
    }
    last = analyzer.runInterval(policy, stats, i * policy.pollIntervalMs);
    if (last.changes.some((c) => c.kind === 'throttle' || c.kind === 'restore')) settledAfter = i;
    if (last.changes.some((c) => c.kind === 'throttle')) {
      throttled = true;
      if (explanations.length === 0) explanations.push(...last.changes.filter((c) => c.kind === 'throttle').map((c) => c.reason));
    }
  }
  const caps = last!.caps;
  const classes: ClassOutcome[] = q.demands.map((d) => {
    const cls = byName.get(d.className)!;
    const s = sums.get(d.className)!;
    const got = s.iops / s.n;
    const cap = caps.find((c) => c.host === d.className && c.source === 'throttle');
    // The cap in IOPS at the class's I/O size: the tighter of its two dimensions (0 is no bound).
    const capIops = cap ? Math.min(cap.iopsLimit > 0 ? cap.iopsLimit : Infinity, cap.mbpsLimit > 0 ? (cap.mbpsLimit * 1e6) / d.ioBytes : Infinity) : Infinity;
    // A floor holds per dimension: one given in IOPS only does not stop a cut in MB/s, so the floor that holds is the lower.
    const floors = [cls.floor.iops, (cls.floor.mbps * 1e6) / d.ioBytes];
    const floorIops = floors.every((f) => f > 0) ? Math.min(...floors) : 0;
    const target = cls.latencyTarget;
    const pct = (e: { latencyP95Us: number; latencyP99Us: number }): number => (target?.percentile === 'p95' ? e.latencyP95Us : e.latencyP99Us) / 1000;
    const settledMs = target ? s.latency / s.n : null;
    return {
      className: d.className, priority: cls.priority, throttleable: cls.throttleable, demandIops: d.iops, gotIops: got,
      capIops: Number.isFinite(capIops) ? capIops : null,
      floorIops, atFloor: floorIops > 0 && capIops <= floorIops * 1.01,
      throttledPercent: d.iops > 0 ? Math.max(0, (1 - got / d.iops) * 100) : 0,
      targetMs: target?.ms ?? null, percentile: target?.percentile ?? null,
      uncontrolledMs: target ? pct(uncontrolled.find((e) => e.host === d.className)!) : null,
      settledMs,
      meetsTarget: target && settledMs !== null ? settledMs <= target.ms * (1 + MET_TOLERANCE) : null,
    };
  }).sort((a, b) => a.priority - b.priority || a.className.localeCompare(b.className));
  return {
    needsThrottling: throttled,
    unprotected: classes.filter((c) => c.meetsTarget === false).map((c) => c.className),
    classes, intervals, settledAfter, explanations,
  };
}
