import type { MeasuredBusParameters } from './measured-parameters.js';

export type Arbitration = 'fcfs' | 'round-robin';

/**
 * The queueing bus's parameters, in CPU cycles. Speeds depend only on the ratios of the overheads
 * to `serviceCycles` (a thread's demand fixes its compute time between transactions), so cycles are
 * the planner's unit, not a hidden scale.
 */
export interface QueueingBusParameters {
  /** Bus occupancy of one transaction on the reference bus. */
  serviceCycles: number;
  /** Cycles added to every transaction while two or more bus masters share the bus (arbitration). */
  arbitrationCycles: number;
  /** Cycles a transaction wastes when it finds the bus busy and must be retried (retry on conflict). */
  retryCycles: number;
  /** Order in which waiting transactions get the bus. */
  arbitration: Arbitration;
  /** Unloaded memory latency, for loaded-latency figures; null when not known. */
  idleLatencyCycles: number | null;
}

/** Core clock used to turn a measurement's nanoseconds into cycles when the scenario gives none. */
export const DEFAULT_CLOCK_GHZ = 3;

/**
 * The `measured` law's parameters from what `headroom smp probe` fitted on a machine. Only the
 * cycle figures depend on the clock.
 *
 * The probe's arbitration term is latency a transaction pays when it finds the bus busy, not bus
 * occupancy: the measured peak shows the bus moving one line every `transactionServiceNs` under
 * full load, arbitration included. Charging it as occupancy (this law's `arbitrationCycles`) would
 * run the simulated bus far below the peak the machine was seen to reach (8.7 times below on this
 * VM's probe, with 36-fold slowdowns on Figure 7). So the simulated bus moves lines at the measured
 * service time and queues them; the arbitration latency shows in loaded-latency figures
 * (measuredLoadedLatencyNs) and is not charged to threads, which makes the measured law's slowdowns
 * a slight under-estimate at high load.
 */
export function queueingParametersFromMeasurement(m: MeasuredBusParameters, clockGHz: number = DEFAULT_CLOCK_GHZ): QueueingBusParameters {
  if (!(clockGHz > 0) || !Number.isFinite(clockGHz)) throw new RangeError(`clockGHz must be a number > 0 (got ${clockGHz})`);
  if (!(m.transactionServiceNs > 0)) throw new RangeError(`measured transactionServiceNs must be > 0 (got ${m.transactionServiceNs})`);
  if (!(m.arbitrationNs >= 0)) throw new RangeError(`measured arbitrationNs must be ≥ 0 (got ${m.arbitrationNs})`);
  return {
    serviceCycles: m.transactionServiceNs * clockGHz,
    arbitrationCycles: 0,
    retryCycles: 0,
    arbitration: 'fcfs',
    idleLatencyCycles: m.idleLatencyNs > 0 ? m.idleLatencyNs * clockGHz : null,
  };
}
