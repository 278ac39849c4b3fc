import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyticTable } from './analytic.js';
import { parseScenario, type Scenario } from './scenario-schema.js';
import { simulateScenario } from './simulate.js';
import { downsample } from './simulator.js';
import { simulatorAgreement } from './agreement.js';

const sample = (name: string): Scenario => {
  const file = fileURLToPath(new URL(`../../samples/smp/${name}`, import.meta.url));
  return parseScenario(readFileSync(file, 'utf8'), file);
};

// Headroom's projected-commitment variant guarantees these bounds; the document's AutoPilot does
// not (it dispatches like the standard scheduler while the monitored bus is under the threshold).
const projected = (s: Scenario): Scenario => ({ ...s, autopilot: { ...s.autopilot, variant: 'projected' } });

describe('Figure 7: Headroom\'s projected AutoPilot at a 90% threshold with idling allowed', () => {
  const figure7 = projected(sample('figure7.json'));
  const generated = [1, 2, 3, 4, 5, 6].map((seed): Scenario => ({
    seed, cpus: 4, timeSlice: 10,
    generate: { count: 24, busDemand: [0.1, 0.4], work: [100, 300] },
    autopilot: { threshold: 0.9, idleWhenNoFit: true, starvationBound: 8, variant: 'projected' },
  }));

  for (const [label, scenario] of [['the sample', figure7] as const, ...generated.map((s) => [`generated seed ${s.seed}`, s] as const)]) {
    it(`${label}: never over-commits the bus, does at least the standard's work, and no thread waits past the bound`, () => {
      const r = simulateScenario(scenario);
      expect(r.standard.threadsFinished).toBe(r.threadCount);
      expect(r.autopilot.threadsFinished).toBe(r.threadCount);
      expect(r.autopilot.overCommittedFraction).toBe(0);
      expect(r.autopilot.busMax).toBeLessThanOrEqual(1 + 1e-9);
      expect(r.autopilot.throughput).toBeGreaterThanOrEqual(r.standard.throughput);
      expect(r.autopilot.maxPassOvers).toBeLessThanOrEqual(r.autopilotSettings.starvationBound);
      // the series drawn for the view shows the same thing
      expect(Math.max(...r.autopilot.series!.max)).toBeLessThanOrEqual(1 + 1e-9);
    });
  }

  it('the standard dispatcher over-commits the same bus (the document\'s Figure 8)', () => {
    expect(simulateScenario(figure7).standard.overCommittedFraction).toBeGreaterThan(0);
  });
});

describe('starvation bound', () => {
  // One bus-heavy thread among light ones whose slices are staggered (they arrive a unit apart):
  // under a 60% threshold the heavy thread fits only when at most one light thread runs, which
  // almost never happens while light threads keep being dispatched past it.
  const heavy = (bound: number): Scenario => ({
    cpus: 4, timeSlice: 5,
    threads: [
      ...[0, 1, 2, 3].map((arrival) => ({ name: `light${arrival}`, busDemand: 0.15, work: 100, count: 3, arrival })),
      { name: 'heavy', busDemand: 0.5, work: 50, arrival: 0.5 },
    ],
    autopilot: { threshold: 0.6, idleWhenNoFit: true, starvationBound: bound },
  });

  it('holds for every bound, and a tighter bound gets the heavy thread running sooner', () => {
    const loose = simulateScenario(heavy(1000)).autopilot;
    for (const bound of [0, 1, 3, 10]) {
      const r = simulateScenario(heavy(bound)).autopilot;
      expect(r.maxPassOvers).toBeLessThanOrEqual(bound);
      expect(r.threads[12]!.maxReadyWait).toBeLessThanOrEqual(loose.threads[12]!.maxReadyWait);
      expect(r.overCommittedFraction).toBe(0);
    }
    expect(loose.maxPassOvers).toBeGreaterThan(10);
    expect(loose.threads[12]!.maxReadyWait).toBeGreaterThan(10 * 5);
  });
});

describe('simulator against the analytic model', () => {
  it('agrees with Table 2 speedup within 1% when every CPU runs identical 10% threads', () => {
    const table = analyticTable({ cpus: [1, 2, 3, 4, 5, 6, 7, 8] });
    for (const row of table) {
      const r = simulateScenario({ cpus: row.cpus, timeSlice: 10, threads: [{ busDemand: 0.1, work: 500, count: 3 * row.cpus }] });
      for (const run of [r.standard, r.autopilot]) {
        expect(Math.abs(run.throughput / row.speedup - 1)).toBeLessThan(0.01);
      }
    }
  });

  it('agrees on a machine with other caches and bus demand (what `smp table --simulate` prints)', () => {
    const rows = simulatorAgreement({ cpus: [1, 3, 6], busDemand: 0.05, hierarchy: { l1HitFraction: 0.6, l1Cycles: 1, l2HitFraction: 0.35, l2Cycles: 4, memoryBusCycles: 20, busClockRatio: 0.25 } });
    for (const r of rows) expect(Math.abs(r.relativeError)).toBeLessThan(0.01);
    expect(rows[2]!.simulatedSpeedup).toBeLessThan(6);
  });

  it('with background I/O, agrees with the analytic I/O column too', () => {
    const [row] = analyticTable({ cpus: [4], ioLoad: 0.03 });
    const r = simulateScenario({ cpus: 4, ioLoad: 0.03, threads: [{ busDemand: 0.1, work: 500, count: 12 }] });
    expect(Math.abs(r.standard.throughput / row!.speedup - 1)).toBeLessThan(0.01);
  });
});

