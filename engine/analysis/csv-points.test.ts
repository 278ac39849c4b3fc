import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseThroughputCsv } from './csv-points.js';
import { UslInputError } from './usl.js';

const point = fc.record({
  n: fc.integer({ min: 1, max: 4096 }),
  throughput: fc.double({ min: 0, max: 1e9, noNaN: true, noDefaultInfinity: true }),
});
const points = fc.array(point, { minLength: 1, maxLength: 30 });
const csvOf = (ps: { n: number; throughput: number }[]): string[] => ps.map((p) => `${p.n},${p.throughput}`);

describe('throughput CSV', () => {
  it('reads back any points written with or without a header, and with comments and blank lines between', () => {
    fc.assert(fc.property(points, fc.boolean(), fc.boolean(), (ps, header, noise) => {
      const lines = csvOf(ps).flatMap((l, i) => (noise && i % 3 === 0 ? ['# note', '', l] : [l]));
      const text = (header ? 'N,throughput\n' : '') + lines.join('\n') + '\n';
      expect(parseThroughputCsv(text)).toEqual(ps);
    }));
  });

  it('takes a first row with any numeric cell as data: a bad cell there is an error on line 1, not a header', () => {
    fc.assert(fc.property(points, fc.constantFrom('abc', 'N/A', '-', 'x1'), fc.integer({ min: 0, max: 1 }), (ps, word, col) => {
      const lines = csvOf(ps);
      const cells = lines[0]!.split(',');
      cells[col] = word;
      lines[0] = cells.join(',');
      const attempt = () => parseThroughputCsv(lines.join('\n'), 'p.csv');
      expect(attempt).toThrow(UslInputError);
      expect(attempt).toThrow(new RegExp(`^p\\.csv:1: column ${col + 1} `));
    }));
    // A first row with no numeric cell stays a header.
    expect(parseThroughputCsv('cpus,speedup\n1,1\n2,1.9\n')).toEqual([{ n: 1, throughput: 1 }, { n: 2, throughput: 1.9 }]);
  });

  it('refuses an empty cell, naming its line and column, wherever the mutation puts it', () => {
    fc.assert(fc.property(points, fc.boolean(), fc.nat(), fc.integer({ min: 0, max: 1 }), (ps, header, pick, col) => {
      const lines = csvOf(ps);
      const row = pick % lines.length;
      const cells = lines[row]!.split(',');
      cells[col] = col === 0 ? ' ' : '';
      lines[row] = cells.join(',');
      const text = (header ? 'N,throughput\n' : '') + lines.join('\n');
      const line = row + 1 + (header ? 1 : 0);
      // A blanked first row without a header still has a numeric cell, so it is data too.
      expect(() => parseThroughputCsv(text, 'e.csv')).toThrow(new RegExp(`^e\\.csv:${line}: column ${col + 1} \\((N|throughput)\\) is empty$`));
    }));
  });

  it('counts comments and blank lines in the line it names', () => {
    expect(() => parseThroughputCsv('# measured\nN,throughput\n\n1,10\n2,\n', 'c.csv')).toThrow('c.csv:5: column 2 (throughput) is empty');
    expect(() => parseThroughputCsv('1,10\n2\n', 'c.csv')).toThrow(/^c\.csv:2: column 2 \(throughput\) is missing/);
    expect(() => parseThroughputCsv('1,0x10\n', 'c.csv')).toThrow('c.csv:1: column 2 (throughput) is "0x10", not a number');
  });

  it('returns finite points or a UslInputError for arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => {
      try {
        for (const p of parseThroughputCsv(text)) expect(Number.isFinite(p.n) && Number.isFinite(p.throughput)).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(UslInputError);
      }
    }));
  });
});
