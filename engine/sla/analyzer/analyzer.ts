import type { StatsEntry } from '../../protocol/index.js';
import { classOf, type AlertLevel, type Policy, type RatePair, type ResolvedClass } from '../policy/index.js';

/**
 * The Performance Analyzer's control law. Pure and deterministic: state and one interval's
 * statistics in, new state and decisions out; no clock, no randomness, sorted iteration.
 *
 * Why this law. PARDA (Gulati, Ahmad, Waldspurger, FAST 2009) controls each host's issue window
 * from latency, like FAST TCP:  w(t+1) = (1 − γ) w(t) + γ (L / L(t) · w(t) + β),
 * with L the latency threshold and L(t) the observed latency. mClock (OSDI 2010) describes each
 * client with a reservation R (a minimum), a limit L (a maximum) and a weight (a share of the
 * rest). Our actuator is the gateway's token bucket, a rate cap per host and LUN, so we apply
 * PARDA's ratio to rates and take mClock's tags as the bounds:
 *
 *  1. Risk. A class is at risk on a gateway when the percentile its target names (p95 or p99)
 *     of any of its active host/LUN pairs exceeds the target, or when a pair with requests
 *     queued gets less than its reservation. Only classes with targets are protected.
 *  2. Cut (multiplicative decrease, PARDA with γ = 1). To protect the most important class at
 *     risk, the throttleable classes of lower priority on the same gateway (the same backend)
 *     must give up a share 1 − f of their measured rate, f = max(MIN_CUT, L / L(t)) for
 *     latency and f = 1 − deficit / victims' rate for a reservation. γ = 1 because the issue
 *     demands recovery within two intervals; PARDA's smoothing is replaced by the hysteresis
 *     below, which is what keeps noise from moving caps. The cut is taken from the least
 *     important class first (strict priority), classes of equal priority giving up in inverse
 *     proportion to their weights (mClock's shares), never below a pair's floor or its
 *     reservation (mClock's R), and the result never above its class limit (mClock's L).
 *  3. Hold (dead band). Between restoreBelow × target and the target nothing moves: this band is
 *     the hysteresis that stops oscillation.
 *  4. Restore (probing increase). After restoreAfterIntervals consecutive intervals with every
 *     protected class below restoreBelow × target (or idle), each throttled pair's cap grows by
 *     a step (×1.5 at first). A cut that follows a restore step halves the pair's step, so the
 *     caps settle inside the dead band by bisection rather than cycling. A pair that does not
 *     use its cap, or whose protected classes are idle, is released (back to its class limit).
 *
 * Every change names the class at risk, the measurement, the pair and gateway, and the cap.
 */

export const MIN_CUT = 0.1;
export const INITIAL_RESTORE_STEP = 0.5;
export const MIN_RESTORE_STEP = 0.05;
/** A pair with fewer IOPS than this in an interval is idle: its latency says nothing. */
export const ACTIVE_IOPS = 1;
/** Mean depth seen by arrivals (the arrival included) from which a pair has requests waiting. */
export const QUEUED_DEPTH = 2;
/** A pair using less than this share of its cap is not limited by it. */
const UNUSED_CAP_SHARE = 0.8;

export interface GatewayStats {
  gatewayId: string;
  entries: readonly StatsEntry[];
}

export interface AnalyzerInput {
  /** Time of the interval's end (ms since the epoch); recorded, never read from a clock. */
  at: number;
  policy: Policy;
  gateways: readonly GatewayStats[];
}

/** A cap on one host's traffic to one LUN; 0 means unlimited in that dimension (as the protocol's throttle). */
export interface PairCap {
  gatewayId: string;
  host: string;
  lun: string;
  className: string;
  iopsLimit: number;
  mbpsLimit: number;
  /** `limit`: the class limit only; `throttle`: cut to protect another class. */
  source: 'limit' | 'throttle';
  restoreStep: number;
  /** Interval of the last restore step (−1 if none), to notice a cut that follows it. */
  lastRestoreInterval: number;
}

