import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { delayAt, deriveDelayParams, documentThreadPairs, measuredShards, recommendShards, type DelayParams } from './index.js';

const params = fc.record({
  t1Us: fc.double({ min: 0, max: 1000, noNaN: true }),
  t2Us: fc.double({ min: 0, max: 1000, noNaN: true }),
  t3Us: fc.double({ min: 0, max: 1000, noNaN: true }),
  t4Us: fc.double({ min: 0, max: 1000, noNaN: true }),
  t5Us: fc.double({ min: 0, max: 1000, noNaN: true }),
  threadSwitchUs: fc.double({ min: 0, max: 100, noNaN: true }),
  perGatewayUs: fc.double({ min: 0, max: 100, noNaN: true }),
  shards: fc.integer({ min: 1, max: 16 }),
  cores: fc.integer({ min: 1, max: 16 }),
}) satisfies fc.Arbitrary<DelayParams>;

describe('delay model', () => {
  it("one synchronous thread costs n round trips, as the document's model says", () => {
    const p: DelayParams = { t1Us: 10, t2Us: 20, t3Us: 30, t4Us: 40, t5Us: 50, threadSwitchUs: 5, perGatewayUs: 10, shards: 2, cores: 2 };
    expect(delayAt(p, 100).singleThreadSyncMs).toBeCloseTo(15, 9);
    // The pair pays t1 once, the work spread over its shards, and one overlapped round trip.
    expect(delayAt(p, 100).threadPairMs).toBeCloseTo((10 + (100 * 10) / 2 + 140) / 1000, 9);
    // Thread per agent: one round trip, plus two switches and the work per gateway over the cores.
    expect(delayAt(p, 100).threadPerAgentMs).toBeCloseTo((150 + (100 * (2 * 5 + 10)) / 2) / 1000, 9);
  });

  it('never rates the thread pair worse than the per-agent threads, and all grow with n', () => {
    fc.assert(
      fc.property(params, fc.integer({ min: 1, max: 100_000 }), (p, n) => {
        const q = { ...p, shards: p.cores };
        const a = delayAt(q, n);
        const b = delayAt(q, n + 1);
        expect(a.threadPairMs).toBeLessThanOrEqual(a.threadPerAgentMs + 1e-9);
        expect(b.singleThreadSyncMs).toBeGreaterThanOrEqual(a.singleThreadSyncMs);
        expect(b.threadPairMs).toBeGreaterThanOrEqual(a.threadPairMs);
        expect(b.threadPerAgentMs).toBeGreaterThanOrEqual(a.threadPerAgentMs);
      }),
    );
  });

  it('takes its parameters from measured rows and says where each came from', () => {
    const rows = [
      { arch: 'per-agent' as const, gateways: 8, threads: 8, cycleP50Ms: 0.5, cpuMs: 100, cycles: 10, contextSwitches: 2000, cpuUsPerGatewayCycle: 1250, error: null },
      { arch: 'pair' as const, gateways: 1000, threads: 2, cycleP50Ms: 60, cpuMs: 400, cycles: 10, contextSwitches: 500, cpuUsPerGatewayCycle: 40, error: null },
    ];
    const d = deriveDelayParams(rows, { serviceUs: 100, cores: 2, t1Us: 4 });
    expect(d.params.t1Us + d.params.t2Us + d.params.t3Us + d.params.t4Us + d.params.t5Us).toBeCloseTo(500, 6);
    expect(d.params.perGatewayUs).toBe(40);
    expect(d.params.threadSwitchUs).toBeCloseTo((100_000 - 40 * 8 * 10) / 2000, 6);
    expect(d.sources.t1Us).toMatch(/batching/);
  });
});

describe('sizing rules', () => {
  it("follows the document's example: a 10 ms quantum and 200 us per gateway give 50 gateways per pair", () => {
    expect(documentThreadPairs(50, 10, 200)).toBe(1);
    expect(documentThreadPairs(51, 10, 200)).toBe(2);
    expect(documentThreadPairs(10_000, 10, 200)).toBe(200);
    expect(documentThreadPairs(0, 10, 200)).toBe(0);
  });

  it('never recommends more shards than cores unless asked, and enough when asked', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200_000 }), fc.double({ min: 0.01, max: 500, noNaN: true }), fc.integer({ min: 1, max: 64 }), (n, cost, cores) => {
        const base = { gateways: n, perGatewayUs: cost, intervalMs: 1000, deadlineMs: 500, cores };
        const capped = measuredShards(base);
        expect(capped.shards).toBeGreaterThanOrEqual(1);
        expect(capped.shards).toBeLessThanOrEqual(cores);
        const free = measuredShards({ ...base, allowOversubscribe: true });
        // Each shard's share of one cycle's work fits in half the deadline.
        expect((n * cost) / free.shards).toBeLessThanOrEqual(500 * 1000 * 0.5 + 1e-6);
        expect(recommendShards({ ...base, ptmaxUs: 200 }).recommended).toBe(capped.shards);
      }),
    );
  });
});
