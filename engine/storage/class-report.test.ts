import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, csvFileName, writeCsvTables } from '../report/index.js';
import { newWorkspace, saveWorkspace } from '../workspace/index.js';
import { fitFromDatabase } from './index.js';
import { writeGrowingClassesDb } from './testing/class-db.js';

let dir = '';
let workspaceFile = '';
let dbFile = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-class-report-'));
  dbFile = path.join(dir, 'sla.db');
  writeGrowingClassesDb(dbFile, Date.UTC(2026, 0, 1));
  workspaceFile = path.join(dir, 'classes.headroom.json');
  await saveWorkspace(workspaceFile, { ...newWorkspace('Classes'), sla: { dbFile } });
});

afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

describe('headroom per class in the report\'s storage section', () => {
  it('tabulates each class\'s load at target, runs-out date and protection verdict; the CSVs carry the engine\'s figures', async () => {
    const model = await buildReport(workspaceFile, { only: ['storage.headroom'] });
    const lun = model.sections.find((s) => s.id === 'storage')!.children.find((s) => s.id === 'storage.headroom')!;
    expect(lun.tables.map((t) => t.id)).toEqual(['storage.headroom.capacity', 'storage.headroom.forecast', 'storage.headroom.classes', 'storage.headroom.class-growth', 'storage.headroom.protection']);
    expect(lun.paragraphs.join(' ')).toMatch(/Class targets, priorities and floors from three-classes version 1, stored in sla\.db/);
    const out = path.join(dir, 'csv');
    await writeCsvTables(model, out);
    const rows = parse(await readFile(path.join(out, csvFileName('storage.headroom.classes')), 'utf8'), { columns: true }) as Record<string, string>[];
    const growth = parse(await readFile(path.join(out, csvFileName('storage.headroom.class-growth')), 'utf8'), { columns: true }) as Record<string, string>[];
    const protection = parse(await readFile(path.join(out, csvFileName('storage.headroom.protection')), 'utf8'), { columns: true }) as Record<string, string>[];
    const [fit] = fitFromDatabase(dbFile);
    expect(rows.map((r) => r.class)).toEqual(['bronze', 'gold', 'silver']);
    for (const c of fit!.classes) {
      const row = rows.find((r) => r.class === c.className)!;
      const p = protection.find((r) => r.class === c.className)!;
      const g = growth.find((r) => r.class === c.className)!;
      if (!c.growth.fitted) throw new Error(c.growth.reason);
      expect(Number(g.rate)).toBeCloseTo(c.growth.rate.value, 6);
      expect(p.verdict).toBe(c.verdict);
      if ('fitted' in c.headroom) {
        expect(lun.paragraphs).toContain(`LUN lun0 (gateway gw1), class ${c.className}: no headroom: ${c.headroom.reason}.`);
        expect(row.load_at_target_iops).toBe('');
        continue;
      }
      expect(Number(row.load_at_target_iops)).toBeCloseTo(c.headroom.loadAtTargetIops.value, 6);
      expect(Number(row.headroom_pct)).toBeCloseTo(c.headroom.headroomPercent.value, 6);
      expect(g.runs_out_iso8601).toBe(new Date(c.exhaustion!.at!).toISOString().slice(0, 10));
    }
    // Silver's p95 ≤ 10 ms breaks at 700 IOPS of LUN load, reached on day 41.7 (2026-02-11).
    expect(growth.find((r) => r.class === 'silver')!.runs_out_iso8601).toMatch(/^2026-02-1[0-3]$/);
  });

  it('draws latency against load with each class\'s measured percentile, its fit and its target in one colour, beside the LUN\'s own fit', async () => {
    const model = await buildReport(workspaceFile, { only: ['storage.headroom'] });
    const lun = model.sections.find((s) => s.id === 'storage')!.children.find((s) => s.id === 'storage.headroom')!;
    const chart = lun.charts.find((c) => c.id === 'storage.headroom.latency.gw1.lun0');
    if (!chart || chart.kind === 'heatmap') throw new Error('no latency-against-load chart');
    const [fit] = fitFromDatabase(dbFile);
    for (const c of fit!.classes) {
      const named = chart.series.filter((s) => s.name.startsWith(`${c.className} `));
      const h = c.headroom;
      if ('fitted' in h) { expect(named).toEqual([]); continue; }
      const target = named.find((s) => s.name.includes('target'))!;
      expect(target.y).toEqual([h.targetMs, h.targetMs]);
      expect(named.map((s) => s.name)).toEqual([`${c.className} ${h.percentile} measured`, `${c.className} ${h.percentile} fit`, `${c.className} target: ${h.percentile} ≤ ${h.targetMs} ms`]);
      expect(new Set(named.map((s) => s.colorOf)).size).toBe(1);
      // The fit crosses the target where the class's load at target says.
      const f = named[1]!;
      const k = f.y.findIndex((y) => y >= h.targetMs);
      expect(k).toBeGreaterThan(0);
      expect(Number(f.x[k])).toBeGreaterThan(h.loadAtTargetIops.value * 0.97);
      expect(Number(f.x[k - 1])).toBeLessThan(h.loadAtTargetIops.value * 1.03);
    }
  });
});
