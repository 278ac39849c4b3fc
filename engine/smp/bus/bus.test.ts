import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyticTable, memoryCpi, table1Hierarchy } from '../analytic.js';
import { createRng } from '../prng.js';
import { DocumentBusLaw } from './document-law.js';
import { convolutionThroughput, exactMva, schweitzerMva } from './mva.js';
import { QueueingBusLaw } from './queueing-law.js';
import { queueingParametersFromMeasurement, type QueueingBusParameters } from './queueing-parameters.js';
import { runTransactions } from './transaction-des.js';

const fcfs: QueueingBusParameters = { serviceCycles: 30, arbitrationCycles: 0, retryCycles: 0, arbitration: 'fcfs', idleLatencyCycles: 30 };
const speedsOf = (law: { evaluate(d: Float64Array, n: number, s: Float64Array): number }, demands: readonly number[]): { speeds: number[]; utilisation: number } => {
  const out = new Float64Array(demands.length);
  const utilisation = law.evaluate(Float64Array.from(demands), demands.length, out);
  return { speeds: [...out], utilisation };
};

describe('queueing law: the transaction-level DES against the exact MVA', () => {
  const rng = createRng(2024);
  const mixes: Array<[string, (n: number) => number[]]> = [
    ['identical 10%', (n) => new Array<number>(n).fill(0.1)],
    ['Figure 7 mix', (n) => Array.from({ length: n }, (_, i) => [0.2, 0.2, 0.3, 0.2, 0.1, 0.1, 0.3, 0.4][i % 8]!)],
    ['random 5-40%', (n) => Array.from({ length: n }, () => rng.between(0.05, 0.4))],
  ];
  const machines: Array<[string, { busBandwidth: number; ioLoad: number }, QueueingBusParameters]> = [
    ['plain FCFS bus', { busBandwidth: 1, ioLoad: 0 }, fcfs],
    ['3% I/O, 6 arbitration cycles', { busBandwidth: 1, ioLoad: 0.03 }, { ...fcfs, arbitrationCycles: 6 }],
    ['half-speed bus', { busBandwidth: 0.5, ioLoad: 0 }, fcfs],
  ];
  for (const [mixName, mix] of mixes) {
    for (const [machineName, machine, params] of machines) {
      it(`${mixName}, ${machineName}: throughput and every thread's slowdown within 2% for 1-8 CPUs`, () => {
        for (const cpus of [1, 2, 4, 8]) {
          const demands = mix(cpus);
          const model = speedsOf(new QueueingBusLaw(machine, params), demands);
          const des = runTransactions(machine, params, demands, { transactions: 300_000, seed: cpus });
          const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
          expect(Math.abs(sum(des.speeds) / sum(model.speeds) - 1), `throughput, ${cpus} CPUs`).toBeLessThan(0.02);
          des.speeds.forEach((s, i) => expect(Math.abs(model.speeds[i]! / s - 1), `slowdown of thread ${i}, ${cpus} CPUs`).toBeLessThan(0.02));
          expect(Math.abs(des.utilisation - model.utilisation)).toBeLessThan(0.02);
        }
      });
    }
  }
});

describe('round-robin arbitration', () => {
  it('is solved with the FCFS solution: on a saturated bus the round-robin DES is within 3% in total and 10% per thread (it favours light threads)', () => {
    const demands = [0.2, 0.2, 0.3, 0.2, 0.1, 0.1, 0.3, 0.4];
    const machine = { busBandwidth: 0.5, ioLoad: 0 };
    const rr = { ...fcfs, arbitration: 'round-robin' as const };
    const model = speedsOf(new QueueingBusLaw(machine, rr), demands);
    const des = runTransactions(machine, rr, demands, { transactions: 300_000, seed: 3 });
    const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
    expect(Math.abs(sum(des.speeds) / sum(model.speeds) - 1)).toBeLessThan(0.03);
    des.speeds.forEach((s, i) => expect(Math.abs(model.speeds[i]! / s - 1)).toBeLessThan(0.10));
  });
});

describe('queueing law: three solutions of one model', () => {
  it('the normalising constant, the Reiser–Lavenberg MVA and the law agree to 1e-9 on any co-schedule', () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: 0.01, max: 0.99, noNaN: true }), { minLength: 1, maxLength: 10 }),
      fc.double({ min: 0, max: 0.3, noNaN: true }),
      (demands, io) => {
        const think = demands.map((d) => (1 - d) / d);
        const rl = exactMva({ think, service: 1, ioUtilisation: io });
        const conv = new Float64Array(demands.length);
        convolutionThroughput(think, demands.length, 1 / (1 - io), conv, new Float64Array(2 * (demands.length + 1)));
        const law = speedsOf(new QueueingBusLaw({ busBandwidth: 1, ioLoad: io }, fcfs), demands);
        demands.forEach((_, i) => {
          expect(conv[i]! / rl[i]! - 1).toBeCloseTo(0, 9);
          expect(law.speeds[i]! / (rl[i]! * (think[i]! + 1)) - 1).toBeCloseTo(0, 9);
        });
      },
    ), { numRuns: 200 });
  });

  it('for identical CPUs it is the single-class machine-repairman MVA of `smp table`', () => {
    const rows = analyticTable({ cpus: [1, 2, 4, 8, 10] });
    const alone = memoryCpi(table1Hierarchy).total;
    const law = new QueueingBusLaw({ busBandwidth: 1, ioLoad: 0 }, fcfs);
    for (const row of rows) {
      const { speeds } = speedsOf(law, new Array<number>(row.cpus).fill(0.1));
      expect(alone / speeds[0]!).toBeCloseTo(row.mvaCpi, 9);
    }
  });

  it('stays exact past the range of k!: 200 threads against the DES, and Schweitzer\'s approximation within 6% at 12', () => {
    const demands = Array.from({ length: 200 }, (_, i) => 0.002 + 0.00004 * i);
    const machine = { busBandwidth: 1, ioLoad: 0 };
    const model = speedsOf(new QueueingBusLaw(machine, fcfs), demands);
    expect(model.speeds.every((s) => Number.isFinite(s) && s > 0 && s <= 1)).toBe(true);
    const des = runTransactions(machine, fcfs, demands, { transactions: 300_000, seed: 9 });
    const sum = (a: number[]): number => a.reduce((x, y) => x + y, 0);
    expect(Math.abs(sum(des.speeds) / sum(model.speeds) - 1)).toBeLessThan(0.02);
    const think = Array.from({ length: 12 }, (_, i) => (1 - (0.05 + 0.03 * i)) / (0.05 + 0.03 * i));
    const exact = exactMva({ think, service: 1, ioUtilisation: 0 });
    const approx = schweitzerMva({ think, service: 1, ioUtilisation: 0 });
    exact.forEach((x, i) => expect(Math.abs(approx[i]! / x - 1)).toBeLessThan(0.06));
  });
});

