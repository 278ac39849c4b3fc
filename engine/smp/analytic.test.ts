import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyticTable, contentionFactor, memoryCpi, parseCpuRange, table1Hierarchy } from './analytic.js';

describe('analytic SMP bus model', () => {
  it('reproduces Table 1: 0.5 + 1.2 + 3.0 = 4.7 CPI', () => {
    const m = memoryCpi(table1Hierarchy);
    expect([m.l1, m.l2, m.main, m.total].map((v) => v.toFixed(1))).toEqual(['0.5', '1.2', '3.0', '4.7']);
  });

  it('reproduces Table 2 exactly for 1..10 CPUs (main-memory row and CPI row)', () => {
    const rows = analyticTable();
    expect(rows.map((r) => r.cpi.toFixed(1))).toEqual(['4.7', '5.0', '5.9', '7.4', '9.5', '12.2', '15.5', '19.4', '23.9', '29.0']);
    expect(rows.map((r) => r.main.toFixed(1))).toEqual(['3.0', '3.3', '4.2', '5.7', '7.8', '10.5', '13.8', '17.7', '22.2', '27.3']);
    expect(rows.map((r) => Math.round(r.conflict * 100))).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  });

  it('shows the document\'s "efficiency falls about 4 times at 8 CPUs"', () => {
    const eight = analyticTable({ cpus: [8] })[0]!;
    expect(1 / eight.efficiency).toBeGreaterThan(3.9);
    expect(1 / eight.efficiency).toBeLessThan(4.3);
  });

  it('background I/O costs efficiency at every CPU count, and more I/O costs more', () => {
    const none = analyticTable();
    const some = analyticTable({ ioLoad: 0.03 });
    const more = analyticTable({ ioLoad: 0.1 });
    none.forEach((r, i) => {
      expect(some[i]!.efficiency).toBeLessThan(r.efficiency);
      expect(more[i]!.efficiency).toBeLessThan(some[i]!.efficiency);
    });
  });

  it('the per-CPU I/O reading matches the document\'s "efficiency decreased by about 20%" at 8 CPUs (Figure 10C\'s right edge)', () => {
    const none = analyticTable({ cpus: [1, 8] });
    const perCpu = analyticTable({ cpus: [1, 8], ioLoad: 0.03, ioModel: 'per-cpu' });
    const busMaster = analyticTable({ cpus: [1, 8], ioLoad: 0.03 });
    const drop = (rows: typeof none, i: number): number => 1 - rows[i]!.efficiency / none[i]!.efficiency;
    expect(drop(perCpu, 1)).toBeGreaterThan(0.15);
    expect(drop(perCpu, 1)).toBeLessThan(0.22);
    expect(drop(perCpu, 0)).toBe(0); // on one CPU there is no other CPU's traffic to collide with
    // the bus-master reading charges less at 8 CPUs but something on one CPU
    expect(drop(busMaster, 1)).toBeLessThan(drop(perCpu, 1));
    expect(drop(busMaster, 0)).toBeGreaterThan(0);
  });

  it('the MVA model never predicts more bus than exists and its speedup is bounded by bus saturation', () => {
    for (const r of analyticTable({ cpus: parseCpuRange('1-64'), ioLoad: 0.03 })) {
      expect(r.mvaBusUtilisation).toBeLessThanOrEqual(1 + 1e-9);
      // a bus-bound machine cannot exceed 1 / busDemand instructions' worth of speedup
      expect(r.mvaSpeedup).toBeLessThanOrEqual(1 / 0.1 + 1e-9);
    }
  });

  it('contention never speeds a task up and grows with the other tasks\' demand', () => {
    fc.assert(fc.property(
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 16 }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      fc.double({ min: 0, max: 0.5, noNaN: true }),
      (demands, io, extra) => {
        const f = contentionFactor(demands, 0, io);
        expect(f).toBeGreaterThanOrEqual(1);
        const more = [...demands, extra];
        expect(contentionFactor(more, 0, io)).toBeGreaterThanOrEqual(f - 1e-12);
      }));
  });

  it('refuses impossible parameters, naming them', () => {
    expect(() => analyticTable({ hierarchy: { ...table1Hierarchy, l1HitFraction: 0.8 } })).toThrow(/l1HitFraction \+ l2HitFraction/);
    expect(() => analyticTable({ ioLoad: 2 })).toThrow(/ioLoad/);
    expect(() => parseCpuRange('3-1')).toThrow(/--cpus/);
  });
});
