import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headroom } from '../../tests/headroom-cli.js';
import { documentThreadPairs, measuredShards } from './sizing.js';

describe("the document's thread-pair formula", () => {
  it('is exact where floating point rounds up: 600 gateways, 3 ms, 35 us need 7 pairs, not 8', () => {
    expect(documentThreadPairs(600, 3, 35)).toBe(7);
    expect(documentThreadPairs(601, 3, 35)).toBe(8);
    // Decimal inputs are read as the decimals they are: a 0.1 ms quantum at 0.7 us serves 142 6/7 gateways per pair.
    expect(documentThreadPairs(143, 0.1, 0.7)).toBe(2);
    expect(documentThreadPairs(142, 0.1, 0.7)).toBe(1);
  });

  it('agrees with integer ceiling division for whole-number inputs', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 1_000_000 }), (n, quantumMs, ptmaxUs) => {
      const num = BigInt(n) * BigInt(ptmaxUs);
      const den = BigInt(quantumMs) * 1000n;
      const pairs = documentThreadPairs(n, quantumMs, ptmaxUs);
      expect(pairs).toBe(Number((num + den - 1n) / den));
      // Enough pairs, and one fewer would not be enough.
      expect(BigInt(pairs) * den >= num).toBe(true);
      if (pairs > 0) expect(BigInt(pairs - 1) * den < num).toBe(true);
    }));
  });

  it('refuses a zero or negative quantum or processing time, and a negative or fractional gateway count', () => {
    expect(() => documentThreadPairs(10, 10, 0)).toThrow(/T_ptmax must be more than 0 us, got 0/);
    expect(() => documentThreadPairs(10, 0, 200)).toThrow(/T_thr must be more than 0 ms, got 0/);
    expect(() => documentThreadPairs(10, -1, 200)).toThrow(RangeError);
    expect(() => documentThreadPairs(-1, 10, 200)).toThrow(/gateways must be a whole number/);
    expect(() => documentThreadPairs(1.5, 10, 200)).toThrow(/gateways must be a whole number/);
    expect(() => measuredShards({ gateways: 10, perGatewayUs: 0, intervalMs: 1000, deadlineMs: 500, cores: 2 })).toThrow(/per-gateway cost/);
  });
});

describe('pmdaemon sizing', () => {
  it("reproduces the document's example from flags: 200 us and a 10 ms quantum give 50 gateways per pair", async () => {
    const { code, stdout } = await headroom('pmdaemon', 'sizing', '--gateways', '50,51,600', '--time-quantum-ms', '10', '--tp-max-us', '200', '--per-gateway-us', '5', '--format', 'json');
    expect(code).toBe(0);
    const rows = JSON.parse(stdout) as { gateways: number; ptmaxUs: number; documentFormula: number }[];
    expect(rows.map((r) => [r.gateways, r.ptmaxUs, r.documentFormula])).toEqual([[50, 200, 1], [51, 200, 2], [600, 200, 12]]);
  });

  it('refuses a zero quantum or processing time with a message instead of printing documentFormula: null', async () => {
    for (const [flag, value] of [['--time-quantum-ms', '0'], ['--tp-max-us', '0'], ['--tp-max-us', '-5'], ['--per-gateway-us', '0']] as const) {
      const { code, stdout, stderr } = await headroom('pmdaemon', 'sizing', '--gateways', '10', '--per-gateway-us', '5', '--tp-max-us', '10', flag, value, '--format', 'json');
      expect(code).not.toBe(0);
      expect(stdout).toBe('');
      expect(stderr).toContain(flag);
      expect(stderr).toContain('more than 0');
    }
  });
});
