import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, samplesDir } from '../runtime/index.js';
import { fitFromDatabase, fitStorageModel, forecastFromDatabase, type StorageModel } from '../storage/index.js';
import { writeSyntheticDb } from '../storage/testing/synthetic-db.js';
import type { Workspace } from '../workspace/schema.js';
import { connectOverMessagePort } from './testing/message-port.js';
import { createEngine, FileAccess, RpcError, type Engine, type EngineClient } from './index.js';

const START = Date.UTC(2026, 0, 1);
let dir: string;
let db: string;
let engine: Engine;
let client: EngineClient;
let sample: Workspace;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-storage-view-'));
  db = path.join(dir, 'sla.db');
  // 30 days of hourly intervals, demand growing by 10 IOPS a day to 70% of a 1000-IOPS LUN; and a LUN with a handful of intervals.
  writeSyntheticDb({ file: db, start: START, stepMs: 3_600_000, intervals: 30 * 24, noise: 0.05, luns: [{ gatewayId: 'gw1', lun: 'growing', capacityIops: 1000, serviceMs: 2, demand: (i) => 400 + (10 * i) / 24 }] });
  writeSyntheticDb({ file: db, start: START + 31 * 86_400_000, stepMs: 10_000, intervals: 5, noise: 0.05, luns: [{ gatewayId: 'gw1', lun: 'new', capacityIops: 1000, serviceMs: 2, demand: () => 500 }] });
  // The sample holds a probe `headroom storage probe --save` took against nbdkit behind the rate filter.
  sample = JSON.parse(await readFile(path.join(samplesDir(), 'storage-probe.headroom.json'), 'utf8')) as Workspace;
  await copyFile(path.join(samplesDir(), 'storage-probe.headroom.json'), path.join(dir, 'study.headroom.json'));
  engine = createEngine(createLogger('test', 'silent'), { files: new FileAccess({}) });
  await engine.files.addRoot(dir, 'user');
  client = connectOverMessagePort(engine);
});

afterAll(async () => {
  await engine?.shutdown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('storage.headroom: what the Headroom view shows, over the engine contract', () => {
  it('refits each saved probe from its steps, as the report and `storage fit --probe` do', async () => {
    const view = await client.call('storage.headroom', { workspace: sample, workspacePath: path.join(dir, 'study.headroom.json') });
    expect(view.database).toBeNull();
    expect(view.probes.map((p) => p.id)).toEqual(['storage-2']);
    const probe = view.probes[0]!;
    const expected = fitStorageModel(sample.storageProbes![0]!.result.steps, 4096) as StorageModel;
    expect(expected.fitted).toBe(true);
    expect(probe.model).toEqual(expected);
    expect(probe.steps).toEqual(sample.storageProbes![0]!.result.steps);
    // Configured: 16 Mbit/s of 4 KiB reads, 488 IOPS.
    if (probe.model.fitted) expect(Math.abs(probe.model.capacityIops.value / 488 - 1)).toBeLessThan(0.2);
  });

  it('gives each LUN of the SLA database its capacity, demand, headroom and forecast; a LUN it cannot fit says why in its place', async () => {
    const view = await client.call('storage.headroom', { workspace: { ...sample, sla: { dbFile: db } } });
    expect(view.database?.error).toBeNull();
    const luns = new Map(view.database!.luns.map((l) => [l.lun, l]));
    expect([...luns.keys()].sort()).toEqual(['growing', 'new']);
    const [fit] = fitFromDatabase(db, { lun: 'growing' });
    const [forecast] = forecastFromDatabase(db, { lun: 'growing' });
    const growing = luns.get('growing')!;
    if (!fit!.model.fitted || !forecast!.demand.fitted || 'fitted' in growing.capacity) throw new Error('expected a fitted LUN');
    expect(growing.capacity).toMatchObject({ iops: fit!.model.capacityIops, unloadedMs: fit!.model.unloadedMs });
    expect(growing.demandIops).toBe(forecast!.demand.currentIops.value);
    expect(growing.headroomPercent).toBeCloseTo((fit!.model.capacityIops.value / forecast!.demand.currentIops.value - 1) * 100, 9);
    expect(growing.headroomPercent!).toBeGreaterThan(0);
    expect(growing.forecast).toMatchObject({ kind: forecast!.demand.kind, rate: forecast!.demand.rate, exhaustion: forecast!.exhaustion });
    expect(forecast!.exhaustion?.at).not.toBeNull();
    // The chart's points are the stored intervals, and the curve passes through S at no load.
    expect(growing.measured.length).toBe(fit!.intervals);
    expect(growing.curve[0]).toEqual({ iops: 0, latencyMs: fit!.model.unloadedMs.value });
    const fresh = luns.get('new')!;
    expect('fitted' in fresh.capacity && fresh.capacity.reason).toMatch(/needs at least 12 active intervals/);
    expect(fresh.headroomPercent).toBeNull();
    expect('fitted' in fresh.forecast && fresh.forecast.reason).toMatch(/at least/);
  });

  it('returns a missing or unreachable database as data naming it, with the probes still there', async () => {
    const missing = path.join(dir, 'gone.db');
    const gone = await client.call('storage.headroom', { workspace: { ...sample, sla: { dbFile: missing } } });
    expect(gone.probes).toHaveLength(1);
    expect(gone.database).toMatchObject({ luns: [] });
    expect(gone.database!.error).toContain('gone.db: no such SLA database');
    const outside = await client.call('storage.headroom', { workspace: { ...sample, sla: { dbFile: path.join(os.tmpdir(), 'elsewhere.db') } } });
    expect(outside.probes).toHaveLength(1);
    expect(outside.database!.error).toMatch(/reads and writes only files you chose/);
  });

  it('refuses a workspace that is not one, naming the path', async () => {
    const err = await client.call('storage.headroom', { workspace: { ...sample, storageProbes: [{ id: 'x', result: { uri: 1 } }] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).message).toContain('storageProbes');
  });
});
