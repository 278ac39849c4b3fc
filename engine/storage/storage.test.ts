import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { headroom } from '../../tests/headroom-cli.js';
import { openWorkspace } from '../workspace/index.js';
import { ratedLun } from './testing/rated-lun.js';
import { syntheticSteps } from './testing/synthetic-steps.js';
import { fitStorageModel, headroomAt, readStoredProbes, runProbe, saveStorageProbe, type ProbeResult, type ProbeStep, type StorageModel } from './index.js';


function fitted(steps: ProbeStep[]): StorageModel {
  const model = fitStorageModel(steps, 4096);
  if (!model.fitted) throw new Error(`unexpected refusal: ${model.reason}`);
  return model;
}

describe('storage load–latency model', () => {
  it('recovers a known service demand from synthetic steps, the true capacity inside its interval', () => {
    for (const [d, f] of [[2, 0.5], [0.25, 0.4], [10, 1]] as const) {
      const model = fitted(syntheticSteps(d, f, 0.03));
      const truth = 1000 / d;
      expect(Math.abs(model.capacityIops.value / truth - 1)).toBeLessThan(0.05);
      expect(model.capacityIops.low).toBeLessThanOrEqual(truth);
      expect(model.capacityIops.high).toBeGreaterThanOrEqual(truth);
      expect(model.serviceDemandMs.low).toBeLessThanOrEqual(d);
      expect(model.serviceDemandMs.high).toBeGreaterThanOrEqual(d);
      expect(model.rSquared).toBeGreaterThan(0.99);
      expect(model.percentileRatio.p99).toBeCloseTo(2, 5);
    }
  });

  it('refuses to fit when throughput is still rising, or with too few steps, saying why', () => {
    // Far below the knee: every step is latency-bound, throughput doubles with depth.
    const rising = fitStorageModel(syntheticSteps(0.01, 5, 0.01), 4096);
    expect(rising.fitted).toBe(false);
    if (!rising.fitted) expect(rising.reason).toMatch(/still rising/);
    const few = fitStorageModel(syntheticSteps(2, 0.5, 0.01, [1, 2, 4]), 4096);
    expect(few.fitted).toBe(false);
    if (!few.fitted) expect(few.reason).toMatch(/at least 4 probe steps; got 3/);
  });

  it('puts the load at a latency target under capacity, falling as the target tightens; headroom against the peak', () => {
    const model = fitted(syntheticSteps(2, 0.5, 0.02));
    const loose = headroomAt(model, { targetMs: 40, measure: 'p99', peakIops: 200 });
    const tight = headroomAt(model, { targetMs: 12, measure: 'p99', peakIops: 200 });
    expect(loose.loadAtTargetIops.value).toBeLessThan(model.capacityIops.value);
    expect(tight.loadAtTargetIops.value).toBeLessThan(loose.loadAtTargetIops.value);
    expect(tight.loadAtTargetIops.low).toBeLessThanOrEqual(tight.loadAtTargetIops.value);
    expect(tight.headroomPercent.value).toBeCloseTo((tight.loadAtTargetIops.value / 200 - 1) * 100, 6);
    // A target below the unloaded latency cannot be met at any load.
    const impossible = headroomAt(model, { targetMs: 1, measure: 'p99', peakIops: 200 });
    expect(impossible.reachable).toBe(false);
    expect(impossible.headroomPercent.value).toBe(-100);
  });
});

describe('storage probe through a gateway against storage of known capacity', () => {
  // 4 KiB I/Os: 16 Mbit/s is 488 IOPS, 64 Mbit/s is 1953 IOPS.
  for (const bitsPerSecond of [16_000_000, 64_000_000]) {
    it(`fits capacityIops within 20% of rate ÷ block size at ${bitsPerSecond / 1e6} Mbit/s`, async () => {
      const lun = await ratedLun(bitsPerSecond);
      try {
        const probe = await runProbe({ uri: lun.uri, bs: '4k', rw: 'randread', seconds: 8 });
        expect(probe.complete).toBe(true);
        expect(probe.steps.map((s) => s.iodepth)).toEqual([1, 2, 4, 8, 16, 32]);
        const configured = bitsPerSecond / 8 / 4096;
        const model = fitted(probe.steps);
        // eslint-disable-next-line no-console
        console.log(JSON.stringify({ bitsPerSecond, configuredIops: configured, fittedIops: model.capacityIops, ratio: model.capacityIops.value / configured, rSquared: model.rSquared }));
        expect(Math.abs(model.capacityIops.value / configured - 1)).toBeLessThan(0.2);
      } finally {
        await lun.close();
      }
    }, 30_000);
  }

  it('stops when cancelled and keeps the finished steps', async () => {
    const lun = await ratedLun(16_000_000);
    try {
      const controller = new AbortController();
      const probe = await runProbe({
        uri: lun.uri, bs: '4k', rw: 'randread', seconds: 7, signal: controller.signal,
        onStep: (done) => { if (done === 2) controller.abort(); },
      });
      expect(probe.complete).toBe(false);
      expect(probe.steps.map((s) => s.iodepth)).toEqual([32]);
    } finally {
      await lun.close();
    }
  }, 20_000);
});

