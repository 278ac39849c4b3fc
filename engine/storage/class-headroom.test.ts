import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import Database from 'better-sqlite3';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPolicy, type Policy } from '../sla/index.js';
import { headroom } from '../../tests/headroom-cli.js';
import { fitFromDatabase, forecastFromDatabase, type ClassHeadroom, type ClassLoadAtTarget, type LunFit, type LunForecast, type LunProtection } from './index.js';
import { writeSyntheticDb } from './testing/synthetic-db.js';
import { uniform } from './testing/uniform.js';
import { CLASS_LUN, crossingAt, threeClassPolicy, writeGrowingClassesDb } from './testing/class-db.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

const parsed = (text: string): Policy => {
  const r = checkPolicy(text);
  if (!r.policy) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
};

const C = CLASS_LUN.capacityIops;
const S = CLASS_LUN.serviceMs;

let dir = '';
let classesDb = '';
let growthDb = '';
let noPolicyDb = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-class-headroom-'));
  // Stationary traffic at 10–90% of the LUN, 10 s intervals: gold 20%, silver 30%, bronze 50% of it.
  const load = uniform(11);
  const share = Array.from({ length: 300 }, () => 0.1 + 0.8 * load());
  classesDb = path.join(dir, 'classes.db');
  writeSyntheticDb({
    file: classesDb, start: START, stepMs: 10_000, intervals: 300, noise: 0.05, policy: threeClassPolicy(20, 10), luns: [{
      gatewayId: 'gw1', lun: 'lun0', capacityIops: C, serviceMs: S, hosts: [
        { host: 'gold-app', demand: (i) => 0.2 * share[i]! * C },
        { host: 'silver-app', demand: (i) => 0.3 * share[i]! * C },
        { host: 'bronze-app', demand: (i) => 0.5 * share[i]! * C },
      ],
    }],
  });
  // A LUN gold reached only five times: too few intervals for its own fit.
  writeSyntheticDb({ file: classesDb, start: START + DAY, stepMs: 10_000, intervals: 5, noise: 0.05, policy: threeClassPolicy(20, 10), luns: [{
    gatewayId: 'gw1', lun: 'fresh', capacityIops: C, serviceMs: S, hosts: [{ host: 'gold-app', demand: () => 400 }],
  }] });
  // 30 days of hours: gold steady at 150 IOPS, silver at 100, bronze growing from 200 by 6 a day.
  growthDb = path.join(dir, 'growth.db');
  writeGrowingClassesDb(growthDb, START);
  noPolicyDb = path.join(dir, 'no-policy.db');
  writeSyntheticDb({ file: noPolicyDb, start: START, stepMs: 10_000, intervals: 100, noise: 0.05, luns: [{ gatewayId: 'gw1', lun: 'lun0', capacityIops: C, serviceMs: S, demand: (i) => share[i]! * C }] });
});

afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

const byClass = (f: Pick<LunFit, 'classes'>, name: string): ClassHeadroom => {
  const c = f.classes.find((x) => x.className === name);
  if (!c) throw new Error(`no class ${name} in ${f.classes.map((x) => x.className).join(', ')}`);
  return c;
};
const fitted = (c: ClassHeadroom): ClassLoadAtTarget => {
  if ('fitted' in c.headroom) throw new Error(`${c.className}: ${c.headroom.reason}`);
  return c.headroom;
};
const lunProtection = (f: Pick<LunFit, 'protection'>): LunProtection => {
  if ('fitted' in f.protection) throw new Error(f.protection.reason);
  return f.protection;
};

