import path from 'node:path';
import { ACTIVE_IOPS, checkPolicy, type Policy, type Resolution, type ResolvedClass, type SlaStore } from '../sla/index.js';
import { exhaustion, fitGrowth, type Exhaustion, type GrowthTrend } from './growth.js';
import { fitIntervalModel, loadAtTarget, meanServiceMs, type IntervalModel } from './interval-model.js';
import { classIntervals, lunClasses, type ClassInterval, type LunInterval, type LunRef } from './intervals.js';
import type { Estimate, FitRefusal } from './model.js';
import { protectionNeeds, type ClassDemand, type ClassOutcome, type ProtectionResult } from './protection.js';

/**
 * Headroom per service class on one LUN of an SLA database: at what LUN load each class's target
 * percentile crosses its target, how far that is above today's peak, when the LUN's demand trend
 * gets there, and whether protecting the classes needs the lower ones throttled.
 *
 * Why the class's own percentiles, fitted against the LUN's total IOPS, rather than the LUN's
 * model read at the class's percentile. The LUN model's latency is the I/O-weighted mean of every
 * pair's percentile on the LUN: classes of different I/O sizes, or on different paths through the
 * gateway, are averaged into one curve that is no class's. The target, though, is judged on the
 * class's own pairs (the analyzer flags any active pair over it), and the class's latency answers
 * to the load of everything on the LUN, not its own share. So each class gets the same queue law,
 * R_q(X) = S_q / (1 − X/C), fitted to the worst of its pairs' target percentile in each interval
 * against the LUN's total IOPS in that interval, with the same refusals and Fieller intervals as
 * the LUN's fit. Its crossing of the target is then a load the whole LUN can be driven to.
 */

export type PublicTrend = Omit<GrowthTrend, 'line'>;

export interface PolicySource {
  policy: Policy;
  /** Where it came from, for the reader and for errors: a file, or the version stored in the database. */
  source: string;
}

export interface ClassLoadAtTarget {
  percentile: 'p95' | 'p99';
  targetMs: number;
  /** The LUN's total IOPS at which the class's percentile reaches its target. */
  loadAtTargetIops: Estimate;
  /** The LUN's busiest interval in the last day stored. */
  peakIops: number;
  /** (load at target ÷ today's peak − 1) × 100. */
  headroomPercent: Estimate;
  /** The class's percentile fitted as one queue against the LUN's load. */
  unloadedMs: Estimate;
  capacityIops: Estimate;
  rSquared: number;
  intervals: number;
}

export interface ClassHeadroom {
  /** As stored; '' is traffic the policy bound to no class. */
  className: string;
  /** From the policy; null for a class it does not name. */
  priority: number | null;
  throttleable: boolean | null;
  floor: { iops: number; mbps: number } | null;
  target: { percentile: 'p95' | 'p99'; ms: number } | null;
  /** Intervals the class was active on this LUN, at the fit's resolution. */
  intervals: number;
  /** Bytes per I/O, from its stored IOPS and MB/s. */
  ioBytes: number | null;
  /** Today's IOPS on this LUN: its trend's, else the mean of its last stored day. What the protection run offers. */
  demandIops: number | null;
  headroom: ClassLoadAtTarget | FitRefusal;
  /** The class's own IOPS on this LUN over time. */
  growth: PublicTrend | FitRefusal;
  /** When the LUN's total demand trend meets this class's load at target. */
  exhaustion: Exhaustion | null;
  /** What the analyzer's control law leaves this class at today's demands; null when it was not run. */
  protection: ClassOutcome | null;
  /** The protection outcome in a sentence, for the view and the report. */
  verdict: string | null;
  /**
   * The analyzer's throttle actions on this class's pairs: over the last stored day, and whether a
   * cap was still in force at the end. Under a cap its IOPS are what it got, not what it would ask
   * for, so its demand (and any trend of it) is a lower bound. Null when no cap bore on the last day.
   */
  throttled: { actionsLastDay: number; inForce: boolean } | null;
}