export interface AnalyzerState {
  interval: number;
  /** Keyed by pairKey(gateway, host, lun). */
  caps: Readonly<Record<string, PairCap>>;
  /** Consecutive healthy intervals per gateway (all protected classes below the restore band). */
  healthyStreak: Readonly<Record<string, number>>;
}

export type ClassState = 'idle' | 'ok' | 'watch' | 'at-risk';

export interface ClassStatus {
  gatewayId: string;
  className: string;
  priority: number;
  state: ClassState;
  pairs: number;
  iops: number;
  mbps: number;
  /** The target's percentile of the worst active pair, in ms (null: no target or idle). */
  latencyMs: number | null;
  percentile: 'p95' | 'p99' | null;
  targetMs: number | null;
  worstHost: string | null;
  worstLun: string | null;
}

export type Measurement = 'p95' | 'p99' | 'reservation-iops' | 'reservation-mbps';

export interface Violation {
  gatewayId: string;
  className: string;
  host: string;
  lun: string;
  measurement: Measurement;
  observed: number;
  target: number;
  text: string;
}

export type ChangeKind = 'throttle' | 'restore' | 'release' | 'limit';

export interface CapChange {
  gatewayId: string;
  host: string;
  lun: string;
  className: string;
  kind: ChangeKind;
  iopsLimit: number;
  mbpsLimit: number;
  previousIopsLimit: number;
  previousMbpsLimit: number;
  /** The class protected by a throttle (null for restore, release and limit). */
  protects: string | null;
  reason: string;
}

export interface AnalyzerAlert {
  severity: Exclude<AlertLevel, 'none'>;
  gatewayId: string;
  className: string;
  text: string;
}

export interface AnalysisResult {
  interval: number;
  at: number;
  classes: ClassStatus[];
  violations: Violation[];
  /** Caps to send to gateways this interval (each one a throttle request). */
  changes: CapChange[];
  /** Every cap in force after this interval. */
  caps: PairCap[];
  alerts: AnalyzerAlert[];
  /** One sentence per decision (including holding still), for logs and the Monitor. */
  explanations: string[];
}

export function initialAnalyzerState(): AnalyzerState {
  return { interval: 0, caps: {}, healthyStreak: {} };
}

export function pairKey(gatewayId: string, host: string, lun: string): string {
  return `${gatewayId}\u0000${host}\u0000${lun}`;
}

interface Pair {
  entry: StatsEntry;
  cls: ResolvedClass;
}

interface Risk {
  cls: ResolvedClass;
  /** Share of the victims' rate they may keep (PARDA's L / L(t), or the reservation deficit's complement). */
  keep: number;
  why: string;
}

const byKey = <T>(rec: Readonly<Record<string, T>>): [string, T][] => Object.keys(rec).sort().map((k) => [k, rec[k]!]);

function round(value: number, dim: keyof RatePair): number {
  return dim === 'iops' ? Math.round(value) : Math.round(value * 100) / 100;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 2);
}

function percentileOf(e: StatsEntry, p: 'p95' | 'p99'): number {
  return (p === 'p95' ? e.latencyP95Us : e.latencyP99Us) / 1000;
}

function capText(iops: number, mbps: number): string {
  const parts = [iops > 0 ? `${fmt(iops)} IOPS` : '', mbps > 0 ? `${fmt(mbps)} MB/s` : ''].filter(Boolean);
  return parts.length ? parts.join(', ') : 'unlimited';
}