describe('determinism and tunables', () => {
  const noisy = (seed: number): Scenario => ({
    seed, cpus: 4, monitorNoise: 0.2,
    generate: { count: 20, busDemand: [0.05, 0.45], work: [50, 200], phaseChangeEvery: 40, priorities: 2 },
  });

  it('gives the same run for the same seed and a different one for another seed', () => {
    const a = simulateScenario(noisy(11));
    const b = simulateScenario(noisy(11));
    expect(b).toEqual(a);
    expect(simulateScenario(noisy(12)).autopilot.throughput).not.toBe(a.autopilot.throughput);
  });

  it('running the best candidate instead of idling leaves fewer CPUs idle', () => {
    const base = sample('figure7.json');
    const idle = simulateScenario(base).autopilot;
    const run = simulateScenario({ ...base, autopilot: { ...base.autopilot, idleWhenNoFit: false } }).autopilot;
    expect(run.cpuIdleFraction).toBeLessThanOrEqual(idle.cpuIdleFraction);
  });

  it('keeps CPU-bound threads under threshold − ioReserve (starvation bound out of the way)', () => {
    const r = simulateScenario({
      cpus: 4, generate: { count: 20, busDemand: [0.1, 0.3], work: [50, 100] },
      autopilot: { threshold: 0.9, ioReserve: 0.2, starvationBound: 1_000_000, variant: 'projected' },
    }).autopilot;
    expect(r.busMax).toBeLessThanOrEqual(0.7 + 1e-9);
    expect(r.threadsFinished).toBe(20);
  });

  it('the oracle bounds both dispatchers on small cases and finishes the same work', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const r = simulateScenario({ seed, cpus: 3, ioLoad: 0.02, generate: { count: 7, busDemand: [0.05, 0.5], work: [50, 150] } });
      expect(r.oracle).not.toBeNull();
      expect(r.oracle!.workCompleted).toBeCloseTo(r.autopilot.workCompleted, 6);
      expect(r.comparison.autopilotVsOracle!).toBeLessThanOrEqual(1 + 1e-9);
      expect(r.comparison.standardVsOracle!).toBeLessThanOrEqual(1 + 1e-9);
      const scheduled = r.oracle!.coSchedules.reduce((a, c) => a + c.time, 0);
      expect(scheduled).toBeCloseTo(r.oracle!.makespan, 6);
    }
    expect(simulateScenario({ cpus: 4, generate: { count: 40, busDemand: [0.1, 0.4], work: [10, 20] } }).oracle).toBeNull();
    // 16 threads on 8 CPUs would be 39,202 co-schedules: refused rather than a gigabyte tableau
    expect(simulateScenario({ cpus: 8, generate: { count: 16, busDemand: [0.1, 0.4], work: [10, 20] }, oracle: { maxThreads: 16 } }).oracle).toBeNull();
  });

  it('on one CPU the oracle can only run threads one after another', () => {
    const r = simulateScenario({ cpus: 1, threads: [{ busDemand: 0.3, work: 40 }, { busDemand: 0.1, work: 60 }] });
    expect(r.oracle!.makespan).toBeCloseTo(100, 6);
    expect(r.standard.makespan!).toBeCloseTo(100, 6);
  });

  it('stops at the horizon and reports unfinished threads', () => {
    const r = simulateScenario({ ...sample('figure7.json'), horizon: 100 });
    expect(r.standard.elapsed).toBe(100);
    expect(r.standard.makespan).toBeNull();
    expect(r.standard.threadsFinished).toBeLessThan(r.threadCount);
  });
});

describe('bus series downsampling', () => {
  it('keeps at most maxPoints buckets and preserves the time-weighted mean and the peak', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.double({ min: 0.01, max: 10, noNaN: true }), fc.double({ min: 0, max: 2, noNaN: true })), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 50 }),
      (segs, maxPoints) => {
        const start = new Float64Array(segs.length);
        const value = new Float64Array(segs.length);
        let t = 0;
        let integral = 0;
        segs.forEach(([dt, v], i) => { start[i] = t; value[i] = v; t += dt; integral += v * dt; });
        const s = downsample(start, value, t, maxPoints);
        expect(s.t.length).toBeLessThanOrEqual(maxPoints);
        const width = t / s.t.length;
        const total = s.mean.reduce((a, m) => a + m * width, 0);
        expect(total).toBeCloseTo(integral, 6);
        expect(Math.max(...s.max)).toBeCloseTo(Math.max(...value), 12);
      }));
  });
});
