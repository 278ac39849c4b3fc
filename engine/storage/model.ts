import { fitUsl, type Interval, type UslFit } from '../analysis/index.js';
import { fitLine } from './regression.js';
import type { ProbeStep } from './probe.js';

/**
 * The load–latency model of one LUN, from a probe's closed-loop steps (fio keeps N I/Os in flight).
 *
 * Why this model: with N requests always outstanding, Little's law gives R = N / X exactly. Once the
 * bottleneck (service demand D per I/O) is busy all the time, X = 1/D and so R(N) = a + D·N: mean
 * latency grows linearly in N with slope D, whatever the service-time distribution. That is the
 * asymptotic bound of closed-network MVA, and it is what a rate-limited or spindle-bound LUN shows.
 * A straight-line fit over the saturated steps gives D with an ordinary least-squares interval,
 * and capacity = 1/D. Steps before the knee say nothing about D, so they are left out, and when too
 * few steps are saturated the fit is refused rather than extrapolated.
 * USL on IOPS against iodepth is fitted beside it (the analysis module's fit), for its shape.
 */

export const MIN_STEPS = 4;
/** A step counts as saturated when its IOPS is within 20% of the highest seen. */
export const SATURATED_SHARE = 0.8;
export const MIN_SATURATED_STEPS = 3;
/** The last step must reach this share of the fitted capacity, or the probe did not reach load. */
export const REACHED_SHARE = 0.7;

export interface Estimate extends Interval { value: number }

export type LatencyMeasure = 'mean' | 'p50' | 'p95' | 'p99';

export interface StorageModel {
  fitted: true;
  /** Fitted maximum throughput at the probe's block size: 1/D. */
  capacityIops: Estimate;
  capacityMbps: Estimate | null;
  /** Service demand D at the bottleneck, ms per I/O (slope of mean latency against iodepth). */
  serviceDemandMs: Estimate;
  /** Intercept a of R(N) = a + D·N, ms. */
  interceptMs: Estimate;
  /** Mean latency at the lowest depth: the unloaded latency. */
  unloadedMs: number;
  /** Percentile ÷ mean latency over the saturated steps (median), to carry a percentile target onto the mean. */
  percentileRatio: Record<LatencyMeasure, number>;
  rSquared: number;
  confidence: number;
  steps: number;
  saturatedDepths: number[];
  usl: Omit<UslFit, 'curve'> | { error: string };
}

export interface FitRefusal { fitted: false; reason: string }

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Fit the model to a probe's steps, or say why the steps cannot support one. */
export function fitStorageModel(steps: readonly ProbeStep[], blockBytes: number | null = null, confidence = 0.95): StorageModel | FitRefusal {
  if (steps.length < MIN_STEPS) return { fitted: false, reason: `needs at least ${MIN_STEPS} probe steps; got ${steps.length}` };
  for (const [i, s] of steps.entries()) {
    if (![s.iodepth, s.iops, s.meanMs].every((v) => Number.isFinite(v) && v > 0)) {
      return { fitted: false, reason: `step ${i + 1}: iodepth, iops and meanMs must be numbers > 0` };
    }
  }
  const maxIops = Math.max(...steps.map((s) => s.iops));
  const saturated = steps.filter((s) => s.iops >= SATURATED_SHARE * maxIops);
  if (new Set(saturated.map((s) => s.iodepth)).size < MIN_SATURATED_STEPS) {
    return { fitted: false, reason: `throughput is still rising: only ${saturated.length} step(s) within ${Math.round((1 - SATURATED_SHARE) * 100)}% of the highest IOPS (${maxIops.toFixed(0)}), ${MIN_SATURATED_STEPS} needed; probe to a higher iodepth` };
  }
  // Ordinary least squares of mean latency (ms) on N over the saturated steps.
  const xs = saturated.map((s) => s.iodepth);
  const line = fitLine(xs, saturated.map((s) => s.meanMs), confidence);
  if (!line || !(line.slope > 0)) return { fitted: false, reason: 'mean latency does not rise with iodepth over the saturated steps: no bottleneck found' };
  const d = line.slope;
  const a = line.intercept;
  const hd = line.t * Math.sqrt(line.varSlope);
  const ha = line.t * Math.sqrt(line.varIntercept);
  const capacity = 1000 / d;
  const last = steps.reduce((p, s) => (s.iodepth > p.iodepth ? s : p));
  if (last.iops < REACHED_SHARE * capacity) {
    return { fitted: false, reason: `the probe did not reach load: the deepest step's ${last.iops.toFixed(0)} IOPS is under ${REACHED_SHARE * 100}% of the fitted ${capacity.toFixed(0)} IOPS` };
  }
  const capacityIops: Estimate = { value: capacity, low: 1000 / (d + hd), high: d - hd > 0 ? 1000 / (d - hd) : Infinity };
  const ratio = (f: (s: ProbeStep) => number): number => median(saturated.map((s) => f(s) / s.meanMs).filter(Number.isFinite));
  let usl: StorageModel['usl'];
  try {
    const { curve: _curve, ...rest } = fitUsl(steps.map((s) => ({ n: s.iodepth, throughput: s.iops })), confidence);
    usl = rest;
  } catch (err) {
    usl = { error: err instanceof Error ? err.message : String(err) };
  }
  const lowest = steps.reduce((p, s) => (s.iodepth < p.iodepth ? s : p));
  return {
    fitted: true,
    capacityIops,
    capacityMbps: blockBytes === null ? null : { value: (capacity * blockBytes) / 1e6, low: (capacityIops.low * blockBytes) / 1e6, high: (capacityIops.high * blockBytes) / 1e6 },
    serviceDemandMs: { value: d, low: Math.max(0, d - hd), high: d + hd },
    interceptMs: { value: a, low: a - ha, high: a + ha },
    unloadedMs: lowest.meanMs,
    percentileRatio: { mean: 1, p50: ratio((s) => s.p50Ms), p95: ratio((s) => s.p95Ms), p99: ratio((s) => s.p99Ms) },
    rSquared: line.rSquared,
    confidence,
    steps: steps.length,
    saturatedDepths: xs,
    usl,
  };
}