export function analyzeInterval(state: AnalyzerState, input: AnalyzerInput): { state: AnalyzerState; result: AnalysisResult } {
  const interval = state.interval + 1;
  const { policy } = input;
  const caps: Record<string, PairCap> = {};
  for (const [k, c] of byKey(state.caps)) caps[k] = { ...c };
  const healthyStreak: Record<string, number> = { ...state.healthyStreak };
  const result: AnalysisResult = { interval, at: input.at, classes: [], violations: [], changes: [], caps: [], alerts: [], explanations: [] };

  const gateways = [...input.gateways].sort((a, b) => (a.gatewayId < b.gatewayId ? -1 : a.gatewayId > b.gatewayId ? 1 : 0));
  for (const gw of gateways) analyzeGateway(gw, policy, interval, caps, healthyStreak, result);

  result.caps = byKey(caps).map(([, c]) => c);
  return { state: { interval, caps, healthyStreak }, result };
}

function analyzeGateway(
  gw: GatewayStats,
  policy: Policy,
  interval: number,
  caps: Record<string, PairCap>,
  healthyStreak: Record<string, number>,
  result: AnalysisResult,
): void {
  const gatewayId = gw.gatewayId;
  const pairs: Pair[] = [];
  for (const entry of [...gw.entries].sort((a, b) => pairKey('', a.host, a.lun).localeCompare(pairKey('', b.host, b.lun)))) {
    const cls = classOf(policy, gatewayId, entry.host, entry.lun);
    if (cls) pairs.push({ entry, cls });
  }
  const classes = [...policy.classes].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));

  // mClock's limit: a standing cap on every pair of a limited class.
  for (const { entry, cls } of pairs) {
    const key = pairKey(gatewayId, entry.host, entry.lun);
    const existing = caps[key];
    if (existing && existing.className !== cls.name) {
      // Rebound to another class by a new policy: the old class's cap no longer applies.
      delete caps[key];
      result.changes.push({ gatewayId, host: entry.host, lun: entry.lun, className: cls.name, kind: 'release', iopsLimit: 0, mbpsLimit: 0,
        previousIopsLimit: existing.iopsLimit, previousMbpsLimit: existing.mbpsLimit, protects: null,
        reason: `host ${entry.host} on ${entry.lun} moved from class "${existing.className}" to "${cls.name}": cap lifted` });
    }
    if (!caps[key] && (cls.limit.iops > 0 || cls.limit.mbps > 0)) {
      caps[key] = { gatewayId, host: entry.host, lun: entry.lun, className: cls.name, iopsLimit: cls.limit.iops, mbpsLimit: cls.limit.mbps, source: 'limit', restoreStep: INITIAL_RESTORE_STEP, lastRestoreInterval: -1 };
      result.changes.push({ gatewayId, host: entry.host, lun: entry.lun, className: cls.name, kind: 'limit', iopsLimit: cls.limit.iops, mbpsLimit: cls.limit.mbps, previousIopsLimit: 0, previousMbpsLimit: 0, protects: null,
        reason: `class "${cls.name}" is limited to ${capText(cls.limit.iops, cls.limit.mbps)} per host and LUN` });
    }
  }

  // 1. Measure each class and find the risks.
  const risks: Risk[] = [];
  let healthy = true;
  const idleProtected = new Set<string>();
  for (const cls of classes) {
    const own = pairs.filter((p) => p.cls === cls);
    const active = own.filter((p) => p.entry.iops >= ACTIVE_IOPS);
    const status: ClassStatus = {
      gatewayId, className: cls.name, priority: cls.priority, state: active.length ? 'ok' : 'idle', pairs: own.length,
      iops: own.reduce((s, p) => s + p.entry.iops, 0), mbps: own.reduce((s, p) => s + p.entry.mbps, 0),
      latencyMs: null, percentile: cls.latencyTarget?.percentile ?? null, targetMs: cls.latencyTarget?.ms ?? null, worstHost: null, worstLun: null,
    };
    const protectedClass = cls.latencyTarget !== null || cls.reservation.iops > 0 || cls.reservation.mbps > 0;
    if (protectedClass && active.length === 0) idleProtected.add(cls.name);
    const reasons: Risk[] = [];
    if (cls.latencyTarget && active.length) {
      const { percentile, ms } = cls.latencyTarget;
      let worst = active[0]!;
      for (const p of active) if (percentileOf(p.entry, percentile) > percentileOf(worst.entry, percentile)) worst = p;
      const observed = percentileOf(worst.entry, percentile);
      status.latencyMs = observed;
      status.worstHost = worst.entry.host;
      status.worstLun = worst.entry.lun;
      for (const p of active) {
        const value = percentileOf(p.entry, percentile);
        if (value > ms) {
          result.violations.push({ gatewayId, className: cls.name, host: p.entry.host, lun: p.entry.lun, measurement: percentile, observed: value, target: ms,
            text: `${percentile} latency of host ${p.entry.host} on ${p.entry.lun} is ${fmt(value)} ms, above the ${fmt(ms)} ms target of class "${cls.name}"` });
        }
      }
      if (observed > ms) {
        reasons.push({ cls, keep: Math.max(MIN_CUT, ms / observed), why: `${percentile} of host ${worst.entry.host} on ${worst.entry.lun} is ${fmt(observed)} ms > target ${fmt(ms)} ms` });
      } else if (observed > ms * policy.atRisk.restoreBelow) {
        status.state = 'watch';
      }
    }
    for (const dim of ['iops', 'mbps'] as const) {
      const reserved = cls.reservation[dim];
      if (reserved <= 0) continue;
      for (const p of active) {
        const got = p.entry[dim];
        // Only a pair that wants more (requests queued) and gets less than its reservation is short.
        // Gateways report the mean depth seen by arrivals, the arrival included: a client with one
        // request at a time reads 1 however slow it is, so "queued" means another one in flight.
        if (p.entry.queueDepth >= QUEUED_DEPTH && got < reserved * 0.95) {
          const measurement: Measurement = dim === 'iops' ? 'reservation-iops' : 'reservation-mbps';
          const text = `host ${p.entry.host} on ${p.entry.lun} gets ${fmt(got)} ${dim === 'iops' ? 'IOPS' : 'MB/s'} with ${fmt(p.entry.queueDepth)} requests in flight on average, below the reservation of ${fmt(reserved)} of class "${cls.name}"`;
          result.violations.push({ gatewayId, className: cls.name, host: p.entry.host, lun: p.entry.lun, measurement, observed: got, target: reserved, text });
          const victimRate = victimsOf(cls, classes, pairs).reduce((s, v) => s + v.entry[dim], 0);
          if (victimRate > 0) reasons.push({ cls, keep: Math.max(MIN_CUT, 1 - (reserved - got) / victimRate), why: text });
        }
      }
    }
    if (reasons.length) {
      status.state = 'at-risk';
      const strongest = reasons.reduce((a, b) => (b.keep < a.keep ? b : a));
      risks.push(strongest);
    }
    if (status.state === 'at-risk' || status.state === 'watch') healthy = false;
    result.classes.push(status);
  }

  // 2. Cut the victims of every risk, most important class first; a pair takes its lowest proposal.
  const proposals = new Map<string, { iops: number; mbps: number; risk: Risk }>();
  for (const risk of risks) {
    if (policy.atRisk.alert !== 'none') {
      result.alerts.push({ severity: policy.atRisk.alert, gatewayId, className: risk.cls.name, text: `class "${risk.cls.name}" at risk on gateway ${gatewayId}: ${risk.why}` });
    }
    const victims = policy.atRisk.throttleLowerClasses ? victimsOf(risk.cls, classes, pairs).filter((v) => v.entry.iops >= ACTIVE_IOPS || v.entry.mbps > 0) : [];
    if (!victims.length) {
      result.explanations.push(`gateway ${gatewayId}: class "${risk.cls.name}" at risk (${risk.why}) but no lower throttleable class is active there: alert only`);
      continue;
    }
    let anyRoom = false;
    for (const dim of ['iops', 'mbps'] as const) {
      const cut = distributeCut(victims, caps, gatewayId, dim, 1 - risk.keep);
      if (cut.size) anyRoom = true;
      for (const [key, value] of cut) {
        const current = proposals.get(key) ?? { iops: Infinity, mbps: Infinity, risk };
        if (value < current[dim]) { current[dim] = value; current.risk = risk; }
        proposals.set(key, current);
      }
    }
    if (!anyRoom) {
      result.explanations.push(`gateway ${gatewayId}: class "${risk.cls.name}" at risk (${risk.why}) but every lower throttleable pair is at its floor: alert only`);
    }
  }
  const cutKeys = new Set<string>();
  for (const key of [...proposals.keys()].sort()) {
    const proposal = proposals.get(key)!;
    const victim = pairs.find((p) => pairKey(gatewayId, p.entry.host, p.entry.lun) === key)!;
    const before = caps[key];
    // A dimension the cut did not touch keeps its current cap: "no proposal" must never mean
    // "unlimited". Without a current cap it is held where it is (its measured rate, at least its
    // floor): left unlimited, a pair cut in MB/s alone would be capped in IOPS at 0, i.e. not at all.
    const [floorIops, floorMbps] = floorPair(victim.cls);
    const hold = (dim: keyof RatePair, current: number | undefined, floor: number, classLimit: number): number =>
      current !== undefined && current > 0 ? current : limitOf(Math.max(floor, round(victim.entry[dim], dim)), classLimit);
    const iopsLimit = Number.isFinite(proposal.iops) ? limitOf(proposal.iops, victim.cls.limit.iops) : hold('iops', before?.iopsLimit, floorIops, victim.cls.limit.iops);
    const mbpsLimit = Number.isFinite(proposal.mbps) ? limitOf(proposal.mbps, victim.cls.limit.mbps) : hold('mbps', before?.mbpsLimit, floorMbps, victim.cls.limit.mbps);
    if (before && before.iopsLimit === iopsLimit && before.mbpsLimit === mbpsLimit) {
      result.explanations.push(`gateway ${gatewayId}: host ${victim.entry.host} on ${victim.entry.lun} (class "${victim.cls.name}") already at its floor ${capText(iopsLimit, mbpsLimit)}; class "${proposal.risk.cls.name}" still at risk (${proposal.risk.why})`);
      continue;
    }
    cutKeys.add(key);
    // A cut right after a restore step means that step overshot: halve the next one.
    const overshot = before !== undefined && before.lastRestoreInterval >= 0 && interval - before.lastRestoreInterval <= policy.atRisk.restoreAfterIntervals + 1;
    const restoreStep = overshot ? Math.max(MIN_RESTORE_STEP, before.restoreStep / 2) : before?.restoreStep ?? INITIAL_RESTORE_STEP;
    caps[key] = { gatewayId, host: victim.entry.host, lun: victim.entry.lun, className: victim.cls.name, iopsLimit, mbpsLimit, source: 'throttle', restoreStep, lastRestoreInterval: before?.lastRestoreInterval ?? -1 };
    const reason = `protect class "${proposal.risk.cls.name}" (${proposal.risk.why}): keep ${Math.round(proposal.risk.keep * 100)}% of class "${victim.cls.name}" rate; host ${victim.entry.host} on ${victim.entry.lun} measured ${capText(round(victim.entry.iops, 'iops'), round(victim.entry.mbps, 'mbps'))}, capped at ${capText(iopsLimit, mbpsLimit)} (floor ${capText(...floorPair(victim.cls))})`;
    result.changes.push({ gatewayId, host: victim.entry.host, lun: victim.entry.lun, className: victim.cls.name, kind: 'throttle', iopsLimit, mbpsLimit,
      previousIopsLimit: before?.iopsLimit ?? 0, previousMbpsLimit: before?.mbpsLimit ?? 0, protects: proposal.risk.cls.name, reason });
    result.explanations.push(`gateway ${gatewayId}: ${reason}`);
  }

  // 3 and 4. Hold in the dead band; restore after enough healthy intervals.
  healthyStreak[gatewayId] = healthy && risks.length === 0 ? (healthyStreak[gatewayId] ?? 0) + 1 : 0;
  const streak = healthyStreak[gatewayId]!;
  const throttled = byKey(caps).filter(([k, c]) => c.gatewayId === gatewayId && c.source === 'throttle' && !cutKeys.has(k));
  if (!throttled.length) return;
  if (risks.length || !healthy) {
    if (!risks.length) result.explanations.push(`gateway ${gatewayId}: holding ${throttled.length} throttle(s): protected classes are within target but above ${Math.round(policy.atRisk.restoreBelow * 100)}% of it (dead band)`);
    return;
  }
  if (streak < policy.atRisk.restoreAfterIntervals) {
    result.explanations.push(`gateway ${gatewayId}: holding ${throttled.length} throttle(s): healthy for ${streak} of ${policy.atRisk.restoreAfterIntervals} intervals before restoring`);
    return;
  }
  healthyStreak[gatewayId] = 0;
  for (const [key, cap] of throttled) {
    const cls = classes.find((c) => c.name === cap.className);
    if (!cls) { delete caps[key]; continue; }
    const entry = pairs.find((p) => pairKey(gatewayId, p.entry.host, p.entry.lun) === key)?.entry;
    const protectedIdle = classes.filter((c) => c.priority < cls.priority && (c.latencyTarget !== null || c.reservation.iops > 0 || c.reservation.mbps > 0)).every((c) => idleProtected.has(c.name) || !pairs.some((p) => p.cls === c));
    const unused = entry !== undefined && usesLessThan(entry, cap, UNUSED_CAP_SHARE);
    let next: PairCap | undefined;
    let kind: ChangeKind;
    let why: string;
    if (protectedIdle || unused) {
      kind = 'release';
      why = protectedIdle ? 'the classes it protected are idle' : `it uses less than ${UNUSED_CAP_SHARE * 100}% of its cap`;
      next = cls.limit.iops > 0 || cls.limit.mbps > 0
        ? { ...cap, iopsLimit: cls.limit.iops, mbpsLimit: cls.limit.mbps, source: 'limit', restoreStep: INITIAL_RESTORE_STEP, lastRestoreInterval: -1 }
        : undefined;
    } else {
      kind = 'restore';
      const grow = (v: number, limit: number, dim: keyof RatePair) => (v === 0 ? 0 : limitOf(round(v * (1 + cap.restoreStep), dim), limit));
      next = { ...cap, iopsLimit: grow(cap.iopsLimit, cls.limit.iops, 'iops'), mbpsLimit: grow(cap.mbpsLimit, cls.limit.mbps, 'mbps'), lastRestoreInterval: interval };
      why = `protected classes stayed below ${Math.round(policy.atRisk.restoreBelow * 100)}% of their targets for ${policy.atRisk.restoreAfterIntervals} intervals; step +${Math.round(cap.restoreStep * 100)}%`;
    }
    if (next) caps[key] = next; else delete caps[key];
    const iopsLimit = next?.iopsLimit ?? 0;
    const mbpsLimit = next?.mbpsLimit ?? 0;
    const reason = `${kind} host ${cap.host} on ${cap.lun} (class "${cap.className}") from ${capText(cap.iopsLimit, cap.mbpsLimit)} to ${capText(iopsLimit, mbpsLimit)}: ${why}`;
    result.changes.push({ gatewayId, host: cap.host, lun: cap.lun, className: cap.className, kind, iopsLimit, mbpsLimit, previousIopsLimit: cap.iopsLimit, previousMbpsLimit: cap.mbpsLimit, protects: null, reason });
    result.explanations.push(`gateway ${gatewayId}: ${reason}`);
  }
}

