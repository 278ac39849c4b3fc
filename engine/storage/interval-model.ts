import type { Estimate, FitRefusal } from './model.js';
import type { LunInterval } from './intervals.js';
import { crossing, fitLine, lineAt, type LineFit } from './regression.js';

/**
 * The load–latency model of one LUN from the intervals the SLA server stored: open traffic, many
 * hosts, load set by the applications rather than by a probe. Here the percentile latency is
 * fitted as a single queue, R_q(X) = S_q / (1 − X / C): the M/M/1 law, whose every percentile
 * has this shape (−ln(1 − q)·D / (1 − ρ)), and the law the analyzer's own storage model uses.
 *
 * Why this form. It has two parameters, both meaningful (S_q the unloaded latency, C the
 * capacity), and it is linear in reciprocal latency: 1/R = 1/S − X/(S·C). So C is where the
 * straight line of 1/R on X reaches zero, fitted by weighted least squares (weights R², so each
 * interval counts by its relative error, as a latency measurement's noise is), and its interval
 * is Fieller's interval of that crossing: no linearisation of a ratio. A fixed delay outside the
 * queue is left out on purpose: with the load the SLA data cover, it cannot be told apart from S.
 */

export const MIN_INTERVALS = 12;
/** The busiest interval must reach this share of the fitted capacity: below it the curve is extrapolated too far. */
export const MIN_UTILISATION = 0.5;
/** Share of the intervals (oldest first) the held-out check fits on; it predicts the rest. */
export const TRAIN_SHARE = 0.7;

export type IntervalMeasure = 'p50' | 'p95' | 'p99';

export interface IntervalModel {
  fitted: true;
  measure: IntervalMeasure;
  capacityIops: Estimate;
  /** The measure's latency at no load, ms. */
  unloadedMs: Estimate;
  /** MB/s at capacity, at the intervals' mean I/O size. */
  capacityMbps: Estimate | null;
  rSquared: number;
  confidence: number;
  intervals: number;
  peakIops: number;
  /** Busiest interval ÷ fitted capacity. */
  peakUtilisation: number;
  line: LineFit;
}

export interface HeldOut {
  trainIntervals: number;
  testIntervals: number;
  /** Absolute relative error of the predicted latency over the held-out intervals, %. */
  medianAbsErrorPercent: number;
  meanAbsErrorPercent: number;
  p90AbsErrorPercent: number;
  /** The capacity fitted on the training part alone. */
  trainCapacityIops: Estimate;
}

const latencyOf = (i: LunInterval, m: IntervalMeasure): number => (m === 'p50' ? i.p50Ms : m === 'p95' ? i.p95Ms : i.p99Ms);

export function fitIntervalModel(intervals: readonly LunInterval[], measure: IntervalMeasure = 'p50', confidence = 0.95): IntervalModel | FitRefusal {
  const usable = [...intervals].sort((a, b) => a.t - b.t).filter((i) => Number.isFinite(i.iops) && i.iops > 0 && latencyOf(i, measure) > 0);
  if (usable.length < MIN_INTERVALS) return { fitted: false, reason: `needs at least ${MIN_INTERVALS} active intervals with ${measure} latency; got ${usable.length}` };
  const xs = usable.map((i) => i.iops);
  const rs = usable.map((i) => latencyOf(i, measure));
  const line = fitLine(xs, rs.map((r) => 1 / r), confidence, rs.map((r) => r * r), true);
  if (!line) return { fitted: false, reason: 'every interval has the same IOPS: the load does not vary, so its effect on latency cannot be seen' };
  if (!(line.slope < 0) || !(line.intercept > 0)) return { fitted: false, reason: `${measure} latency does not rise with load over these intervals: they do not show the LUN's limit` };
  const cap = crossing(line, 0);
  if (!cap.bounded) return { fitted: false, reason: `the rise of ${measure} latency with load is not significant at ${confidence * 100}%: the capacity cannot be bounded` };
  const peakIops = Math.max(...xs);
  if (peakIops < MIN_UTILISATION * cap.value) {
    return { fitted: false, reason: `the intervals do not cover enough of the load range: the busiest (${peakIops.toFixed(0)} IOPS) is ${(100 * peakIops / cap.value).toFixed(0)}% of the fitted ${cap.value.toFixed(0)} IOPS, ${MIN_UTILISATION * 100}% needed` };
  }
  const ioBytes = usable.reduce((s, i) => s + i.mbps, 0) / usable.reduce((s, i) => s + i.iops, 0);
  const alphaHalf = line.t * Math.sqrt(line.varIntercept);
  return {
    fitted: true,
    measure,
    capacityIops: { value: cap.value, low: Math.max(0, cap.low), high: cap.high },
    unloadedMs: { value: 1 / line.intercept, low: 1 / (line.intercept + alphaHalf), high: line.intercept > alphaHalf ? 1 / (line.intercept - alphaHalf) : Infinity },
    capacityMbps: ioBytes > 0 ? { value: cap.value * ioBytes, low: cap.low * ioBytes, high: cap.high * ioBytes } : null,
    rSquared: line.rSquared,
    confidence,
    intervals: usable.length,
    peakIops,
    peakUtilisation: peakIops / cap.value,
    line,
  };
}