describe('storage probe from the command line', () => {
  it('prints the steps as JSON through a real gateway, adds each probe to the workspace (created when missing, then appended), validated, and to the SLA database', async () => {
    const lun = await ratedLun(16_000_000);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-storage-ws-'));
    try {
      const ws = path.join(dir, 'study.headroom.json');
      const db = path.join(dir, 'sla.db');
      const first = await headroom('storage', 'probe', lun.uri, '--seconds', '7', '--save', ws, '--db', db, '--format', 'json');
      expect(first.code).toBe(0);
      const probe = JSON.parse(first.stdout) as ProbeResult;
      // eslint-disable-next-line no-console
      console.log(first.stdout.slice(0, 600));
      expect(probe.complete).toBe(true);
      expect(probe.steps.map((s) => s.iodepth)).toEqual([1, 2, 4, 8, 16, 32]);
      expect(first.stderr).toMatch(/saved as storage-1 in .*study\.headroom\.json/);
      expect(first.stderr).toMatch(/stored as probe 1 in the SLA database .*sla\.db/);
      expect(readStoredProbes(db)).toEqual([{ id: 1, lun: 'lun0', result: probe }]);
      // `storage fit --db --probes` refits what the database stored, as --probe does from the JSON.
      const stored = await headroom('storage', 'fit', '--db', db, '--probes', '--format', 'json');
      const [refit] = JSON.parse(stored.stdout) as Array<{ id: number; lun: string; model: StorageModel }>;
      const direct = fitted(probe.steps);
      expect(refit).toMatchObject({ id: 1, lun: 'lun0', model: { fitted: true, capacityIops: direct.capacityIops, serviceDemandMs: direct.serviceDemandMs } });
      expect((await headroom('storage', 'fit', '--db', db)).stderr).toMatch(/holds no LUNs .*it holds 1 storage probe\(s\): storage fit --db .*sla\.db --probes/);
      expect(await saveStorageProbe(ws, probe)).toEqual({ path: ws, id: 'storage-2' });
      const opened = await openWorkspace(ws);
      expect(opened.workspace.name).toBe('study');
      expect(opened.workspace.storageProbes!.map((p) => p.id)).toEqual(['storage-1', 'storage-2']);
      expect(opened.workspace.storageProbes![0]!.result.steps).toEqual(probe.steps);
    } finally {
      await lun.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('storage fit from the command line', () => {
  it('prints capacityIops and headroom as JSON for a saved probe, and refuses an unloaded one with exit 2', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-storage-'));
    try {
      const good = path.join(dir, 'good.json');
      await writeFile(good, JSON.stringify({ blockBytes: 4096, steps: syntheticSteps(2, 0.5, 0.02) }));
      const fit = await headroom('storage', 'fit', '--probe', good, '--target-ms', '20', '--peak-iops', '200', '--format', 'json');
      expect(fit.code).toBe(0);
      const out = JSON.parse(fit.stdout) as StorageModel & { headroom: { headroomPercent: { value: number } } };
      expect(Math.abs(out.capacityIops.value / 500 - 1)).toBeLessThan(0.05);
      expect(out.headroom.headroomPercent.value).toBeGreaterThan(0);
      const bad = path.join(dir, 'bad.json');
      await writeFile(bad, JSON.stringify({ steps: syntheticSteps(0.01, 5, 0.01) }));
      const refused = await headroom('storage', 'fit', '--probe', bad);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/bad\.json: refusing to fit: throughput is still rising/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 20_000);
});