describe('headroom per class from the SLA database', () => {
  it('gives each class with a target the LUN load at which its percentile crosses it, with an interval holding the truth, and headroom over today\'s peak', () => {
    const [lun] = fitFromDatabase(classesDb, { lun: 'lun0' });
    expect(lun!.classPolicy).toMatchObject({ name: 'three-classes' });
    expect(lun!.classes.map((c) => c.className)).toEqual(['bronze', 'gold', 'silver']);
    for (const [name, q, target] of [['gold', 0.99, 20], ['silver', 0.95, 10]] as const) {
      const h = fitted(byClass(lun!, name));
      const truth = crossingAt(q, target);
      // eslint-disable-next-line no-console
      console.log(JSON.stringify({ class: name, truthIops: truth, loadAtTarget: h.loadAtTargetIops, peakIops: h.peakIops, headroomPercent: h.headroomPercent }));
      expect(h.percentile).toBe(q === 0.99 ? 'p99' : 'p95');
      expect(h.targetMs).toBe(target);
      expect(Math.abs(h.loadAtTargetIops.value / truth - 1)).toBeLessThan(0.03);
      expect(h.loadAtTargetIops.low).toBeLessThanOrEqual(truth);
      expect(h.loadAtTargetIops.high).toBeGreaterThanOrEqual(truth);
      // The peak is the LUN's busiest interval (all classes), ~90% of its capacity here.
      expect(h.peakIops).toBeGreaterThan(0.85 * C);
      expect(h.headroomPercent.value).toBeCloseTo((h.loadAtTargetIops.value / h.peakIops - 1) * 100, 6);
      expect(h.headroomPercent.low).toBeLessThan(h.headroomPercent.value);
    }
    // Silver's p95 ≤ 10 ms breaks before gold's p99 ≤ 20 ms: 700 against 770 IOPS.
    expect(fitted(byClass(lun!, 'silver')).loadAtTargetIops.value).toBeLessThan(fitted(byClass(lun!, 'gold')).loadAtTargetIops.value);
  });

  it('says why a class has no headroom: no target in the policy, too few intervals, no policy at all', () => {
    const [fresh, lun0] = fitFromDatabase(classesDb);
    const bronze = byClass(lun0!, 'bronze');
    expect(bronze.target).toBeNull();
    expect(bronze.headroom).toEqual({ fitted: false, reason: 'class "bronze" has no latency target in the policy three-classes' });
    expect(bronze.exhaustion).toBeNull();
    expect(fresh!.lun).toBe('fresh');
    expect(byClass(fresh!, 'gold').headroom).toMatchObject({ fitted: false, reason: expect.stringMatching(/^p99 of class "gold" against the LUN's load: needs at least 12 active intervals with p99 latency; got 5/) });
    const [bare] = fitFromDatabase(noPolicyDb);
    expect(bare!.classPolicy).toMatchObject({ fitted: false, reason: expect.stringMatching(/no-policy\.db holds no policy .* and none was given/) });
    expect(bare!.classes.map((c) => c.className)).toEqual(['']);
    expect(bare!.classes[0]!.headroom).toMatchObject({ fitted: false });
    expect(bare!.protection).toMatchObject({ fitted: false });
  });

  it('trends each class\'s IOPS (bronze\'s known 6 IOPS/day inside its band) and dates when the LUN\'s demand meets each class\'s load at target', () => {
    const [f] = forecastFromDatabase(growthDb, { days: 120 });
    const bronze = byClass(f!, 'bronze');
    if (!bronze.growth.fitted) throw new Error(bronze.growth.reason);
    // eslint-disable-next-line no-console
    console.log(JSON.stringify({ bronzeRate: bronze.growth.rate, kind: bronze.growth.kind }));
    expect(bronze.growth.kind).toBe('linear');
    expect(bronze.growth.rate.low).toBeLessThanOrEqual(6);
    expect(bronze.growth.rate.high).toBeGreaterThanOrEqual(6);
    expect(Math.abs(bronze.growth.rate.value / 6 - 1)).toBeLessThan(0.1);
    const gold = byClass(f!, 'gold');
    if (!gold.growth.fitted) throw new Error(gold.growth.reason);
    expect(Math.abs(gold.growth.currentIops.value / 150 - 1)).toBeLessThan(0.05);
    // The LUN's total grows 450 + 6·day: it meets gold's 769.7 IOPS on day 53.3, silver's 700.4 on day 41.7.
    for (const [name, q, target] of [['gold', 0.99, 20], ['silver', 0.95, 10]] as const) {
      const c = byClass(f!, name);
      const e = c.exhaustion!;
      const truth = START + ((crossingAt(q, target) - 450) / 6) * DAY;
      // eslint-disable-next-line no-console
      console.log(JSON.stringify({ class: name, loadAtTarget: fitted(c).loadAtTargetIops, runsOut: new Date(e.at!).toISOString(), earliest: new Date(e.earliest!).toISOString(), latest: e.latest === null ? null : new Date(e.latest).toISOString(), trueDate: new Date(truth).toISOString() }));
      expect(e.alreadyExceeded).toBe(false);
      expect(e.earliest!).toBeLessThanOrEqual(truth);
      expect(e.latest === null || e.latest >= truth).toBe(true);
      expect(Math.abs(e.at! - truth)).toBeLessThan(5 * DAY);
    }
    expect(byClass(f!, 'silver').exhaustion!.at!).toBeLessThan(gold.exhaustion!.at!);
  });

  it('runs the analyzer\'s control law on today\'s demands: no throttling while the targets hold; a tighter policy throttles bronze, and bronze\'s floor can leave gold unprotected', () => {
    const [today] = fitFromDatabase(growthDb);
    expect(lunProtection(today!).needsThrottling).toBe(false);
    expect(byClass(today!, 'gold').verdict).toMatch(/^meets p99 ≤ 20 ms with no throttling/);
    expect(byClass(today!, 'bronze').verdict).toMatch(/^keeps its \d+ IOPS$/);

    // Gold at p99 ≤ 10 ms holds only to X = C(1 − ln100·S/10) = 539 IOPS; today's 630 need bronze cut by about 90.
    const tight = { policy: parsed(threeClassPolicy(10, 20)), source: 'tight.yaml' };
    const [cut] = fitFromDatabase(growthDb, { policy: tight });
    const p = lunProtection(cut!);
    expect(p.needsThrottling).toBe(true);
    expect(p.unprotected).toEqual([]);
    expect(Math.abs(p.capacityIops / C - 1)).toBeLessThan(0.1);
    const gold = byClass(cut!, 'gold');
    const bronze = byClass(cut!, 'bronze');
    expect(gold.protection!.meetsTarget).toBe(true);
    expect(gold.verdict).toMatch(/^protected by throttling lower classes: p99 .* → /);
    const others = gold.protection!.gotIops + byClass(cut!, 'silver').protection!.gotIops;
    expect(others + bronze.protection!.gotIops).toBeLessThanOrEqual(crossingAt(0.99, 10) * 1.05);
    expect(bronze.protection!.gotIops).toBeLessThan(bronze.demandIops!);
    expect(bronze.protection!.atFloor).toBe(false);
    expect(bronze.verdict).toMatch(/^throttled: keeps \d+ of \d+ IOPS$/);

    // Bronze may not go below 340 IOPS (gold 150 + silver 100 + 340 > 539): gold cannot be protected.
    const floored = { policy: parsed(threeClassPolicy(10, 20, 340)), source: 'floored.yaml' };
    const [stuck] = fitFromDatabase(growthDb, { policy: floored });
    expect(lunProtection(stuck!).unprotected).toEqual(['gold']);
    expect(byClass(stuck!, 'gold').verdict).toMatch(/^not protected: p99 .* > 10 ms/);
    expect(byClass(stuck!, 'bronze').protection!.atFloor).toBe(true);
    expect(byClass(stuck!, 'bronze').verdict).toMatch(/held at its floor \(340 IOPS\)$/);
  });
});

describe('per-class headroom from the command line', () => {
  it('says when a class was capped on the last day: its demand is what it got, a lower bound; a cap lifted long before does not count', async () => {
    const capped = path.join(dir, 'capped.db');
    await copyFile(growthDb, capped);
    const [before] = fitFromDatabase(capped);
    const end = Date.UTC(2026, 0, 1) + 30 * DAY - 3_600_000;
    const db = new Database(capped);
    const action = db.prepare(`INSERT INTO actions (t, gateway, host, lun, class, kind, iops_limit, mbps_limit, previous_iops_limit, previous_mbps_limit, protects, reason)
      VALUES (?, 'gw1', ?, 'lun0', ?, ?, 100, 0, 0, 0, 'gold', 'test')`);
    action.run(end - 2 * 3_600_000, 'bronze-app', 'bronze', 'throttle');
    action.run(START + DAY, 'silver-app', 'silver', 'throttle');
    action.run(START + 2 * DAY, 'silver-app', 'silver', 'restore');
    db.close();
    const [after] = fitFromDatabase(capped);
    expect(byClass(before!, 'bronze').throttled).toBeNull();
    expect(byClass(after!, 'bronze').throttled).toEqual({ actionsLastDay: 1, inForce: true });
    expect(byClass(after!, 'bronze').verdict).toMatch(/capped \(a cap still in force at the end\): today's demand is what it got, a lower bound$/);
    expect(byClass(after!, 'silver').throttled).toBeNull();
    expect(byClass(after!, 'silver').verdict).toBe(byClass(before!, 'silver').verdict);
    expect(byClass(after!, 'gold').throttled).toBeNull();
  });

  it('storage fit --db and storage forecast --db carry a classes array per LUN; --policy FILE replaces the stored policy', async () => {
    const fit = await headroom('storage', 'fit', '--db', classesDb, '--lun', 'lun0', '--format', 'json');
    expect(fit.code).toBe(0);
    const [lun] = JSON.parse(fit.stdout) as LunFit[];
    const gold = fitted(byClass(lun!, 'gold'));
    expect(Math.abs(gold.loadAtTargetIops.value / crossingAt(0.99, 20) - 1)).toBeLessThan(0.03);
    const file = path.join(dir, 'tight.yaml');
    await writeFile(file, threeClassPolicy(10, 20));
    const forecast = await headroom('storage', 'forecast', '--db', growthDb, '--policy', file, '--format', 'json');
    expect(forecast.code).toBe(0);
    const [f] = JSON.parse(forecast.stdout) as LunForecast[];
    expect(f!.classPolicy).toMatchObject({ name: 'three-classes', source: file });
    expect(byClass(f!, 'gold').target).toEqual({ percentile: 'p99', ms: 10 });
    expect(byClass(f!, 'gold').exhaustion!.alreadyExceeded).toBe(true);
    expect((f!.protection as LunProtection).needsThrottling).toBe(true);
    const table = await headroom('storage', 'fit', '--db', classesDb, '--lun', 'lun0');
    expect(table.stdout).toMatch(/silver/);
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'version: 1\npollIntervalMs: 1000\nclasses:\n  - name: gold\n    priority: zero\nbindings: []\ngateways: []\n');
    const broken = await headroom('storage', 'fit', '--db', classesDb, '--policy', bad);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/bad\.yaml:5:\d+: /);
  }, 30_000);
});
