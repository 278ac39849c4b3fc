import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headroom } from '../../tests/headroom-cli.js';
import { fitFromDatabase, forecastFromDatabase, type LunFit, type LunForecast, type PublicModel, type HeldOut, type GrowthTrend } from './index.js';
import { writeSyntheticDb } from './testing/synthetic-db.js';
import { uniform } from './testing/uniform.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

let dir = '';
let loadDb = '';
let growthDb = '';
let lowDb = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-storage-db-'));
  // Stationary traffic at 10–90% of capacity, 10 s intervals, ±5% noise: two LUNs of known capacity.
  const load = uniform(3);
  const share = Array.from({ length: 300 }, () => 0.1 + 0.8 * load());
  loadDb = path.join(dir, 'load.db');
  writeSyntheticDb({
    file: loadDb, start: START, stepMs: 10_000, intervals: 300, noise: 0.05, luns: [
      { gatewayId: 'gw1', lun: 'lun0', capacityIops: 800, serviceMs: 2, demand: (i) => share[i]! * 800 },
      { gatewayId: 'gw2', lun: 'lun0', capacityIops: 2000, serviceMs: 0.5, demand: (i) => share[i]! * 2000 },
    ],
  });
  // 30 days of hourly intervals: one LUN growing by 10 IOPS a day, one by 3% a day, ±10% noise per hour.
  const noise = uniform(5);
  growthDb = path.join(dir, 'growth.db');
  writeSyntheticDb({
    file: growthDb, start: START, stepMs: 3_600_000, intervals: 30 * 24, noise: 0.05, luns: [
      { gatewayId: 'gw1', lun: 'linear', capacityIops: 1000, serviceMs: 2, demand: (i) => (250 + (10 * i) / 24) * (0.9 + 0.2 * noise()) },
      { gatewayId: 'gw1', lun: 'compound', capacityIops: 1000, serviceMs: 2, demand: (i) => 250 * 1.03 ** (i / 24) * (0.9 + 0.2 * noise()) },
    ],
  });
  // Light traffic only (5–20% of capacity), and a LUN with a handful of intervals.
  lowDb = path.join(dir, 'low.db');
  writeSyntheticDb({ file: lowDb, start: START, stepMs: 10_000, intervals: 200, noise: 0.05, luns: [{ gatewayId: 'gw1', lun: 'quiet', capacityIops: 1000, serviceMs: 2, demand: (i) => 50 + (i % 10) * 15 }] });
  writeSyntheticDb({ file: lowDb, start: START + DAY, stepMs: 10_000, intervals: 5, noise: 0.05, luns: [{ gatewayId: 'gw1', lun: 'new', capacityIops: 1000, serviceMs: 2, demand: () => 500 }] });
});

afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

const fittedModel = (f: LunFit): PublicModel => {
  if (!f.model.fitted) throw new Error(`unexpected refusal: ${f.model.reason}`);
  return f.model;
};

describe('storage model fitted from the SLA database', () => {
  it('recovers each LUN\'s known capacity within 5%, and predicts held-out intervals within 5% median error', () => {
    const fits = fitFromDatabase(loadDb, { targetMs: 5 });
    expect(fits.map((f) => [f.gatewayId, f.lun, f.resolution, f.intervals])).toEqual([['gw1', 'lun0', 'raw', 300], ['gw2', 'lun0', 'raw', 300]]);
    for (const [f, capacity, serviceMs] of [[fits[0]!, 800, 2], [fits[1]!, 2000, 0.5]] as const) {
      const m = fittedModel(f);
      // eslint-disable-next-line no-console
      console.log(JSON.stringify({ lun: `${f.gatewayId}/${f.lun}`, configuredIops: capacity, fittedIops: m.capacityIops, heldOut: f.heldOut }));
      expect(Math.abs(m.capacityIops.value / capacity - 1)).toBeLessThan(0.05);
      expect(m.capacityIops.low).toBeLessThan(m.capacityIops.value);
      expect(m.capacityIops.high).toBeGreaterThan(m.capacityIops.value);
      // p50 of M/M/1 at no load: ln 2 · S.
      expect(Math.abs(m.unloadedMs.value / (Math.LN2 * serviceMs) - 1)).toBeLessThan(0.05);
      const held = f.heldOut as HeldOut;
      expect(held.trainIntervals).toBe(210);
      expect(held.testIntervals).toBe(90);
      expect(held.medianAbsErrorPercent).toBeLessThan(5);
      // Headroom: the true load at p50 = 5 ms is C·(1 − ln2·S/5).
      const truth = capacity * (1 - (Math.LN2 * serviceMs) / 5);
      expect(Math.abs(f.headroom!.loadAtTargetIops.value / truth - 1)).toBeLessThan(0.05);
      expect(f.headroom!.headroomPercent.value).toBeCloseTo((f.headroom!.loadAtTargetIops.value / m.peakIops - 1) * 100, 6);
    }
  });

  it('refuses to fit light traffic (too little of the load range) and too few intervals, saying why', () => {
    const [fresh, quiet] = fitFromDatabase(lowDb);
    expect(quiet!.lun).toBe('quiet');
    expect(quiet!.model.fitted).toBe(false);
    if (!quiet!.model.fitted) expect(quiet!.model.reason).toMatch(/do not cover enough of the load range|not significant/);
    expect(fresh!.model.fitted).toBe(false);
    if (!fresh!.model.fitted) expect(fresh!.model.reason).toMatch(/at least 12 active intervals .*; got 5/);
  });

  it('names the place for a missing database and an unknown LUN', () => {
    expect(() => fitFromDatabase(path.join(dir, 'absent.db'))).toThrow(/absent\.db: no such SLA database/);
    expect(() => fitFromDatabase(loadDb, { lun: 'lun9' })).toThrow(/load\.db: no LUN "lun9"; LUNs stored: lun0 \(gateway gw1\), lun0 \(gateway gw2\)/);
  });
});

