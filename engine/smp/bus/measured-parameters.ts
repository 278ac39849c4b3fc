/**
 * The queueing bus's parameters as `headroom smp probe` fits them from this machine's
 * loaded-latency curve. The probe (engine/smp/probe) produces this record and the workspace
 * keeps it; the `measured` bus law (engine/smp/bus) consumes it. One type, so the two sides
 * cannot drift apart.
 */
export interface MeasuredBusParameters {
  /** Unloaded memory latency seen by a pointer chase through a buffer larger than the LLC, ns. */
  readonly idleLatencyNs: number;
  /** Bytes one bus transaction moves (a cache line). */
  readonly lineBytes: number;
  /** Highest bandwidth the probe reached, bytes per second, over all thread counts. */
  readonly peakBandwidthBytesPerSec: number;
  /** Bus occupancy per transaction, ns: what a single server must spend per line at peak (lineBytes / peak). */
  readonly transactionServiceNs: number;
  /** Fixed extra cost per transaction once the bus is contended (arbitration), ns, as fitted. */
  readonly arbitrationNs: number;
  /** Root-mean-square error of the fitted model against the measured loaded latencies, ns. */
  readonly fitRmsErrorNs: number;
  /** Hardware threads on the measuring machine; the curve covers 1..this many workers. */
  readonly hardwareThreads: number;
}
