import type { MeasuredBusParameters } from '../bus/measured-parameters.js';

/**
 * The latency law the probe fits, M/D/1-like:
 *
 *   L(X) = L0 + a * rho + s * rho / (2 (1 - rho)),   rho = X / peak,   s = lineBytes / peak
 *
 * L0 the idle latency, s the bus occupancy of one line at peak, a the arbitration cost paid when a
 * transaction finds the bus busy (probability rho). The queueing term is Pollaczek-Khinchine's wait
 * with deterministic service: a memory transaction moves one fixed-size line, so its service time
 * barely varies (M/D/1), and the arrivals of several independent streams superpose to nearly
 * Poisson. M/M/1 would double that term at every utilisation and put the knee too early for a
 * fixed-size transfer. L0 and s are measured; only a is fitted, by linear least squares (closed
 * form, clipped at 0 since arbitration cannot speed the bus up).
 */
export const PROBE_MODEL = 'M/D/1: L = L0 + a*rho + s*rho/(2(1-rho)), rho = bandwidth/peak, s = lineBytes/peak; a fitted by least squares';

/**
 * Utilisation is capped here. The peak is by definition a measured point, where rho = 1 and the open
 * M/D/1 queue would wait forever; the probe is a closed system of K threads, each with a bounded
 * number of line fills in flight (about 10 per core on current x86 and Arm cores), so a transaction
 * never waits behind more than about that many. At 0.95 the queueing term is 9.5 service times.
 */
const MAX_RHO = 0.95;

export interface BusProbeFit extends MeasuredBusParameters {
  model: string;
  /** Points the fit used. */
  points: number;
}

export interface FitInput {
  idleLatencyNs: number;
  lineBytes: number;
  peakBandwidthBytesPerSec: number;
  hardwareThreads: number;
  points: ReadonlyArray<{ bandwidthBytesPerSec: number; latencyNs: number }>;
}

/**
 * The model's latency at a bandwidth, ns: the one place the fitted curve is computed, so the
 * What-if view's model line can later come from the measured bus law's own mapping instead.
 */
export function probeModelLatencyNs(p: Pick<MeasuredBusParameters, 'idleLatencyNs' | 'peakBandwidthBytesPerSec' | 'transactionServiceNs' | 'arbitrationNs'>, bandwidthBytesPerSec: number): number {
  const rho = Math.min(MAX_RHO, Math.max(0, bandwidthBytesPerSec / p.peakBandwidthBytesPerSec));
  return p.idleLatencyNs + p.arbitrationNs * rho + (p.transactionServiceNs * rho) / (2 * (1 - rho));
}

export function fitBusParameters(input: FitInput): BusProbeFit {
  const { idleLatencyNs, lineBytes, peakBandwidthBytesPerSec: peak } = input;
  if (!(idleLatencyNs > 0) || !(peak > 0) || !(lineBytes > 0)) throw new RangeError('probe fit: idle latency, line size and peak bandwidth must be more than 0');
  const transactionServiceNs = (lineBytes / peak) * 1e9;
  const base = { idleLatencyNs, peakBandwidthBytesPerSec: peak, transactionServiceNs, arbitrationNs: 0 };
  // Residual after the measured part of the law, against rho: slope through the origin.
  let sxy = 0;
  let sxx = 0;
  for (const pt of input.points) {
    const rho = Math.min(MAX_RHO, pt.bandwidthBytesPerSec / peak);
    sxy += rho * (pt.latencyNs - probeModelLatencyNs(base, pt.bandwidthBytesPerSec));
    sxx += rho * rho;
  }
  const arbitrationNs = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  const fitted = { ...base, arbitrationNs };
  const sq = input.points.reduce((sum, pt) => sum + (pt.latencyNs - probeModelLatencyNs(fitted, pt.bandwidthBytesPerSec)) ** 2, 0);
  return {
    ...fitted,
    lineBytes,
    fitRmsErrorNs: input.points.length > 0 ? Math.sqrt(sq / input.points.length) : 0,
    hardwareThreads: input.hardwareThreads,
    model: PROBE_MODEL,
    points: input.points.length,
  };
}