describe('demand growth and the date headroom runs out', () => {
  const trend = (f: LunForecast): GrowthTrend => {
    if (!f.demand.fitted) throw new Error(f.demand.reason);
    return f.demand as GrowthTrend;
  };

  it('gives back a known linear and a known compound growth rate, and the exhaustion date, inside their bands', () => {
    const forecasts = forecastFromDatabase(growthDb);
    const byLun = new Map(forecasts.map((f) => [f.lun, f]));
    const cases = [
      { lun: 'linear', kind: 'linear', rate: 10, exhaustedDays: 75 },
      { lun: 'compound', kind: 'exponential', rate: 3, exhaustedDays: Math.log(1000 / 250) / Math.log(1.03) },
    ] as const;
    for (const c of cases) {
      const f = byLun.get(c.lun)!;
      const g = trend(f);
      const truth = START + c.exhaustedDays * DAY;
      const e = f.exhaustion!;
      // eslint-disable-next-line no-console
      console.log(JSON.stringify({ lun: c.lun, kind: g.kind, rate: g.rate, trueRate: c.rate, exhausted: new Date(e.at!).toISOString(), earliest: new Date(e.earliest!).toISOString(), latest: new Date(e.latest!).toISOString(), trueDate: new Date(truth).toISOString() }));
      expect(f.resolution).toBe('hour');
      expect(g.kind).toBe(c.kind);
      expect(g.rate.low).toBeLessThanOrEqual(c.rate);
      expect(g.rate.high).toBeGreaterThanOrEqual(c.rate);
      expect(Math.abs(g.rate.value / c.rate - 1)).toBeLessThan(0.05);
      expect(e.earliest!).toBeLessThanOrEqual(truth);
      expect(e.latest!).toBeGreaterThanOrEqual(truth);
      expect(Math.abs(e.at! - truth)).toBeLessThan(2 * DAY);
      expect(e.alreadyExceeded).toBe(false);
      // The projection starts at the last stored hour and its band holds the trend.
      expect(f.projection[0]!.t).toBe(g.to);
      for (const p of f.projection) expect(p.low <= p.iops && p.iops <= p.high).toBe(true);
    }
  });

  it('forecasts against the load at a latency target, earlier than against capacity; a given capacity replaces the fitted one', () => {
    const [atCapacity] = forecastFromDatabase(growthDb, { lun: 'linear' });
    const [atTarget] = forecastFromDatabase(growthDb, { lun: 'linear', targetMs: 4 });
    expect(atTarget!.limit).toMatchObject({ kind: 'target' });
    expect(atTarget!.exhaustion!.at!).toBeLessThan(atCapacity!.exhaustion!.at!);
    const [given] = forecastFromDatabase(growthDb, { lun: 'linear', capacityIops: 600 });
    // 250 + 10·day = 600 at day 35: past the stored 30 days.
    expect(Math.abs(given!.exhaustion!.at! - (START + 35 * DAY))).toBeLessThan(2 * DAY);
  });
});

describe('storage fit --db and storage forecast from the command line', () => {
  it('prints the fit with its held-out error and the forecast as JSON; bad input names the place', async () => {
    const fit = await headroom('storage', 'fit', '--db', loadDb, '--lun', 'lun0', '--gateway', 'gw1', '--target-ms', '5', '--format', 'json');
    expect(fit.code).toBe(0);
    const [lun] = JSON.parse(fit.stdout) as LunFit[];
    expect(Math.abs((lun!.model as PublicModel).capacityIops.value / 800 - 1)).toBeLessThan(0.05);
    expect((lun!.heldOut as HeldOut).medianAbsErrorPercent).toBeLessThan(5);
    const forecast = await headroom('storage', 'forecast', '--db', growthDb, '--lun', 'linear', '--format', 'json');
    expect(forecast.code).toBe(0);
    const [f] = JSON.parse(forecast.stdout) as LunForecast[];
    expect(trendRate(f!)).toBeCloseTo(10, 0);
    const missing = await headroom('storage', 'fit', '--db', path.join(dir, 'nope.db'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.db: no such SLA database/);
    const unknown = await headroom('storage', 'forecast', '--db', growthDb, '--lun', 'lun7');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/growth\.db: no LUN "lun7"/);
    const refused = await headroom('storage', 'fit', '--db', lowDb, '--lun', 'new');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/low\.db: LUN new \(gateway gw1\): refusing to fit: needs at least 12 active intervals/);
    const notJson = path.join(dir, 'text.db');
    await writeFile(notJson, 'not a database');
    const garbage = await headroom('storage', 'fit', '--db', notJson);
    expect(garbage.stderr).toMatch(/text\.db: not an SLA database/);
  }, 30_000);
});

function trendRate(f: LunForecast): number {
  if (!f.demand.fitted) throw new Error(f.demand.reason);
  return f.demand.rate.value;
}
