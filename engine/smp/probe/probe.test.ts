import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildChain, WORDS_PER_LINE } from './chain.js';
import { measuredLoadedLatencyNs } from '../bus/loaded-latency.js';
import { fitBusParameters } from './fit.js';
import { DEFAULT_LLC_BYTES, lastLevelCache, parseCacheSize } from './llc.js';
import { runBusProbe, threadCounts } from './run.js';

describe('the pointer chain', () => {
  it('is one cycle through every line, so each hop is a new line and the walk covers the buffer', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 1000 }), fc.integer({ min: 0, max: 2 ** 31 }), (lines, seed) => {
      const chain = buildChain(lines, seed);
      const seen = new Uint8Array(lines);
      let p = 0;
      for (let i = 0; i < lines; i++) {
        expect(p % WORDS_PER_LINE).toBe(0);
        expect(seen[p / WORDS_PER_LINE]).toBe(0);
        seen[p / WORDS_PER_LINE] = 1;
        p = chain[p]!;
      }
      expect(p).toBe(0); // back at the start after exactly `lines` hops
    }), { numRuns: 30 });
  });
});

describe('the last-level cache', () => {
  it('reads the highest-level data or unified cache from a sysfs tree, and defaults when there is none', async () => {
    expect(parseCacheSize('32768K')).toBe(32 * 2 ** 20);
    expect(parseCacheSize('1M')).toBe(2 ** 20);
    expect(parseCacheSize('banana')).toBeNull();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-llc-'));
    const cache = async (index: number, level: number, type: string, size: string): Promise<void> => {
      await mkdir(path.join(dir, `index${index}`));
      for (const [f, v] of [['level', String(level)], ['type', type], ['size', size]] as const) await writeFile(path.join(dir, `index${index}`, f), `${v}\n`);
    };
    await cache(0, 1, 'Data', '48K');
    await cache(1, 1, 'Instruction', '64M'); // never counted, however large
    await cache(2, 2, 'Unified', '2048K');
    await cache(3, 3, 'Unified', '96M');
    expect(lastLevelCache(dir)).toEqual({ bytes: 96 * 2 ** 20, level: 3, source: 'sysfs' });
    expect(lastLevelCache(path.join(dir, 'missing'))).toEqual({ bytes: DEFAULT_LLC_BYTES, level: null, source: 'default' });
  });
});

describe('thread counts', () => {
  it('spans 2..K with K always measured and at most 8 counts, for any K', () => {
    expect(threadCounts(1)).toEqual([]);
    expect(threadCounts(2)).toEqual([2]);
    fc.assert(fc.property(fc.integer({ min: 2, max: 1024 }), (k) => {
      const counts = threadCounts(k);
      expect(counts.length).toBeGreaterThan(0);
      expect(counts.length).toBeLessThanOrEqual(8);
      expect(counts[0]).toBe(2);
      expect(counts.at(-1)).toBe(k);
      expect([...counts].sort((a, b) => a - b)).toEqual(counts);
    }));
  });
});

describe('the probe fit', () => {
  const base = { idleLatencyNs: 90, lineBytes: 64, peakBandwidthBytesPerSec: 20e9, hardwareThreads: 8 };
  const service = (64 / 20e9) * 1e9;

  it('recovers the arbitration cost of points drawn from the law, with no error', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 200, noNaN: true }), fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), { minLength: 2, maxLength: 30 }), (a, rhos) => {
      const truth = { ...base, transactionServiceNs: service, arbitrationNs: a, fitRmsErrorNs: 0 };
      const points = rhos.map((r) => ({ bandwidthBytesPerSec: r * 20e9, latencyNs: measuredLoadedLatencyNs(truth, r * 20e9) }));
      const fit = fitBusParameters({ ...base, points });
      expect(fit.transactionServiceNs).toBeCloseTo(3.2, 9);
      expect(fit.arbitrationNs).toBeCloseTo(a, 6);
      expect(fit.fitRmsErrorNs).toBeLessThan(1e-6);
    }));
  });

  it('reports the RMS of what the law cannot explain, and never fits a negative arbitration', () => {
    const points = [0.2, 0.4, 0.6, 0.8].map((r, i) => ({ bandwidthBytesPerSec: r * 20e9, latencyNs: 90 + (i % 2 === 0 ? 10 : -10) + 50 * r }));
    const fit = fitBusParameters({ ...base, points });
    expect(fit.arbitrationNs).toBeGreaterThan(0);
    expect(fit.fitRmsErrorNs).toBeGreaterThan(5);
    const faster = fitBusParameters({ ...base, points: points.map((p) => ({ ...p, latencyNs: 60 })) });
    expect(faster.arbitrationNs).toBe(0);
    expect(() => fitBusParameters({ ...base, idleLatencyNs: 0, points })).toThrow(/more than 0/);
  });
});

describe('the bus probe on this machine', () => {
  it('measures idle and loaded latency and peak bandwidth per thread count, and fits the law', async () => {
    const progress: number[] = [];
    const r = await runBusProbe({ threads: 2, seconds: 1, delays: [0, 800, 6400] }, { onProgress: (p) => progress.push(p.done) });
    expect(r.idleLatencyNs).toBeGreaterThan(1);
    expect(r.chaseBufferBytes).toBeGreaterThan(r.llc.bytes);
    expect(r.peakBandwidth.map((p) => p.threads)).toEqual([1, 2]);
    for (const p of r.peakBandwidth) expect(p.bytesPerSec).toBeGreaterThan(1e6);
    expect(r.curves.map((c) => c.threads)).toEqual([2]);
    expect(r.curves[0]!.points.map((p) => p.delay)).toEqual([0, 800, 6400]);
    for (const p of r.curves[0]!.points) {
      expect(p.latencyNs).toBeGreaterThan(1);
      expect(p.bandwidthBytesPerSec).toBeGreaterThan(0);
    }
    expect(r.fit.peakBandwidthBytesPerSec).toBeGreaterThanOrEqual(Math.max(...r.peakBandwidth.map((p) => p.bytesPerSec)));
    expect(r.fit.transactionServiceNs).toBeCloseTo((64 / r.fit.peakBandwidthBytesPerSec) * 1e9, 9);
    expect(Number.isFinite(r.fit.fitRmsErrorNs)).toBe(true);
    expect(r.fit.points).toBe(3);
    // Progress counts up to its total, one step per phase after the buffers.
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1 + 1 + 3 + 2);
  }, 60_000);

  it('measures one thread as idle latency and one streamer, with no loaded curve', async () => {
    const r = await runBusProbe({ threads: 1, seconds: 0.3 });
    expect(r.curves).toEqual([]);
    expect(r.peakBandwidth.map((p) => p.threads)).toEqual([1]);
    expect(r.fit.points).toBe(0);
  }, 60_000);

  it('stops at once when cancelled, with its workers', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const run = runBusProbe({ threads: 2, seconds: 600 }, { signal: controller.signal, onProgress: (p) => { if (p.done === 1) controller.abort(new Error('cancelled by test')); } });
    await expect(run).rejects.toThrow('cancelled by test');
    // Its phases last 600 s / 11 = 55 s each, so ending well inside the first shows the signal stopped it.
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('refuses a thread count or time budget it cannot honour', async () => {
    await expect(runBusProbe({ threads: 0 })).rejects.toThrow(/--threads/);
    await expect(runBusProbe({ seconds: 0 })).rejects.toThrow(/--seconds/);
  });
});
