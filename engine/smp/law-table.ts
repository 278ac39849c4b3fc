import { checkAnalyticParams, memoryCpi, table1Hierarchy, type AnalyticParams } from './analytic.js';
import { busLawLabels, createBusLaw, runTransactions, type BusLawId, type BusSettings } from './bus/index.js';
import { defaultQueueingParameters } from './model.js';

export interface LawRow {
  cpus: number;
  bus: BusLawId;
  /** CPU cycles per memory reference, contention included. */
  cpi: number;
  /** The part of CPI spent on main memory (waiting for the bus included). */
  main: number;
  efficiency: number;
  speedup: number;
  /** Bus utilisation under the law (the document law's commitment can pass 100%). */
  busUtilisation: number;
}

export interface LawTableParams extends Partial<Omit<AnalyticParams, 'ioModel'>> {
  cpus?: readonly number[];
  bus?: BusSettings;
}

/**
 * Table 2's columns for n identical CPUs under any bus law: CPI = CPI₁ / speed, efficiency = speed,
 * speedup = n × speed. Under the document law this is Table 2 (analyticTable gives the same
 * numbers and its conflict column); I/O enters as one more bus master.
 */
export function lawTable(params: LawTableParams = {}): LawRow[] {
  const hierarchy = { ...table1Hierarchy, ...(params.hierarchy ?? {}) };
  const busDemand = params.busDemand ?? 0.1;
  const ioLoad = params.ioLoad ?? 0;
  const problems = checkAnalyticParams({ hierarchy, busDemand, ioLoad });
  if (problems.length > 0) throw new RangeError(problems.join('; '));
  const bus = params.bus ?? { law: 'document', queueing: null };
  const law = createBusLaw({ busBandwidth: 1, ioLoad, referenceBusDemand: busDemand > 0 ? busDemand : 0.1, hierarchy }, bus);
  const base = memoryCpi(hierarchy);
  return (params.cpus ?? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).map((cpus) => {
    if (!Number.isInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be whole numbers ≥ 1 (got ${cpus})`);
    const speeds = new Float64Array(cpus);
    const busUtilisation = law.evaluate(new Float64Array(cpus).fill(busDemand), cpus, speeds);
    const speed = speeds[0]!;
    return { cpus, bus: bus.law, cpi: base.total / speed, main: base.total / speed - base.local, efficiency: speed, speedup: cpus * speed, busUtilisation };
  });
}

export interface LawAgreementRow {
  cpus: number;
  bus: BusLawId;
  modelSpeedup: number;
  /** The independent check: the transaction-level DES for the queueing laws. */
  simulatedSpeedup: number;
  relativeError: number;
}

/**
 * The queueing laws checked by something that does not share their solution: the bus run
 * transaction by transaction. (The document law has no mechanism to simulate; `smp table
 * --simulate` compares it with the scheduling simulator, which calls the same law.)
 */
export function queueingAgreement(params: LawTableParams & { transactions?: number } = {}): LawAgreementRow[] {
  const hierarchy = { ...table1Hierarchy, ...(params.hierarchy ?? {}) };
  const bus = params.bus ?? { law: 'queueing', queueing: defaultQueueingParameters(hierarchy) };
  if (!bus.queueing) throw new RangeError('the transaction-level check applies to the queueing and measured laws');
  const rows = lawTable({ ...params, bus });
  const busDemand = params.busDemand ?? 0.1;
  return rows.map((row) => {
    const des = runTransactions({ busBandwidth: 1, ioLoad: params.ioLoad ?? 0 }, bus.queueing!, new Array<number>(row.cpus).fill(busDemand), { transactions: params.transactions ?? 200_000, seed: row.cpus });
    const simulated = des.speeds.reduce((a, b) => a + b, 0);
    return { cpus: row.cpus, bus: bus.law, modelSpeedup: row.speedup, simulatedSpeedup: simulated, relativeError: simulated / row.speedup - 1 };
  });
}