export interface HeadroomQuery {
  targetMs: number;
  measure: LatencyMeasure;
  peakIops: number;
}

export interface Headroom {
  targetMs: number;
  measure: LatencyMeasure;
  /** The target carried onto mean latency by the measured percentile ÷ mean ratio. */
  meanTargetMs: number;
  /**
   * IOPS at which latency crosses the target for independent (open, Poisson) arrivals: the
   * bottleneck as M/M/1 with service D plus the fixed delay seen unloaded, R(X) = F + D / (1 − X·D).
   * Conservative: real service times vary less than exponential, so latency rises later.
   */
  loadAtTargetIops: Estimate;
  /** The same for closed-loop clients at fixed concurrency (as the probe): R(N) = max(unloaded, a + D·N). */
  closedLoopIops: Estimate;
  peakIops: number;
  /** (load at target ÷ peak − 1) × 100: how much more load fits before the target breaks; negative when already broken. */
  headroomPercent: Estimate;
  reachable: boolean;
}

/** The load at which latency crosses a class's target, and headroom over today's peak. */
export function headroomAt(model: StorageModel, q: HeadroomQuery): Headroom {
  if (!(q.targetMs > 0)) throw new Error(`--target-ms: must be a number > 0 (got ${q.targetMs})`);
  if (!(q.peakIops >= 0)) throw new Error(`--peak-iops: must be a number ≥ 0 (got ${q.peakIops})`);
  const tm = q.targetMs / model.percentileRatio[q.measure];
  const fixed = Math.max(0, model.unloadedMs - model.serviceDemandMs.value);
  const open = (d: number): number => (tm - fixed <= d ? 0 : (1000 / d) * (1 - d / (tm - fixed)));
  const closed = (d: number): number => {
    if (tm < model.unloadedMs) return 0;
    const n = (tm - model.interceptMs.value) / d;
    return Math.min(1000 / d, n / tm * 1000);
  };
  const est = (f: (d: number) => number): Estimate => {
    const { value, low, high } = model.serviceDemandMs;
    // Both are falling in D: the slow end of D's interval gives the low load.
    return { value: f(value), low: f(high), high: low > 0 ? f(low) : Infinity };
  };
  const loadAtTargetIops = est(open);
  const pct = (x: number): number => (q.peakIops > 0 ? (x / q.peakIops - 1) * 100 : Infinity);
  return {
    targetMs: q.targetMs,
    measure: q.measure,
    meanTargetMs: tm,
    loadAtTargetIops,
    closedLoopIops: est(closed),
    peakIops: q.peakIops,
    headroomPercent: { value: pct(loadAtTargetIops.value), low: pct(loadAtTargetIops.low), high: pct(loadAtTargetIops.high) },
    reachable: loadAtTargetIops.value > 0,
  };
}