describe('the two laws, side by side', () => {
  const total = (law: DocumentBusLaw | QueueingBusLaw, n: number, d: number): number => speedsOf(law, new Array<number>(n).fill(d)).speeds.reduce((a, b) => a + b, 0);
  const machine = { busBandwidth: 1, ioLoad: 0, referenceBusDemand: 0.1, hierarchy: table1Hierarchy };

  it('the document law reproduces Table 2 (CPI 4.7 … 29.0, main memory 17.7 at 8 CPUs)', () => {
    const law = new DocumentBusLaw(machine);
    const alone = memoryCpi(table1Hierarchy).total;
    const cpi = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => (alone / speedsOf(law, new Array<number>(n).fill(0.1)).speeds[0]!).toFixed(1));
    expect(cpi).toEqual(['4.7', '5.0', '5.9', '7.4', '9.5', '12.2', '15.5', '19.4', '23.9', '29.0']);
    expect((alone / speedsOf(law, new Array<number>(8).fill(0.1)).speeds[0]! - 1.7).toFixed(1)).toBe('17.7');
  });

  it('at 40% offered load per CPU the document law\'s throughput falls past 4 CPUs; the queueing bus only levels off at its capacity', () => {
    const doc = new DocumentBusLaw(machine);
    const q = new QueueingBusLaw(machine, fcfs);
    const docCurve = [1, 2, 3, 4, 5, 6, 8].map((n) => total(doc, n, 0.4));
    const qCurve = [1, 2, 3, 4, 5, 6, 8, 16].map((n) => total(q, n, 0.4));
    expect(docCurve[6]!).toBeLessThan(Math.max(...docCurve));
    for (let k = 1; k < qCurve.length; k++) expect(qCurve[k]!).toBeGreaterThanOrEqual(qCurve[k - 1]! - 1e-9);
    // Capacity: at most 1 / 0.4 threads' worth of transactions fit on the bus.
    expect(qCurve.at(-1)!).toBeLessThanOrEqual(1 / 0.4 + 1e-9);
    expect(qCurve.at(-1)!).toBeGreaterThan(0.95 / 0.4);
  });

  it('arbitration overhead costs throughput only once two masters share the bus', () => {
    const plain = new QueueingBusLaw(machine, fcfs);
    const arbitrated = new QueueingBusLaw(machine, { ...fcfs, arbitrationCycles: 10 });
    expect(total(arbitrated, 1, 0.3)).toBeCloseTo(total(plain, 1, 0.3), 12);
    expect(total(arbitrated, 4, 0.3)).toBeLessThan(total(plain, 4, 0.3));
  });
});

describe('the measured law', () => {
  const record = { idleLatencyNs: 90, lineBytes: 64, peakBandwidthBytesPerSec: 20e9, transactionServiceNs: 3.2, arbitrationNs: 0.8, fitRmsErrorNs: 2, hardwareThreads: 2 };

  it('turns the probe\'s nanoseconds into cycles at the given clock', () => {
    const p = queueingParametersFromMeasurement(record, 2.5);
    expect(p.serviceCycles).toBeCloseTo(8, 12);
    // Arbitration is latency at load, not occupancy: the measured peak already includes it.
    expect(p.arbitrationCycles).toBe(0);
    expect(p.idleLatencyCycles).toBeCloseTo(225, 12);
    expect(() => queueingParametersFromMeasurement(record, 0)).toThrow(/clockGHz/);
    expect(() => queueingParametersFromMeasurement({ ...record, transactionServiceNs: 0 }, 3)).toThrow(/transactionServiceNs/);
  });

  it('gives the same speeds at any clock (they depend on arbitration / service only)', () => {
    const m = { busBandwidth: 1, ioLoad: 0.02 };
    const a = speedsOf(new QueueingBusLaw(m, queueingParametersFromMeasurement(record, 1), 'measured'), [0.2, 0.3, 0.1]);
    const b = speedsOf(new QueueingBusLaw(m, queueingParametersFromMeasurement(record, 4.7), 'measured'), [0.2, 0.3, 0.1]);
    b.speeds.forEach((s, i) => expect(s).toBeCloseTo(a.speeds[i]!, 12));
  });
});
