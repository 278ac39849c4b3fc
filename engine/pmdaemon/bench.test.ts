import { describe, expect, it } from 'vitest';
import { runBatchingBench, runMessagingStudy, runTcpFloor } from './index.js';

describe('bench messaging (small run)', () => {
  it('measures both architectures against a fleet process and fits the model to them', async () => {
    const progress: number[] = [];
    const study = await runMessagingStudy(
      { gateways: [6], archs: ['pair', 'per-agent'], intervalMs: 200, cycles: 3, batching: false, floor: true },
      { onProgress: (p) => progress.push(p.done) },
    );
    expect(study.rows.map((r) => r.arch)).toEqual(['pair', 'per-agent']);
    for (const row of study.rows) {
      expect(row.error).toBeNull();
      expect(row).toMatchObject({ gateways: 6, registered: 6, cycles: 3, missed: 0 });
      for (const key of ['cycleP50Ms', 'cycleP99Ms', 'messagesPerSecond', 'cpuMs', 'rssMb', 'contextSwitches'] as const) {
        expect(Number.isFinite(row[key])).toBe(true);
      }
      expect(row.cycleP99Ms).toBeGreaterThanOrEqual(row.cycleP50Ms);
      expect(row.rssMb).toBeGreaterThan(0);
    }
    expect(study.rows[1]!.threads).toBe(6);
    expect(study.floor).toEqual([expect.objectContaining({ gateways: 6, cycles: 3 })]);
    expect(study.machine).toMatchObject({ cpus: study.cores, node: process.version });
    expect(study.loadAverage1m).toBeGreaterThanOrEqual(0);
    expect(study.rows[0]!.threads).toBeLessThanOrEqual(study.cores);
    expect(progress.length).toBeGreaterThan(0);
    expect(study.model.curves.map((c) => c.gateways)).toEqual([1, 6]);
    expect(study.sizing[0]!.recommended).toBeGreaterThanOrEqual(1);
  });

  it('reports a per-agent run that hits its thread limit instead of failing silently', async () => {
    const study = await runMessagingStudy({ gateways: [4], archs: ['per-agent'], intervalMs: 200, cycles: 2, maxAgents: 2, registerStallMs: 1500 });
    const row = study.rows[0]!;
    expect(row.registered).toBe(2);
    expect(row.error).toMatch(/only 2 of 4 gateways registered/);
    expect(row.error).toMatch(/thread limit of 2/);
  });
});

describe('bench batching (small run)', () => {
  it('delivers every message in both modes, with one write per burst when concatenated', async () => {
    const result = await runBatchingBench({ burst: 16, bursts: 50, maxSecondsPerMode: 10 });
    const [concat, single] = result.rows;
    expect(concat).toMatchObject({ mode: 'concatenated', bursts: 50, messages: 800, writeCalls: 50 });
    expect(single).toMatchObject({ mode: 'one-write-per-message', bursts: 50, messages: 800, writeCalls: 800 });
    expect(result.ratio).toBeGreaterThan(0);
  });
});

describe('bench tcp-floor (small run)', () => {
  it('polls every socket of an echo process each cycle, and stops early when cancelled', async () => {
    const result = await runTcpFloor({ gateways: 300, cycles: 3, pauseMs: 10 });
    expect(result).toMatchObject({ gateways: 300, cycles: 3 });
    expect(result.cycleP50Ms).toBeGreaterThan(0);
    expect(result.cycleMaxMs).toBeGreaterThanOrEqual(result.cycleP50Ms);
    for (const key of ['pollerCpuMsPerCycle', 'echoCpuMsPerCycle', 'cpuUsPerSocketCycle'] as const) expect(Number.isFinite(result[key])).toBe(true);

    const controller = new AbortController();
    const cancelled = await runTcpFloor({ gateways: 50, cycles: 1000, pauseMs: 10, signal: controller.signal, onProgress: (done) => { if (done === 2) controller.abort(); } });
    expect(cancelled.cycles).toBe(2);
  });
});
