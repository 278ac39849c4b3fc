import { studentTQuantile, type Interval } from '../analysis/index.js';

/** A straight line y = intercept + slope·x fitted by (weighted) least squares, with what its intervals need. */
export interface LineFit {
  intercept: number;
  slope: number;
  /** Residual variance (weighted), SSE / (n − 2). */
  s2: number;
  varIntercept: number;
  varSlope: number;
  covariance: number;
  n: number;
  dof: number;
  rSquared: number;
  /** Two-sided Student t quantile at the fit's confidence and dof. */
  t: number;
  /** Lag-1 autocorrelation of the residuals in input order, and the factor it inflated the variances by. */
  residualAutocorrelation: number;
  varianceInflation: number;
  /** Weighted mean of x and the weighted sum of squares about it, for bands about the line. */
  meanX: number;
  sxx: number;
  sumWeights: number;
}

/**
 * Least squares of ys on xs (weights: inverse variances, up to a common factor). Null when x does
 * not vary. Points given in time order whose residuals are correlated (a busy hour follows a busy
 * hour) carry less information than their number says: the variances are inflated by
 * (1 + ρ)/(1 − ρ), ρ the residuals' lag-1 autocorrelation, and the t quantile takes the effective
 * number of points n(1 − ρ)/(1 + ρ), the AR(1) correction, when `serial` says the order is time.
 * Negative ρ is not credited.
 */
export function fitLine(xs: readonly number[], ys: readonly number[], confidence = 0.95, weights?: readonly number[], serial = false): LineFit | null {
  const n = xs.length;
  if (n < 3 || ys.length !== n) return null;
  const w = (i: number): number => weights?.[i] ?? 1;
  let sw = 0, sx = 0, sy = 0;
  for (let i = 0; i < n; i++) { sw += w(i); sx += w(i) * xs[i]!; sy += w(i) * ys[i]!; }
  const mx = sx / sw;
  const my = sy / sw;
  let sxx = 0, sxy = 0, sst = 0;
  for (let i = 0; i < n; i++) {
    sxx += w(i) * (xs[i]! - mx) ** 2;
    sxy += w(i) * (xs[i]! - mx) * (ys[i]! - my);
    sst += w(i) * (ys[i]! - my) ** 2;
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let sse = 0;
  const res = xs.map((x, i) => Math.sqrt(w(i)) * (ys[i]! - (intercept + slope * x)));
  for (const r of res) sse += r * r;
  let lag = 0;
  for (let i = 1; i < n; i++) lag += res[i]! * res[i - 1]!;
  const rho = serial && sse > 0 ? Math.min(0.99, Math.max(0, lag / sse)) : 0;
  const inflation = (1 + rho) / (1 - rho);
  const dof = Math.max(1, Math.round(n / inflation) - 2);
  const s2 = (sse / (n - 2)) * inflation;
  return {
    intercept, slope, s2,
    varIntercept: s2 * (1 / sw + (mx * mx) / sxx),
    varSlope: s2 / sxx,
    covariance: (-mx * s2) / sxx,
    n, dof,
    rSquared: sst > 0 ? 1 - sse / sst : 1,
    t: studentTQuantile(1 - (1 - confidence) / 2, dof),
    residualAutocorrelation: rho,
    varianceInflation: inflation,
    meanX: mx, sxx, sumWeights: sw,
  };
}

export const lineAt = (f: LineFit, x: number): number => f.intercept + f.slope * x;

/** Half-width of the confidence band of the line's mean at x. */
export const bandAt = (f: LineFit, x: number): number => f.t * Math.sqrt(f.s2 * (1 / f.sumWeights + (x - f.meanX) ** 2 / f.sxx));

/**
 * Where the line reaches y, with Fieller's interval: the x at which the line's confidence band
 * contains y. Bounded only when the slope is significantly non-zero; otherwise the interval is
 * the whole line and `bounded` is false (low and high are then ±Infinity).
 */
export function crossing(f: LineFit, y: number): Interval & { value: number; bounded: boolean } {
  const a = f.intercept - y;
  const b = f.slope;
  const t2 = f.t * f.t;
  const value = -a / b;
  // (a + b·x)² ≤ t²·(var a + 2x·cov + x²·var b), a quadratic in x.
  const qa = b * b - t2 * f.varSlope;
  const qb = 2 * (a * b - t2 * f.covariance);
  const qc = a * a - t2 * f.varIntercept;
  const disc = qb * qb - 4 * qa * qc;
  if (!(qa > 0) || disc < 0) return { value, low: -Infinity, high: Infinity, bounded: false };
  const r1 = (-qb - Math.sqrt(disc)) / (2 * qa);
  const r2 = (-qb + Math.sqrt(disc)) / (2 * qa);
  return { value, low: Math.min(r1, r2), high: Math.max(r1, r2), bounded: true };
}