/** Throttleable classes less important than `cls`, with their active pairs on this gateway. */
function victimsOf(cls: ResolvedClass, classes: readonly ResolvedClass[], pairs: readonly Pair[]): Pair[] {
  const lower = new Set(classes.filter((c) => c.priority > cls.priority && c.throttleable).map((c) => c.name));
  return pairs.filter((p) => lower.has(p.cls.name));
}

function floorPair(cls: ResolvedClass): [number, number] {
  return [Math.max(cls.floor.iops, cls.reservation.iops), Math.max(cls.floor.mbps, cls.reservation.mbps)];
}

function limitOf(value: number, classLimit: number): number {
  if (!Number.isFinite(value)) return classLimit;
  return classLimit > 0 ? Math.min(value, classLimit) : value;
}

function usesLessThan(entry: StatsEntry, cap: PairCap, share: number): boolean {
  const iopsBound = cap.iopsLimit > 0 && entry.iops >= cap.iopsLimit * share;
  const mbpsBound = cap.mbpsLimit > 0 && entry.mbps >= cap.mbpsLimit * share;
  return !iopsBound && !mbpsBound;
}

/**
 * Takes `share` of the victims' total rate in one dimension, least important class first,
 * equal priorities in inverse proportion to weight, each pair down to its floor at most.
 * Returns the new cap per pair key (only pairs that give something up).
 */
