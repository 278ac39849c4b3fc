import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fitUsl, uslThroughput, UslInputError } from './usl.js';
import { parseThroughputCsv } from './csv-points.js';
import { studentTQuantile } from './stats.js';

/** A small seeded generator so the noisy data sets are the same on every run. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

describe('USL fit', () => {
  it('recovers known coefficients from noisy data, inside the intervals it reports', () => {
    const truth = { sigma: 0.05, kappa: 0.002, lambda: 1000 };
    let inside = 0;
    const trials = 20;
    for (let seed = 1; seed <= trials; seed++) {
      const noise = gaussian(seed);
      const points = [1, 2, 4, 6, 8, 12, 16, 20, 24, 32, 40, 48].map((n) => ({
        n,
        throughput: uslThroughput(n, truth.sigma, truth.kappa, truth.lambda) * (1 + 0.02 * noise()),
      }));
      const fit = fitUsl(points);
      const ok = (['sigma', 'kappa', 'lambda'] as const).every((k) => fit.intervals[k].low <= truth[k] && truth[k] <= fit.intervals[k].high);
      if (ok) inside++;
      // intervals that contain the truth only because they are huge would prove nothing
      expect(fit.intervals.kappa.high - fit.intervals.kappa.low).toBeLessThan(truth.kappa);
      expect(fit.intervals.sigma.high - fit.intervals.sigma.low).toBeLessThan(truth.sigma);
      expect(fit.sigma).toBeCloseTo(truth.sigma, 1);
      expect(fit.peakN!).toBeGreaterThan(15);
      expect(fit.peakN!).toBeLessThan(28);
    }
    // 95% intervals for three parameters: nearly all of 20 noisy data sets must contain the truth.
    expect(inside).toBeGreaterThanOrEqual(16);
  });

  it('fits exact data exactly and reports the peak', () => {
    const points = [1, 2, 3, 4, 6, 8, 10, 16].map((n) => ({ n, throughput: uslThroughput(n, 0.1, 0.01, 50) }));
    const fit = fitUsl(points);
    expect(fit.sigma).toBeCloseTo(0.1, 4);
    expect(fit.kappa).toBeCloseTo(0.01, 5);
    expect(fit.lambda).toBeCloseTo(50, 2);
    expect(fit.peakN!).toBeCloseTo(Math.sqrt(0.9 / 0.01), 2);
    expect(fit.peakThroughput!).toBeCloseTo(uslThroughput(fit.peakN!, 0.1, 0.01, 50), 3);
    expect(fit.rSquared).toBeGreaterThan(0.9999);
  });

  it('keeps σ and κ inside [0, 1] for any data', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 64 }), fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 6, maxLength: 20 }),
      (raw) => {
        const points = raw.map(([n, throughput]) => ({ n, throughput }));
        if (new Set(points.map((p) => p.n)).size < 3) return;
        const fit = fitUsl(points);
        for (const v of [fit.sigma, fit.kappa]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
        expect(fit.lambda).toBeGreaterThan(0);
      }), { numRuns: 60 });
  });

  it('refuses fewer than 6 points with a clear message', () => {
    const five = [1, 2, 3, 4, 5].map((n) => ({ n, throughput: n }));
    expect(() => fitUsl(five)).toThrow(UslInputError);
    expect(() => fitUsl(five)).toThrow(/at least 6 points/);
  });

  it('reads CSV with or without a header, and names the line of a bad row', () => {
    expect(parseThroughputCsv('1,10\n2,19\n')).toEqual([{ n: 1, throughput: 10 }, { n: 2, throughput: 19 }]);
    expect(parseThroughputCsv('throughput,N\n10,1\n19,2\n')).toEqual([{ n: 1, throughput: 10 }, { n: 2, throughput: 19 }]);
    expect(() => parseThroughputCsv('N,throughput\n1,10\n2,abc\n', 'x.csv')).toThrow(/x\.csv:3/);
    const sweep = 'cpus,standardThroughput,autopilotThroughput\n1,1,1\n2,1.8,1.9\n';
    expect(parseThroughputCsv(sweep, 's.csv', { throughput: 'autopilotThroughput' })).toEqual([{ n: 1, throughput: 1 }, { n: 2, throughput: 1.9 }]);
    expect(() => parseThroughputCsv(sweep, 's.csv', { throughput: 'nope' })).toThrow(/s\.csv: no column named "nope"/);
  });

  it('never crashes on mutated CSV: it returns points or a UslInputError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      try {
        for (const p of parseThroughputCsv(`N,throughput\n1,10\n${text}`)) {
          expect(Number.isFinite(p.n) && Number.isFinite(p.throughput)).toBe(true);
        }
      } catch (err) {
        expect(err).toBeInstanceOf(UslInputError);
      }
    }));
  });

  it('uses the right Student t quantiles', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706, 2);
    expect(studentTQuantile(0.975, 9)).toBeCloseTo(2.262, 2);
  });
});