/** The model's latency at a load, ms (Infinity at or past capacity). */
export function predictLatencyMs(model: IntervalModel, iops: number): number {
  const inv = lineAt(model.line, iops);
  return inv > 0 ? 1 / inv : Infinity;
}

/** The load at which the measure crosses a target, with Fieller's interval; Infinity when the target is never reached. */
export function loadAtTarget(model: IntervalModel, targetMs: number): Estimate {
  if (!(targetMs > 0)) throw new Error(`--target-ms: must be a number > 0 (got ${targetMs})`);
  if (targetMs <= model.unloadedMs.value) return { value: 0, low: 0, high: 0 };
  const c = crossing(model.line, 1 / targetMs);
  return { value: c.value, low: c.bounded ? Math.max(0, c.low) : 0, high: c.bounded ? c.high : Infinity };
}

/**
 * Fit on the oldest TRAIN_SHARE of the intervals and predict the latency of the rest from their
 * load: how well the model carries to intervals it has not seen.
 */
export function heldOutError(intervals: readonly LunInterval[], measure: IntervalMeasure = 'p50', confidence = 0.95): HeldOut | FitRefusal {
  const sorted = [...intervals].sort((a, b) => a.t - b.t);
  const cut = Math.floor(sorted.length * TRAIN_SHARE);
  const test = sorted.slice(cut).filter((i) => i.iops > 0 && latencyOf(i, measure) > 0);
  if (test.length < 3) return { fitted: false, reason: `too few intervals to hold any out: ${sorted.length} stored, ${test.length} left after the training ${cut}` };
  const model = fitIntervalModel(sorted.slice(0, cut), measure, confidence);
  if (!model.fitted) return { fitted: false, reason: `on the oldest ${cut} intervals: ${model.reason}` };
  const errors = test.map((i) => {
    const p = predictLatencyMs(model, i.iops);
    return Number.isFinite(p) ? (100 * Math.abs(p - latencyOf(i, measure))) / latencyOf(i, measure) : 100;
  }).sort((a, b) => a - b);
  const at = (q: number): number => errors[Math.min(errors.length - 1, Math.floor(q * errors.length))]!;
  return {
    trainIntervals: cut,
    testIntervals: test.length,
    medianAbsErrorPercent: at(0.5),
    meanAbsErrorPercent: errors.reduce((s, e) => s + e, 0) / errors.length,
    p90AbsErrorPercent: at(0.9),
    trainCapacityIops: model.capacityIops,
  };
}

const QUANTILE: Record<IntervalMeasure, number> = { p50: 0.5, p95: 0.95, p99: 0.99 };

/**
 * The mean service time at no load the fit implies, for the analyzer's storage model (M/M/1,
 * mean latency = S / (1 − ρ)): M/M/1's q-quantile of the response time is −ln(1 − q) times its mean.
 */
export function meanServiceMs(model: Pick<IntervalModel, 'measure' | 'unloadedMs'>): number {
  return model.unloadedMs.value / -Math.log(1 - QUANTILE[model.measure]);
}