export interface LunProtection extends Omit<ProtectionResult, 'classes'> {
  capacityIops: number;
  serviceMs: number;
}

export interface LunClassHeadroom {
  /** The policy the targets came from, or why there is none. */
  classPolicy: { name: string; source: string } | FitRefusal;
  classes: ClassHeadroom[];
  protection: LunProtection | FitRefusal;
}

const DAY = 86_400_000;
const UNBOUND = '';
export const classLabel = (name: string): string => (name === UNBOUND ? '(no class)' : name);

/** The newest policy the SLA server recorded in the database, checked as `sla check` does. */
export function storedPolicy(store: SlaStore, file: string): PolicySource | FitRefusal {
  const newest = store.policyHistory().at(-1);
  if (!newest) return { fitted: false, reason: `${path.basename(file)} holds no policy (the SLA server stores each one it applies) and none was given: no class targets` };
  const checked = checkPolicy(newest.text);
  if (!checked.policy) {
    const d = checked.diagnostics.find((x) => x.severity === 'error') ?? checked.diagnostics[0];
    return { fitted: false, reason: `the newest policy stored in ${path.basename(file)} (${newest.name} version ${newest.version}) is not valid${d ? ` at ${d.line}:${d.column}: ${d.message}` : ''}` };
  }
  return { policy: checked.policy, source: `${newest.name} version ${newest.version}, stored in ${path.basename(file)} (applied ${new Date(newest.appliedAt).toISOString()})` };
}

export interface ClassContext {
  store: SlaStore;
  ref: Pick<LunRef, 'gatewayId' | 'lun'>;
  /** The LUN's fit: its resolution and intervals, and its model (the capacity the protection run uses). */
  resolution: Resolution;
  lunIntervals: readonly LunInterval[];
  lunModel: IntervalModel | FitRefusal;
  /** The LUN's total demand trend and the resolution it was fitted at. */
  trendResolution: Resolution;
  lunTrend: GrowthTrend | FitRefusal;
  policy: PolicySource | FitRefusal;
  days: number;
  confidence: number;
}

const lastDay = <T extends { t: number }>(xs: readonly T[]): T[] => {
  const end = xs.at(-1)?.t;
  return end === undefined ? [] : xs.filter((x) => x.t > end - DAY);
};

export function classHeadroomOfLun(c: ClassContext): LunClassHeadroom {
  const policy = 'fitted' in c.policy ? null : c.policy;
  const peakIops = lastDay(c.lunIntervals).reduce((m, i) => Math.max(m, i.iops), 0);
  const classes = lunClasses(c.store, c.ref).map((stored) => {
    const cls = policy?.policy.classes.find((x) => x.name === stored.name) ?? null;
    const intervals = classIntervals(c.store, c.ref, stored.id, c.resolution).filter((i) => i.classIops >= ACTIVE_IOPS);
    const trendPoints = c.trendResolution === c.resolution ? intervals : classIntervals(c.store, c.ref, stored.id, c.trendResolution);
    return { ...classHeadroom(stored.name, cls, intervals, trendPoints, peakIops, c), throttled: throttledOf(c, stored.name) };
  });
  const run = protectLun(classes, c);
  let protection: LunProtection | FitRefusal = run;
  if (!('fitted' in run)) {
    const { outcomes, ...rest } = run;
    protection = rest;
    for (const k of classes) {
      k.protection = outcomes.find((o) => o.className === classLabel(k.className)) ?? null;
      k.verdict = k.protection ? verdictOf(k.protection) : null;
    }
  }
  for (const k of classes) {
    if (k.throttled === null) continue;
    const note = `its IOPS were capped (${k.throttled.inForce ? 'a cap still in force at the end' : `${k.throttled.actionsLastDay} throttle action${k.throttled.actionsLastDay === 1 ? '' : 's'} in the last day`}): today's demand is what it got, a lower bound`;
    k.verdict = k.verdict === null ? note : `${k.verdict}; ${note}`;
  }
  return {
    classPolicy: policy ? { name: policy.policy.name, source: policy.source } : (c.policy as FitRefusal),
    classes,
    protection,
  };
}

