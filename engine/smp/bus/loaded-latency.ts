import type { MeasuredBusParameters } from './measured-parameters.js';
import { DEFAULT_CLOCK_GHZ, queueingParametersFromMeasurement, type QueueingBusParameters } from './queueing-parameters.js';

/**
 * Utilisation is capped here. The peak is by definition a measured point, where rho = 1 and the open
 * M/D/1 queue would wait forever; the probe is a closed system of K threads, each with a bounded
 * number of line fills in flight (about 10 per core on current x86 and Arm cores), so a transaction
 * never waits behind more than about that many. At 0.95 the queueing term is 9.5 service times.
 */
export const MAX_LOADED_UTILISATION = 0.95;

/** The loaded-latency law, in words, for charts and the probe's record. */
export const LOADED_LATENCY_LAW = 'M/D/1: L = L0 + a*rho + s*rho/(2(1-rho)), rho = bandwidth/peak, s = lineBytes/peak; a fitted by least squares';

/**
 * Loaded memory latency under the queueing bus with parameters `p`, at a bandwidth, ns: what a
 * pointer chase sees while others stream (the probe's measurement), so the measured law can be
 * drawn against the probe's curve. M/D/1-like:
 *
 *   L(X) = L0 + (a + r) * rho + s * rho / (2 (1 - rho)),   rho = X * s / lineBytes
 *
 * L0 the idle latency, s the bus occupancy of one line, a the arbitration and r the retry cost,
 * each paid when a transaction finds the bus busy (probability rho). The queueing term is
 * Pollaczek-Khinchine's wait with deterministic service: a memory transaction moves one fixed-size
 * line, so its service time barely varies, and several independent streams superpose to nearly
 * Poisson arrivals. M/M/1 would double that term and put the knee too early for a fixed-size
 * transfer. Parameters are in cycles (the law's unit); `clockGHz` turns them back into ns, so the
 * result does not depend on the clock a measurement was converted at.
 */
export function loadedLatencyNs(p: QueueingBusParameters, clockGHz: number, lineBytes: number, bandwidthBytesPerSec: number): number {
  if (p.idleLatencyCycles === null) throw new RangeError('loaded latency needs the idle latency, which these queueing parameters do not know');
  if (!(lineBytes > 0)) throw new RangeError(`lineBytes must be > 0 (got ${lineBytes})`);
  const serviceNs = p.serviceCycles / clockGHz;
  const rho = Math.min(MAX_LOADED_UTILISATION, Math.max(0, (bandwidthBytesPerSec * serviceNs) / (lineBytes * 1e9)));
  return p.idleLatencyCycles / clockGHz + ((p.arbitrationCycles + p.retryCycles) / clockGHz) * rho + (serviceNs * rho) / (2 * (1 - rho));
}

/**
 * The measured law's loaded latency at a bandwidth, ns: the simulator's mapping of the probe's
 * record (queueingParametersFromMeasurement: the same service time and idle latency) plus the
 * probe's arbitration latency, which that mapping does not charge as bus occupancy. The probe fits
 * with this function and the What-if view draws it, so the fit and the chart cannot disagree.
 */
export function measuredLoadedLatencyNs(m: MeasuredBusParameters, bandwidthBytesPerSec: number, clockGHz: number = DEFAULT_CLOCK_GHZ): number {
  const bus = queueingParametersFromMeasurement(m, clockGHz);
  return loadedLatencyNs({ ...bus, arbitrationCycles: m.arbitrationNs * clockGHz }, clockGHz, m.lineBytes, bandwidthBytesPerSec);
}
