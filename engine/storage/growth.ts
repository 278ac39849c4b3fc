import type { Estimate, FitRefusal } from './model.js';
import { bandAt, fitLine, lineAt, type LineFit } from './regression.js';

/**
 * Growth of a LUN's demand over time, and when it meets a limit (capacity, or the load at a
 * class's latency target).
 *
 * Two trends are fitted by least squares on the same points, linear (IOPS = a + b·day) and
 * exponential (ln IOPS = a + b·day), and the one with the smaller squared error in IOPS is kept:
 * both have two parameters, so this is also the choice by AIC. The band is the confidence band
 * of the trend's mean (not of single hours, whose noise does not move the date); the date's band
 * takes the fast end of the trend to the low end of the limit, and the slow end to the high end.
 */

export const MIN_POINTS = 24;
const DAY = 86_400_000;

export type TrendKind = 'linear' | 'exponential';

export interface DemandPoint { t: number; iops: number }

export interface GrowthTrend {
  fitted: true;
  kind: TrendKind;
  /** linear: IOPS per day; exponential: growth per day, % (compounded). */
  rate: Estimate;
  rateUnit: 'iops/day' | '%/day';
  /** Epoch ms of day 0 (the first point). */
  origin: number;
  points: number;
  from: number;
  to: number;
  /** The trend's IOPS at the last point, with its band. */
  currentIops: Estimate;
  rSquared: number;
  confidence: number;
  line: LineFit;
}

export interface Exhaustion {
  limitIops: Estimate;
  /** Epoch ms when the trend meets the limit; null when not within the horizon. */
  at: number | null;
  earliest: number | null;
  latest: number | null;
  horizonDays: number;
  alreadyExceeded: boolean;
}

export function fitGrowth(points: readonly DemandPoint[], confidence = 0.95): GrowthTrend | FitRefusal {
  const ok = points.filter((p) => Number.isFinite(p.t) && p.iops > 0).sort((a, b) => a.t - b.t);
  if (ok.length < MIN_POINTS) return { fitted: false, reason: `needs at least ${MIN_POINTS} active points of demand; got ${ok.length}` };
  const origin = ok[0]!.t;
  const days = ok.map((p) => (p.t - origin) / DAY);
  const iops = ok.map((p) => p.iops);
  const linear = fitLine(days, iops, confidence, undefined, true);
  const exponential = fitLine(days, iops.map(Math.log), confidence, undefined, true);
  if (!linear || !exponential) return { fitted: false, reason: 'every point has the same time' };
  const sse = (f: (d: number) => number): number => days.reduce((s, d, i) => s + (iops[i]! - f(d)) ** 2, 0);
  const kind: TrendKind = sse((d) => Math.exp(lineAt(exponential, d))) < sse((d) => lineAt(linear, d)) ? 'exponential' : 'linear';
  const line = kind === 'linear' ? linear : exponential;
  const h = line.t * Math.sqrt(line.varSlope);
  const rate: Estimate = kind === 'linear'
    ? { value: line.slope, low: line.slope - h, high: line.slope + h }
    : { value: 100 * Math.expm1(line.slope), low: 100 * Math.expm1(line.slope - h), high: 100 * Math.expm1(line.slope + h) };
  const last = days[days.length - 1]!;
  const trend = trendAt({ kind, line } as GrowthTrend, last);
  return {
    fitted: true, kind, rate, rateUnit: kind === 'linear' ? 'iops/day' : '%/day', origin, points: ok.length,
    from: origin, to: ok[ok.length - 1]!.t, currentIops: trend, rSquared: line.rSquared, confidence, line,
  };
}

/** The trend's IOPS on a day (since the origin), with the band of its mean. */
export function trendAt(g: Pick<GrowthTrend, 'kind' | 'line'>, day: number): Estimate {
  const y = lineAt(g.line, day);
  const b = bandAt(g.line, day);
  const back = g.kind === 'linear' ? (v: number): number => v : Math.exp;
  return { value: back(y), low: back(y - b), high: back(y + b) };
}

/** When the trend meets the limit, searched hour by hour from the last point up to `horizonDays` ahead. */
export function exhaustion(g: GrowthTrend, limitIops: Estimate, horizonDays = 365): Exhaustion {
  const start = (g.to - g.origin) / DAY;
  const first = (f: (day: number) => boolean): number | null => {
    if (f(start)) return g.to;
    const step = 1 / 24;
    for (let d = start + step; d <= start + horizonDays + 1e-9; d += step) {
      if (!f(d)) continue;
      let lo = d - step, hi = d;
      for (let k = 0; k < 30; k++) { const mid = (lo + hi) / 2; if (f(mid)) hi = mid; else lo = mid; }
      return g.origin + hi * DAY;
    }
    return null;
  };
  const at = first((d) => trendAt(g, d).value >= limitIops.value);
  return {
    limitIops,
    at,
    earliest: first((d) => trendAt(g, d).high >= limitIops.low),
    latest: Number.isFinite(limitIops.high) ? first((d) => trendAt(g, d).low >= limitIops.high) : null,
    horizonDays,
    alreadyExceeded: trendAt(g, start).value >= limitIops.value,
  };
}
