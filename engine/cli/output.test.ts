import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { formatRows, headerWords, type Row } from './output.js';

describe('CLI output', () => {
  it('writes CSV without binary float noise but at full precision', () => {
    const csv = formatRows([{ threshold: 0.1 + 0.2, ratio: 1.2000000000000002, exact: 1 / 3, n: 7 }], 'csv');
    const [header, values] = parse(csv) as string[][];
    expect(header).toEqual(['threshold', 'ratio', 'exact', 'n']);
    expect(values).toEqual(['0.3', '1.2', '0.333333333333333', '7']);
  });

  it('heads terminal tables with words, not camelCase keys', () => {
    expect(headerWords('cycleP99Ms')).toBe('cycle p99 ms');
    expect(headerWords('autopilotVsStandard')).toBe('autopilot vs standard');
    expect(headerWords('MVACpi')).toBe('mva cpi');
    expect(formatRows([{ cpuUsPerGatewayCycle: 1 }], 'table').split('\n')[0]).toBe('cpu us per gateway cycle');
  });

  it('aligns numbers right and words left', () => {
    const out = formatRows([{ host: 'a', mode: 'ro', iops: 5, cpi: '3.0' }, { host: 'bbbb', mode: 'rw-long', iops: 12345, cpi: '12.5%' }], 'table', undefined, { width: 80 }).split('\n');
    expect(out[0]).toBe('host  mode      iops    cpi');
    expect(out[2]).toBe('a     ro           5    3.0');
    expect(out[3]).toBe('bbbb  rw-long  12345  12.5%');
  });

  it('prints a table wider than the terminal in blocks that each fit and repeat the key columns', () => {
    const key = fc.stringMatching(/^[a-z]{1,8}$/);
    fc.assert(fc.property(
      fc.array(key, { minLength: 1, maxLength: 20 }).map((k) => [...new Set(k)]),
      fc.integer({ min: 1, max: 30 }),
      fc.integer({ min: 40, max: 200 }),
      fc.integer({ min: 1, max: 2 }),
      (keys, count, width, keyColumns) => {
        const rows: Row[] = Array.from({ length: count }, (_, r) => Object.fromEntries(keys.map((k, i) => [k, r * 1000 + i])));
        const out = formatRows(rows, 'table', undefined, { width, keyColumns });
        const blocks = out.trimEnd().split('\n\n');
        const kept = Math.min(keyColumns, keys.length);
        const shown = new Set<string>();
        for (const block of blocks) {
          const lines = block.split('\n');
          expect(lines).toHaveLength(count + 2);
          const heads = lines[0]!.trim().split(/\s+/);
          expect(heads.slice(0, kept)).toEqual(keys.slice(0, kept));
          heads.forEach((h) => shown.add(h));
          // A block is too wide only when it holds the key columns and a single other column.
          if (heads.length > kept + 1) for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
        }
        expect([...shown].sort()).toEqual([...keys].sort());
      },
    ));
  });
});

describe('CLI shares', () => {
  it('takes a load as a fraction or a percentage, and says how to write 3 when it means 3%', async () => {
    const { parseFraction } = await import('./commands/smp.js');
    expect(parseFraction('--io-load', '0.03')).toBe(0.03);
    expect(parseFraction('--io-load', '3%')).toBeCloseTo(0.03, 12);
    expect(parseFraction('--io-load', '100 %')).toBe(1);
    expect(() => parseFraction('--io-load', '3')).toThrow(/write 3% or 0\.03/);
    expect(() => parseFraction('--io-load', '150%')).toThrow(/between 0 and 1/);
  });
});
