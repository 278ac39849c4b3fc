import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseFioJobs } from './harness.js';

const io = (iops: number, bytes: number, p50: number, p99: number, total: number) => ({
  total_ios: total, iops, bw_bytes: bytes, clat_ns: { percentile: { '50.000000': p50, '99.000000': p99 } },
});

describe('parseFioJobs', () => {
  it('reads each job\'s busy direction after any warning lines fio prints first', () => {
    fc.assert(fc.property(
      fc.array(fc.string().filter((s) => !s.includes('{')), { maxLength: 3 }),
      fc.array(fc.record({
        name: fc.string({ minLength: 1 }), writes: fc.boolean(),
        iops: fc.double({ min: 0, max: 1e6, noNaN: true }), bytes: fc.double({ min: 0, max: 1e10, noNaN: true }),
        p50: fc.double({ min: 0, max: 1e10, noNaN: true }), p99: fc.double({ min: 0, max: 1e10, noNaN: true }),
      }), { minLength: 1, maxLength: 4 }),
      (warnings, jobs) => {
        const json = {
          'fio version': 'fio-3.33',
          jobs: jobs.map((j) => ({
            jobname: j.name,
            read: j.writes ? io(0, 0, 0, 0, 0) : io(j.iops, j.bytes, j.p50, j.p99, 10),
            write: j.writes ? io(j.iops, j.bytes, j.p50, j.p99, 10) : io(0, 0, 0, 0, 0),
          })),
        };
        const parsed = parseFioJobs([...warnings, JSON.stringify(json, null, 2)].join('\n'));
        expect(parsed).toEqual(jobs.map((j) => ({ name: j.name, iops: j.iops, mbps: j.bytes / 1e6, p50Ms: j.p50 / 1e6, p99Ms: j.p99 / 1e6 })));
      },
    ));
  });

  it('on anything else, returns jobs or throws an Error that says what is wrong, never a crash', () => {
    const fioLike = JSON.stringify({ jobs: [{ jobname: 'gold', read: io(100, 409600, 3e5, 4e7, 600), write: io(0, 0, 0, 0, 0) }] });
    const mutated = fc.tuple(fc.nat(fioLike.length), fc.nat(fioLike.length), fc.string({ maxLength: 8 }))
      .map(([at, cut, insert]) => fioLike.slice(0, at) + insert + fioLike.slice(Math.min(fioLike.length, at + (cut % 8))));
    fc.assert(fc.property(fc.oneof(fc.string(), fc.json(), mutated), (text) => {
      try {
        const jobs = parseFioJobs(text);
        for (const j of jobs) expect(typeof j.name).toBe('string');
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        expect(err instanceof SyntaxError || /^fio /.test((err as Error).message)).toBe(true);
      }
    }), { numRuns: 500 });
  });
});
