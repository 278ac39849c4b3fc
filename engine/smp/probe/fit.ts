import { LOADED_LATENCY_LAW, MAX_LOADED_UTILISATION, measuredLoadedLatencyNs } from '../bus/loaded-latency.js';
import type { MeasuredBusParameters } from '../bus/measured-parameters.js';

/**
 * The probe fits the measured bus law's loaded-latency form (engine/smp/bus/loaded-latency.ts):
 * L0 (idle latency) and s (lineBytes / peak) are measured; only the arbitration cost a is fitted,
 * by linear least squares (closed form, clipped at 0 since arbitration cannot speed the bus up).
 */
export const PROBE_MODEL = LOADED_LATENCY_LAW;

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

export function fitBusParameters(input: FitInput): BusProbeFit {
  const { idleLatencyNs, lineBytes, peakBandwidthBytesPerSec: peak } = input;
  if (!(idleLatencyNs > 0) || !(peak > 0) || !(lineBytes > 0)) throw new RangeError('probe fit: idle latency, line size and peak bandwidth must be more than 0');
  const transactionServiceNs = (lineBytes / peak) * 1e9;
  const base: MeasuredBusParameters = { idleLatencyNs, lineBytes, peakBandwidthBytesPerSec: peak, transactionServiceNs, arbitrationNs: 0, fitRmsErrorNs: 0, hardwareThreads: input.hardwareThreads };
  // Residual after the measured part of the law, against rho: slope through the origin.
  let sxy = 0;
  let sxx = 0;
  for (const pt of input.points) {
    const rho = Math.min(MAX_LOADED_UTILISATION, pt.bandwidthBytesPerSec / peak);
    sxy += rho * (pt.latencyNs - measuredLoadedLatencyNs(base, pt.bandwidthBytesPerSec));
    sxx += rho * rho;
  }
  const arbitrationNs = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
  const fitted = { ...base, arbitrationNs };
  const sq = input.points.reduce((sum, pt) => sum + (pt.latencyNs - measuredLoadedLatencyNs(fitted, pt.bandwidthBytesPerSec)) ** 2, 0);
  return {
    ...fitted,
    lineBytes,
    fitRmsErrorNs: input.points.length > 0 ? Math.sqrt(sq / input.points.length) : 0,
    hardwareThreads: input.hardwareThreads,
    model: PROBE_MODEL,
    points: input.points.length,
  };
}
