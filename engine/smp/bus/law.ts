/**
 * A bus law says how fast each running thread progresses when a given set of threads shares the
 * bus, and how busy the bus is then. The simulator, the oracle and the analytic table call only
 * this interface, so a scenario can pick its law ("bus": "document" | "queueing" | "measured")
 * and every figure says which law produced it.
 */
export type BusLawId = 'document' | 'queueing' | 'measured';
export const busLawIds: readonly BusLawId[] = ['document', 'queueing', 'measured'];

export interface BusLaw {
  readonly id: BusLawId;
  /** One line a planner reads beside every chart and table. */
  readonly label: string;
  /**
   * Fill `speeds[k]` (1 = as fast as alone on the reference bus) for the co-schedule whose bus
   * demands are `demands[0..n)`, and return the bus utilisation the law gives for it (I/O included).
   */
  evaluate(demands: Float64Array, n: number, speeds: Float64Array): number;
  /** Speed of a thread of this demand running alone on this machine's bus. */
  aloneSpeed(demand: number): number;
}

export const busLawLabels: Readonly<Record<BusLawId, string>> = Object.freeze({
  document: 'document law: the document\'s empirical Table 2 law, main = mainCPI × (1 + conflict × contenders)',
  queueing: 'queueing law: one FCFS bus serving transactions one at a time (exact multi-class MVA)',
  measured: 'measured law: the queueing law with parameters fitted by `headroom smp probe` on a real machine',
});

/** Why the document and queueing curves differ, in one line (shown wherever both are drawn). */
export const whyLawsDiffer =
  'The document\'s law charges every conflicting access (n−1) full memory latencies, so its throughput falls past a few CPUs; ' +
  'a queueing bus serves one transaction at a time and can only saturate, so throughput levels off at the bus capacity.';
