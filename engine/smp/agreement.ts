import { analyticTable, type AnalyticParams } from './analytic.js';
import { simulateScenario } from './simulate.js';

export interface AgreementRow {
  cpus: number;
  analyticSpeedup: number;
  simulatedSpeedup: number;
  /** simulated / analytic − 1. */
  relativeError: number;
}

/**
 * The simulator against the analytic model in the case where both apply: every CPU busy with
 * identical threads of the model's bus demand (three per CPU, so the tail where CPUs run dry is short).
 * The bus-master I/O reading only: per-CPU I/O is a thread property in the simulator.
 */
export function simulatorAgreement(params: Partial<Omit<AnalyticParams, 'ioModel'>> & { cpus?: readonly number[] } = {}): AgreementRow[] {
  const rows = analyticTable(params);
  return rows.map((row) => {
    const r = simulateScenario({
      cpus: row.cpus,
      ioLoad: params.ioLoad ?? 0,
      referenceBusDemand: params.busDemand ?? 0.1,
      ...(params.hierarchy ? { hierarchy: params.hierarchy } : {}),
      threads: [{ busDemand: params.busDemand ?? 0.1, work: 500, count: 3 * row.cpus }],
    }, { recordSeries: false });
    return {
      cpus: row.cpus,
      analyticSpeedup: row.speedup,
      simulatedSpeedup: r.standard.throughput,
      relativeError: r.standard.throughput / row.speedup - 1,
    };
  });
}