function classHeadroom(name: string, cls: ResolvedClass | null, intervals: readonly ClassInterval[], trendPoints: readonly ClassInterval[], peakIops: number, c: ClassContext): ClassHeadroom {
  const iops = intervals.reduce((s, i) => s + i.classIops, 0);
  const mbps = intervals.reduce((s, i) => s + i.classMbps, 0);
  const trend = fitGrowth(trendPoints.map((i) => ({ t: i.t, iops: i.classIops })), c.confidence);
  const recent = lastDay(trendPoints.filter((i) => i.classIops > 0));
  const demandIops = trend.fitted ? Math.max(0, trend.currentIops.value)
    : recent.length > 0 ? recent.reduce((s, i) => s + i.classIops, 0) / recent.length : null;
  const headroom = headroomOfClass(name, cls, intervals, peakIops, c);
  return {
    className: name,
    priority: cls?.priority ?? null,
    throttleable: cls?.throttleable ?? null,
    floor: cls ? { ...cls.floor } : null,
    target: cls?.latencyTarget ? { ...cls.latencyTarget } : null,
    intervals: intervals.length,
    ioBytes: iops > 0 && mbps > 0 ? (mbps / iops) * 1e6 : null,
    demandIops,
    headroom,
    growth: trend.fitted ? (({ line: _line, ...rest }) => rest)(trend) : trend,
    exhaustion: c.lunTrend.fitted && !('fitted' in headroom) ? exhaustion(c.lunTrend, headroom.loadAtTargetIops, c.days) : null,
    protection: null,
    verdict: null,
    throttled: null,
  };
}

/** Actions that leave a pair under a cap (the analyzer's throttle, a static limit); restore and release lift it. */
const CAPPING: ReadonlySet<string> = new Set(['throttle', 'limit']);

/** The throttle actions the SLA server recorded for this class on this LUN, judged at the LUN's last stored interval. */
function throttledOf(c: ClassContext, className: string): ClassHeadroom['throttled'] {
  const end = c.lunIntervals.at(-1)?.t;
  if (end === undefined) return null;
  const rows = c.store.db.prepare(`SELECT host, kind, t FROM actions WHERE gateway = ? AND lun = ? AND class = ? AND t <= ? ORDER BY t, id`)
    .all(c.ref.gatewayId, c.ref.lun, className, end) as Array<{ host: string; kind: string; t: number }>;
  if (!rows.some((r) => CAPPING.has(r.kind))) return null;
  // The latest action per host says whether its cap still held at the end.
  const latest = new Map<string, string>();
  for (const r of rows) latest.set(r.host, r.kind);
  const actionsLastDay = rows.filter((r) => CAPPING.has(r.kind) && r.t > end - DAY).length;
  const inForce = [...latest.values()].some((k) => CAPPING.has(k));
  // A cap lifted more than a day before the end does not bear on today's demand.
  return actionsLastDay > 0 || inForce ? { actionsLastDay, inForce } : null;
}

function headroomOfClass(name: string, cls: ResolvedClass | null, intervals: readonly ClassInterval[], peakIops: number, c: ClassContext): ClassLoadAtTarget | FitRefusal {
  if ('fitted' in c.policy) return { fitted: false, reason: c.policy.reason };
  const policyName = `policy ${c.policy.policy.name}`;
  if (name === UNBOUND) return { fitted: false, reason: `traffic the ${policyName} in force when it was stored bound to no class: no target` };
  if (!cls) return { fitted: false, reason: `class "${name}" is not in the ${policyName}: no target` };
  if (!cls.latencyTarget) return { fitted: false, reason: `class "${name}" has no latency target in the ${policyName}` };
  const { percentile, ms } = cls.latencyTarget;
  const model = fitIntervalModel(intervals, percentile, c.confidence);
  if (!model.fitted) return { fitted: false, reason: `${percentile} of class "${name}" against the LUN's load: ${model.reason}` };
  const load = loadAtTarget(model, ms);
  const pct = (x: number): number => (peakIops > 0 ? (x / peakIops - 1) * 100 : Infinity);
  return {
    percentile, targetMs: ms, loadAtTargetIops: load, peakIops,
    headroomPercent: { value: pct(load.value), low: pct(load.low), high: pct(load.high) },
    unloadedMs: model.unloadedMs, capacityIops: model.capacityIops, rSquared: model.rSquared, intervals: model.intervals,
  };
}

