import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { invertMatrix, studentTQuantile } from './stats.js';

/** One measured (or simulated) point of a throughput series. */
export interface ThroughputPoint {
  n: number;
  throughput: number;
}

export interface Interval {
  low: number;
  high: number;
}

export interface UslFit {
  sigma: number;
  kappa: number;
  lambda: number;
  /** N* = sqrt((1 − σ) / κ); null when κ is 0 (throughput never turns down). */
  peakN: number | null;
  peakThroughput: number | null;
  /** 95% confidence intervals from the Jacobian at the solution (Student t, m − 3 degrees of freedom). */
  intervals: { sigma: Interval; kappa: Interval; lambda: Interval };
  confidence: number;
  /** Coefficient of determination of the fit. */
  rSquared: number;
  residualStdError: number;
  points: number;
  /** The fitted curve from 1 to max(2·N*, max N), for charts. */
  curve: ThroughputPoint[];
}

/** An error the user can fix (too few points, bad numbers); the message names the place. */
export class UslInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UslInputError';
  }
}

export const USL_MIN_POINTS = 6;

/** X(N) = λN / (1 + σ(N − 1) + κN(N − 1)). */
export function uslThroughput(n: number, sigma: number, kappa: number, lambda: number): number {
  return (lambda * n) / (1 + sigma * (n - 1) + kappa * n * (n - 1));
}

function jacobianRow(n: number, sigma: number, kappa: number, lambda: number): [number, number, number] {
  const d = 1 + sigma * (n - 1) + kappa * n * (n - 1);
  const x = (lambda * n) / d;
  return [(-x * (n - 1)) / d, (-x * n * (n - 1)) / d, n / d];
}

function sse(points: readonly ThroughputPoint[], p: readonly number[]): number {
  let s = 0;
  for (const pt of points) s += (pt.throughput - uslThroughput(pt.n, p[0]!, p[1]!, p[2]!)) ** 2;
  return s;
}

/**
 * Fit the Universal Scalability Law by bounded Levenberg-Marquardt (σ, κ in [0, 1], λ > 0),
 * from several starting points, keeping the best. Throughput is scaled to about 1 while fitting so
 * the optimiser's tolerances mean the same for requests/s and for instructions per cycle.
 */
export function fitUsl(input: readonly ThroughputPoint[], confidence = 0.95): UslFit {
  if (input.length < USL_MIN_POINTS) {
    throw new UslInputError(`a USL fit needs at least ${USL_MIN_POINTS} points (N, throughput); got ${input.length}`);
  }
  input.forEach((p, i) => {
    if (!Number.isFinite(p.n) || p.n <= 0) throw new UslInputError(`point ${i + 1}: N must be a number > 0 (got ${p.n})`);
    if (!Number.isFinite(p.throughput) || p.throughput < 0) throw new UslInputError(`point ${i + 1}: throughput must be a number ≥ 0 (got ${p.throughput})`);
  });
  if (new Set(input.map((p) => p.n)).size < 3) throw new UslInputError('a USL fit needs at least 3 different values of N');
  const scale = Math.max(...input.map((p) => p.throughput)) || 1;
  const points = input.map((p) => ({ n: p.n, throughput: p.throughput / scale }));
  const minN = Math.min(...points.map((p) => p.n));
  const lambda0 = Math.max(...points.filter((p) => p.n === minN).map((p) => p.throughput / p.n), 1e-6);

  let best: number[] = [0, 0, lambda0];
  let bestSse = sse(points, best);
  for (const start of [[0.01, 0.001], [0.1, 0.0001], [0.3, 0.01], [0.001, 0.1], [0.05, 0.05]] as const) {
    const result = levenbergMarquardt(
      { x: points.map((p) => p.n), y: points.map((p) => p.throughput) },
      (p: number[]) => (n: number) => uslThroughput(n, p[0]!, p[1]!, p[2]!),
      {
        initialValues: [start[0], start[1], lambda0],
        minValues: [0, 0, 1e-12],
        maxValues: [1, 1, lambda0 * 100],
        maxIterations: 500,
        errorTolerance: 1e-12,
        damping: 1e-3,
        jacobianFunction: (p: number[]) => (n: number) => jacobianRow(n, p[0]!, p[1]!, p[2]!),
      },
    );
    const s = sse(points, result.parameterValues);
    if (s < bestSse) { bestSse = s; best = result.parameterValues; }
  }
  const [sigma, kappa, lambdaScaled] = best as [number, number, number];
  const lambda = lambdaScaled * scale;

  // Covariance s²(JᵀJ)⁻¹ at the solution, in the original units.
  const m = input.length;
  const dof = Math.max(1, m - 3);
  const jtj = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  let residual = 0;
  let total = 0;
  const meanX = input.reduce((s, p) => s + p.throughput, 0) / m;
  for (const p of input) {
    const row = jacobianRow(p.n, sigma, kappa, lambda);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) jtj[a]![b]! += row[a]! * row[b]!;
    residual += (p.throughput - uslThroughput(p.n, sigma, kappa, lambda)) ** 2;
    total += (p.throughput - meanX) ** 2;
  }
  const s2 = residual / dof;
  const cov = invertMatrix(jtj);
  const t = studentTQuantile(1 - (1 - confidence) / 2, dof);
  const half = (i: number): number => (cov ? t * Math.sqrt(Math.max(0, s2 * cov[i]![i]!)) : Infinity);
  const interval = (v: number, i: number, lo: number, hi: number): Interval => ({ low: Math.max(lo, v - half(i)), high: Math.min(hi, v + half(i)) });

  const peakN = kappa > 0 ? Math.sqrt((1 - sigma) / kappa) : null;
  const maxN = Math.max(...input.map((p) => p.n));
  const curveEnd = Math.max(maxN, peakN !== null && Number.isFinite(peakN) ? Math.min(2 * peakN, 100 * maxN) : maxN);
  const steps = 200;
  const curve: ThroughputPoint[] = [];
  for (let i = 0; i <= steps; i++) {
    const n = 1 + ((curveEnd - 1) * i) / steps;
    curve.push({ n, throughput: uslThroughput(n, sigma, kappa, lambda) });
  }
  return {
    sigma,
    kappa,
    lambda,
    peakN,
    peakThroughput: peakN === null ? null : uslThroughput(peakN, sigma, kappa, lambda),
    intervals: { sigma: interval(sigma, 0, 0, 1), kappa: interval(kappa, 1, 0, 1), lambda: interval(lambda, 2, 0, Infinity) },
    confidence,
    rSquared: total > 0 ? 1 - residual / total : 1,
    residualStdError: Math.sqrt(s2),
    points: m,
    curve,
  };
}