function distributeCut(victims: readonly Pair[], caps: Readonly<Record<string, PairCap>>, gatewayId: string, dim: keyof RatePair, share: number): Map<string, number> {
  const out = new Map<string, number>();
  const base = (p: Pair): number => {
    const key = pairKey(gatewayId, p.entry.host, p.entry.lun);
    const capped = caps[key]?.[dim === 'iops' ? 'iopsLimit' : 'mbpsLimit'] ?? 0;
    return capped > 0 ? Math.min(capped, p.entry[dim]) : p.entry[dim];
  };
  const floorOf = (p: Pair): number => Math.max(p.cls.floor[dim], p.cls.reservation[dim]);
  let remaining = share * victims.reduce((s, p) => s + base(p), 0);
  if (remaining <= 0) return out;
  const priorities = [...new Set(victims.map((v) => v.cls.priority))].sort((a, b) => b - a);
  for (const priority of priorities) {
    if (remaining <= 0) break;
    const level = victims.filter((v) => v.cls.priority === priority);
    // Equal priority: each pair's share of the cut is proportional to its headroom over the floor divided by its class weight.
    const room = level.map((p) => Math.max(0, base(p) - floorOf(p)));
    const totalRoom = room.reduce((s, r) => s + r, 0);
    if (totalRoom <= 0) continue;
    const take = Math.min(remaining, totalRoom);
    // Water-filling: a pair that reaches its floor passes the rest of its share to the others of its level.
    const give = level.map(() => 0);
    let left = take;
    for (let round_ = 0; round_ < level.length && left > 1e-9; round_++) {
      const open = level.map((_, i) => i).filter((i) => room[i]! - give[i]! > 1e-9);
      const totalPressure = open.reduce((s, i) => s + (room[i]! - give[i]!) / level[i]!.cls.weight, 0);
      if (totalPressure <= 0) break;
      let given = 0;
      for (const i of open) {
        const g = Math.min(room[i]! - give[i]!, left * ((room[i]! - give[i]!) / level[i]!.cls.weight) / totalPressure);
        give[i] = give[i]! + g;
        given += g;
      }
      left -= given;
    }
    let taken = 0;
    level.forEach((p, i) => {
      if (give[i]! <= 0) return;
      taken += give[i]!;
      out.set(pairKey(gatewayId, p.entry.host, p.entry.lun), Math.max(floorOf(p), round(base(p) - give[i]!, dim), dim === 'iops' ? 1 : 0.01));
    });
    remaining -= taken;
  }
  return out;
}
