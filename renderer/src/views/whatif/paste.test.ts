import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePoints } from './paste.js';

describe('pasted USL series', () => {
  it('keeps the header as the throughput label and every numeric row', () => {
    expect(parsePoints('N,IOPS\n1,995\n2,1910')).toEqual({ label: 'IOPS', points: [{ n: 1, throughput: 995 }, { n: 2, throughput: 1910 }] });
    expect(parsePoints('1\t995\n2\t1910')).toEqual({ label: null, points: [{ n: 1, throughput: 995 }, { n: 2, throughput: 1910 }] });
  });

  it('names the line of a row that is not N, throughput, and never drops a numeric first row', () => {
    expect(parsePoints('N,IOPS\n1,995\n2,')).toBe('line 3: expected "N, throughput"');
    expect(parsePoints('N,IOPS\nx,995')).toBe('line 2: expected "N, throughput"');
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 1e6 })), { minLength: 1, maxLength: 30 }), (rows) => {
      const parsed = parsePoints(rows.map(([n, x]) => `${n}, ${x}`).join('\n'));
      expect(parsed).toEqual({ label: null, points: rows.map(([n, x]) => ({ n, throughput: x })) });
    }));
  });
});