/**
 * The analyzer's control law (protectionNeeds, the server's own code) against the LUN's fitted
 * queue, every class offering today's demand. Traffic of classes the policy does not name still
 * loads the LUN: it runs as a class of the lowest priority that the analyzer may not throttle
 * (it would not, having no class to act on), with no target.
 */
function protectLun(classes: readonly ClassHeadroom[], c: ClassContext): (LunProtection & { outcomes: ClassOutcome[] }) | FitRefusal {
  if ('fitted' in c.policy) return { fitted: false, reason: c.policy.reason };
  if (!c.lunModel.fitted) return { fitted: false, reason: `no capacity fitted for the LUN: ${c.lunModel.reason}` };
  if (!classes.some((k) => k.target !== null && (k.demandIops ?? 0) > 0)) return { fitted: false, reason: 'no class with a latency target has traffic on this LUN: nothing to protect' };
  const policy = c.policy.policy;
  const lowest = Math.max(...policy.classes.map((k) => k.priority)) + 1;
  const extra: ResolvedClass[] = classes.filter((k) => k.priority === null).map((k) => ({
    name: classLabel(k.className), description: 'traffic the policy does not name', priority: lowest, weight: 1, throttleable: false,
    reservation: { iops: 0, mbps: 0 }, limit: { iops: 0, mbps: 0 }, floor: { iops: 0, mbps: 0 }, latencyTarget: null,
  }));
  const demands: ClassDemand[] = classes.filter((k) => (k.demandIops ?? 0) > 0)
    .map((k) => ({ className: classLabel(k.className), iops: k.demandIops!, ioBytes: k.ioBytes ?? 4096 }));
  const capacityIops = c.lunModel.capacityIops.value;
  const serviceMs = meanServiceMs(c.lunModel);
  const { classes: outcomes, ...result } = protectionNeeds({ policy: { ...policy, classes: [...policy.classes, ...extra] }, policyFile: c.policy.source, capacityIops, serviceMs, demands });
  return { ...result, capacityIops, serviceMs, outcomes };
}

const n0 = (x: number): string => x.toFixed(0);
const ms = (x: number | null): string => (x === null ? '—' : `${x.toPrecision(3)} ms`);

/** One class's outcome of the protection run, in words. */
export function verdictOf(o: ClassOutcome): string {
  if (o.targetMs !== null && o.percentile !== null) {
    const target = `${o.percentile} ≤ ${o.targetMs} ms`;
    if (o.uncontrolledMs !== null && o.uncontrolledMs <= o.targetMs) return `meets ${target} with no throttling (${ms(o.uncontrolledMs)})`;
    if (o.meetsTarget) return `protected by throttling lower classes: ${o.percentile} ${ms(o.uncontrolledMs)} → ${ms(o.settledMs)}`;
    return `not protected: ${o.percentile} ${ms(o.settledMs)} > ${o.targetMs} ms with lower classes at their floors or not throttleable`;
  }
  if (o.throttledPercent < 1) return `keeps its ${n0(o.demandIops)} IOPS`;
  return `throttled: keeps ${n0(o.gotIops)} of ${n0(o.demandIops)} IOPS${o.atFloor ? `, held at its floor (${n0(o.floorIops)} IOPS)` : ''}`;
}
