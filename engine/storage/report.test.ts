import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, csvFileName, renderReportHtml, writeCsvTables, type ReportSection } from '../report/index.js';
import { newWorkspace, saveWorkspace } from '../workspace/index.js';
import { fitFromDatabase, fitStorageModel, withStorageProbe, type ProbeResult } from './index.js';
import { writeSyntheticDb } from './testing/synthetic-db.js';
import { syntheticSteps } from './testing/synthetic-steps.js';

let dir = '';
let workspaceFile = '';
let dbFile = '';
const probe: ProbeResult = {
  uri: 'nbd://127.0.0.1:10809/probe/lun0', bs: '4k', blockBytes: 4096, rw: 'randread', secondsPerStep: 1.5,
  startedAt: '2026-12-01T10:00:00.000Z', complete: true, steps: syntheticSteps(2, 0.5, 0.02),
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'headroom-storage-report-'));
  dbFile = path.join(dir, 'sla.db');
  let seed = 9;
  const noise = (): number => { seed = (seed * 48271) % 2147483647; return seed / 2147483647; };
  writeSyntheticDb({ file: dbFile, start: Date.UTC(2026, 0, 1), stepMs: 3_600_000, intervals: 30 * 24, noise: 0.05, luns: [
    { gatewayId: 'gw1', lun: 'lun0', capacityIops: 1000, serviceMs: 2, demand: (i) => (250 + (10 * i) / 24) * (0.9 + 0.2 * noise()) },
  ] });
  const { workspace } = withStorageProbe({ ...newWorkspace('Storage study'), sla: { dbFile } }, probe);
  workspaceFile = path.join(dir, 'study.headroom.json');
  await saveWorkspace(workspaceFile, workspace);
});

afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

const child = (s: ReportSection, id: string): ReportSection => {
  const c = s.children.find((x) => x.id === id);
  if (!c) throw new Error(`no section ${id} in ${s.children.map((x) => x.id).join(', ')}`);
  return c;
};

describe('the report\'s storage headroom section', () => {
  it('reports each probe with its refitted model and each LUN\'s capacity, held-out error and forecast; CSVs carry the fitted numbers', async () => {
    const model = await buildReport(workspaceFile, { only: ['storage'] });
    const storage = model.sections.find((s) => s.id === 'storage')!;
    const probeSection = child(storage, 'storage.probe.storage-1');
    expect(probeSection.tables.map((t) => t.id)).toEqual(['storage.probe.storage-1.steps', 'storage.probe.storage-1.model']);
    const fitted = fitStorageModel(probe.steps, 4096);
    if (!fitted.fitted) throw new Error(fitted.reason);
    // Printed as words with units (the parameters as rows); the CSV has a column per parameter, its unit in the name.
    const html = renderReportHtml(model, { paper: 'A4' }).replace(/<[^>]+>/g, '');
    for (const words of ['Capacity (IOPS)', 'Service demand D (ms)', 'Intercept a (ms)', 'Unloaded mean latency (ms)', 'R²']) expect(html).toContain(words);
    for (const code of ['capacity_iops', 'service_demand_ms', 'intercept_ms', 'r_squared']) expect(html).not.toContain(code);
    // The measured points are drawn after the fitted line, so they stay on top of it.
    const chart = probeSection.charts[0]!;
    if (chart.kind === 'heatmap') throw new Error('expected a line chart');
    expect(chart.series.map((c) => [c.name, c.linesOnly === true, c.markersOnly === true])).toEqual([['fit: a + D·N', true, false], ['measured mean', false, true]]);
    const lun = child(storage, 'storage.headroom');
    expect(lun.charts.map((c) => c.title)).toEqual(['Latency against load: lun0 (gateway gw1)', 'Demand and forecast: lun0 (gateway gw1)']);
    const out = path.join(dir, 'csv');
    await writeCsvTables(model, out);
    const fitCsv = parse(await readFile(path.join(out, csvFileName('storage.probe.storage-1.model')), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(fitCsv.map((r) => r.bound)).toEqual(['Estimate', 'Low (95%)', 'High (95%)']);
    expect(Object.keys(fitCsv[0]!)).toEqual(['bound', 'capacity_iops', 'service_demand_ms', 'intercept_ms', 'unloaded_mean_ms', 'r_squared']);
    expect(Number(fitCsv[0]!.capacity_iops)).toBe(fitted.capacityIops.value);
    expect(Number(fitCsv[1]!.capacity_iops)).toBe(fitted.capacityIops.low);
    expect(Number(fitCsv[2]!.service_demand_ms)).toBe(fitted.serviceDemandMs.high);
    const capacity = parse(await readFile(path.join(out, csvFileName('storage.headroom.capacity')), 'utf8'), { columns: true }) as Record<string, string>[];
    const [fit] = fitFromDatabase(dbFile);
    if (!fit!.model.fitted) throw new Error(fit!.model.reason);
    expect(Number(capacity[0]!.capacity_iops)).toBeCloseTo(fit!.model.capacityIops.value, 6);
    expect(Math.abs(Number(capacity[0]!.capacity_iops) / 1000 - 1)).toBeLessThan(0.05);
    const forecast = parse(await readFile(path.join(out, csvFileName('storage.headroom.forecast')), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(forecast[0]).toMatchObject({ lun: 'lun0', trend: 'linear', rate_unit: 'iops/day' });
    // 250 + 10·day meets 1000 IOPS on day 75: 2026-03-17.
    expect(forecast[0]!.earliest_iso8601! <= '2026-03-17').toBe(true);
    expect(forecast[0]!.latest_iso8601! >= '2026-03-17').toBe(true);
  });

  it('says so in the section when the database is missing, instead of failing the report', async () => {
    const { workspace } = withStorageProbe({ ...newWorkspace('Missing'), sla: { dbFile: path.join(dir, 'gone.db') } }, probe);
    const model = await buildReport({ workspace }, { only: ['storage.headroom'] });
    const lun = child(model.sections.find((s) => s.id === 'storage')!, 'storage.headroom');
    expect(lun.paragraphs.join(' ')).toMatch(/gone\.db: no such SLA database/);
  });
});
