import { mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyticTable, simulateScenario } from '../smp/index.js';
import { fitUsl } from '../analysis/index.js';
import { WorkspaceError, hashBytes, serializeWorkspace } from '../workspace/index.js';
import {
  buildReport, checkReportOutput, csvFileName, namedDestinationPages, renderReportHtml, ReportError, reportItems, tableCsv, writeCsvTables,
  type ReportModel, type ReportSection,
} from './index.js';
import { escapeHtml } from './html.js';
import { numericColumns } from './format.js';
import { existsSync, readFileSync } from 'node:fs';
import { SamplePacker, SlaStore, type SampleRow } from '../sla/db/index.js';
import type { Workspace } from '../workspace/index.js';
import { messagingStudy, richWorkspace, samplePath, sampleWorkspace } from './testing/fixtures.js';

const tempDir = (): Promise<string> => mkdtemp(path.join(os.tmpdir(), 'headroom-report-'));

/** CSV back to objects, with numbers as numbers (empty fields stay ''). */
function readCsv(text: string): Record<string, string | number>[] {
  return parse(text, { columns: true, cast: (value) => (value !== '' && Number.isFinite(Number(value)) ? Number(value) : value) }) as Record<string, string | number>[];
}

function find(model: ReportModel, id: string): ReportSection {
  const walk = (list: readonly ReportSection[]): ReportSection | undefined => {
    for (const s of list) {
      if (s.id === id) return s;
      const inner = walk(s.children);
      if (inner) return inner;
    }
    return undefined;
  };
  const found = walk(model.sections);
  if (!found) throw new Error(`no section ${id}`);
  return found;
}

describe('report model', () => {
  it('recomputes the analytic tables, scenarios and USL fits of the sample workspace', async () => {
    const model = await buildReport(samplePath);
    const ws = sampleWorkspace();
    expect(model.title).toBe(ws.name);
    expect(model.provenance.workspacePath).toBe(samplePath);
    expect(model.provenance.workspaceSha256).toBe(hashBytes(await readFile(samplePath)));
    expect(model.provenance.hashOf).toBe('file');
    const analytic = find(model, 'smp.analytic');
    const noIo = analytic.tables.find((t) => t.id === 'smp.analytic.no-io')!;
    // Table 2 of the document, to one decimal, for the sample's default hierarchy.
    expect(noIo.rows.map((r) => (r[5] as number).toFixed(1))).toEqual(['4.7', '5.0', '5.9', '7.4', '9.5', '12.2', '15.5', '19.4', '23.9', '29.0']);
    const scenario = find(model, 'smp.scenario.figure-7');
    const rerun = simulateScenario(ws.smp!.scenarios[0]!.scenario);
    const metrics = scenario.tables.find((t) => t.id.endsWith('.metrics'))!;
    expect(metrics.rows[0]![1]).toBe(rerun.standard.throughput);
    expect(metrics.rows[1]![1]).toBe(rerun.autopilot.throughput);
    const usl = find(model, 'smp.usl.analytics-cluster').tables.find((t) => t.id.endsWith('.fit'))!;
    expect(usl.rows[0]![1]).toBe(fitUsl(ws.smp!.uslSeries[0]!.points).sigma);
  });

  it('writes CSVs that parse back to the numbers the engine computes', async () => {
    const model = await buildReport(samplePath);
    const dir = await tempDir();
    const written = await writeCsvTables(model, dir);
    expect(written.files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['smp-analytic-no-io.csv', 'smp-analytic-io.csv', 'provenance.csv', 'README.txt']));
    const a = sampleWorkspace().smp!.analytic;
    const cpus = Array.from({ length: a.maxCpus }, (_, i) => i + 1);
    const expected = analyticTable({ hierarchy: a.hierarchy, busDemand: a.busDemand, ioLoad: 0, cpus });
    const raw = await readFile(path.join(dir, 'smp-analytic-no-io.csv'), 'utf8');
    expect(raw.split('\r\n')[0]).toBe('cpus,conflict_fraction,l1_cpi_cycles,l2_cpi_cycles,main_cpi_cycles,cpi_cycles,efficiency_fraction,speedup_x,mva_cpi_cycles,mva_speedup_x');
    const rows = readCsv(raw);
    expect(rows.map((r) => [r.cpus, r.cpi_cycles, r.efficiency_fraction, r.speedup_x, r.mva_cpi_cycles])).toEqual(expected.map((r) => [r.cpus, r.cpi, r.efficiency, r.speedup, r.mvaCpi]));
    const io = readCsv(await readFile(path.join(dir, 'smp-analytic-io.csv'), 'utf8'));
    const perCpu = analyticTable({ hierarchy: a.hierarchy, busDemand: a.busDemand, ioLoad: a.ioLoad, ioModel: 'per-cpu', cpus });
    expect(io.map((r) => r.efficiency_io_per_cpu_fraction)).toEqual(perCpu.map((r) => r.efficiency));
    const provenance = readCsv(await readFile(path.join(dir, 'provenance.csv'), 'utf8'));
    expect(provenance.find((r) => r.name === 'Workspace file SHA-256')?.value).toBe(model.provenance.workspaceSha256);
    expect(provenance.find((r) => r.name === 'Generated at')?.value).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('reports sweeps and messaging studies, with their CSVs carrying the saved values', async () => {
    const ws = await richWorkspace();
    const model = await buildReport({ workspace: ws, path: null });
    expect(model.provenance.hashOf).toBe('in-memory');
    expect(model.provenance.workspaceSha256).toBe(hashBytes(serializeWorkspace(ws)));
    const sweep = find(model, 'smp.sweep.threshold-io');
    expect(sweep.charts[0]!.kind).toBe('heatmap');
    expect(find(model, 'smp.sweep.not-run').paragraphs.join(' ')).toMatch(/not been run/);
    const dir = await tempDir();
    await writeCsvTables(model, dir);
    const sweepRows = readCsv(await readFile(path.join(dir, 'smp-sweep-threshold-io-rows.csv'), 'utf8'));
    expect(sweepRows.map((r) => [r.autopilot_threshold, r.io_load, r.autopilot_vs_standard_ratio])).toEqual(
      ws.smp!.sweeps[0]!.rows!.map((r) => [r['autopilot.threshold'], r.ioLoad, r.autopilotVsStandard]));
    const study = messagingStudy();
    const cycles = readCsv(await readFile(path.join(dir, 'messaging-study-fleet-2000-cycles.csv'), 'utf8'));
    const byKey = new Map(study.result.rows.map((r) => [`${r.arch}/${r.gateways}`, r]));
    expect(cycles).toHaveLength(study.result.rows.length);
    for (const row of cycles) {
      const source = byKey.get(`${row.arch}/${row.gateways}`)!;
      expect([row.cycle_p50_ms, row.cycle_p99_ms, row.messages_per_s]).toEqual([source.cycleP50Ms, source.cycleP99Ms, source.messagesPerSecond]);
    }
    const cost = readCsv(await readFile(path.join(dir, 'messaging-study-fleet-2000-cost.csv'), 'utf8'));
    expect(cost.find((r) => r.error !== '')?.error).toBe('registration stalled, "slow" agents, retry');
    const batching = readCsv(await readFile(path.join(dir, 'messaging-study-fleet-2000-batching.csv'), 'utf8'));
    expect(batching.map((r) => r.messages_per_s)).toEqual(study.result.batching!.rows.map((r) => r.messagesPerSecond));
    const floor = readCsv(await readFile(path.join(dir, 'messaging-study-fleet-2000-floor.csv'), 'utf8'));
    expect(floor.map((r) => [r.gateways, r.cycle_p50_ms, r.cpu_us_per_socket_cycle])).toEqual(study.result.floor!.map((f) => [f.gateways, f.cycleP50Ms, f.cpuUsPerSocketCycle]));
    const messaging = find(model, 'messaging.study.fleet-2000');
    expect(messaging.parameters).toEqual(expect.arrayContaining([
      { name: 'Measuring machine', value: 'lab-7: 2 × Example CPU @ 2.0GHz, 24 GiB, Linux 6.1.0 (linux), x64, Node.js v20.20.2' },
      { name: 'Load average (1 min) when the study started', value: 0.42 },
    ]));
    const cycleChart = messaging.charts.find((c) => /cycle time/i.test(c.title));
    expect(cycleChart?.kind === 'line' ? cycleChart.series.map((s) => s.name) : []).toContain('TCP floor (worst cycle)');
    expect(messaging.charts.map((c) => c.title)).toEqual(expect.arrayContaining([expect.stringMatching(/cycle time/i), expect.stringMatching(/messages per second/i), expect.stringMatching(/memory/i)]));
  });

  it('limits the report to the named sections and items, and names the accepted ones when a name is unknown', async () => {
    const ws = await richWorkspace();
    const only = await buildReport({ workspace: ws }, { only: ['figure-7', 'messaging'] });
    const ids = (list: readonly ReportSection[]): string[] => list.flatMap((s) => [s.id, ...ids(s.children)]);
    expect(ids(only.sections).filter((id) => !id.startsWith('messaging.study.'))).toEqual(['smp', 'smp.scenario.figure-7', 'messaging']);
    const err = await buildReport(samplePath, { only: ['smp.scenario.nope'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReportError);
    expect((err as Error).message).toContain(samplePath);
    expect((err as Error).message).toContain('"smp.scenario.nope"');
    expect((err as Error).message).toContain('smp.scenario.figure-7');
    expect(reportItems(ws).map((k) => k.kind)).toEqual(['notes', 'smp', 'messaging']);
  });

  it('reports progress per item and stops when cancelled', async () => {
    const seen: string[] = [];
    const controller = new AbortController();
    const err = await buildReport(samplePath, {
      signal: controller.signal,
      onProgress: (p) => { seen.push(p.label); if (p.label === 'analytic model') controller.abort(); },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReportError);
    expect((err as ReportError).code).toBe('cancelled');
    expect(seen).not.toContain('scenario figure-7');
  });

  it('names the file and place of a bad workspace', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'broken.headroom.json');
    await writeFile(file, '{\n  "schemaVersion": 1,\n  "name": "x",\n}\n');
    const err = await buildReport(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkspaceError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/line 4/);
    const missing = await buildReport(path.join(dir, 'missing.headroom.json')).catch((e: unknown) => e);
    expect((missing as Error).message).toContain('missing.headroom.json');
  });

  it('refuses to write a report over a workspace', async () => {
    const dir = await tempDir();
    const ws = path.join(dir, 'study.headroom.json');
    await writeFile(ws, serializeWorkspace(sampleWorkspace()));
    expect(() => checkReportOutput(ws, ws, 'PDF')).toThrow(/refusing/);
    expect(() => checkReportOutput(path.join(dir, 'other.headroom.json'), ws, 'PDF')).toThrow(/refusing/);
    expect(checkReportOutput(path.join(dir, 'out.pdf'), ws, 'PDF')).toBe(path.join(dir, 'out.pdf'));
    expect(await readdir(dir)).toEqual(['study.headroom.json']);
  });
});

describe('SLA periods from the database', () => {
  const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);
  const goldBronze = readFileSync(path.join(import.meta.dirname, '../../samples/policies/gold-bronze.yaml'), 'utf8');

  /** Ten one-second intervals: gold over its 20 ms p99 target in intervals 2, 3 and 4, then throttled back under it. */
  async function recordedIncident(): Promise<string> {
    const file = path.join(await tempDir(), 'sla.db');
    const store = new SlaStore(file);
    store.recordPolicy({ version: 1, appliedAt: T0 - 60_000, name: 'gold-bronze', source: 'test', text: goldBronze });
    const packer = new SamplePacker();
    const row = (i: number, host: 'gold' | 'bronze', iops: number, p99Ms: number): SampleRow => ({
      t: T0 + i * 1000, gatewayId: 'gw1', host, lun: host === 'gold' ? 'lun0' : 'lun1', className: host, iops, mbps: iops * (host === 'gold' ? 0.004 : 0.128),
      p50Us: p99Ms * 250, p95Us: p99Ms * 500, p99Us: p99Ms * 1000, queueDepth: host === 'gold' ? 1 : 32,
    });
    for (let i = 0; i < 10; i++) {
      const over = i >= 2 && i <= 4;
      packer.add(row(i, 'gold', over ? 40 : 100, over ? 45 : 0.5));
      packer.add(row(i, 'bronze', over ? 200 : 30, 80));
    }
    store.ingest(packer.take()!);
    const [id] = store.recordActions([{ t: T0 + 4000, gatewayId: 'gw1', host: 'bronze', lun: 'lun1', className: 'bronze', kind: 'throttle', iopsLimit: 30, mbpsLimit: 3.9,
      previousIopsLimit: 0, previousMbpsLimit: 0, protects: 'gold', reason: 'protect class "gold" (p99 of host gold on lun0 is 45 ms > target 20 ms)' }]);
    store.ackAction(id!, true, '');
    store.recordViolations([2, 3, 4].map((i) => ({ t: T0 + i * 1000, gatewayId: 'gw1', className: 'gold', host: 'gold', lun: 'lun0', measurement: 'p99', observed: 45, target: 20, text: 'p99 over target' })));
    store.recordAlerts([{ t: T0 + 2000, severity: 'warning', gatewayId: 'gw1', className: 'gold', code: 'at-risk', text: 'class "gold" at risk' }]);
    store.close();
    return file;
  }

  const withPeriod = (dbFile: string): Workspace => ({ ...sampleWorkspace(), sla: { dbFile, periods: [{ id: 'incident', name: 'Tuesday incident', from: new Date(T0).toISOString(), to: new Date(T0 + 9500).toISOString() }] } });

  it('reports each class against the policy in force, every action with its acknowledgement, violations and alerts; CSVs carry the stored values', async () => {
    const dbFile = await recordedIncident();
    const ws = withPeriod(dbFile);
    expect(reportItems(ws).find((k) => k.kind === 'sla')?.items.map((i) => i.name)).toEqual(['sla.period.incident']);
    const model = await buildReport({ workspace: ws }, { only: ['sla'] });
    const period = find(model, 'sla.period.incident');
    expect(period.parameters).toEqual(expect.arrayContaining([{ name: 'Policy in force at the end', value: expect.stringMatching(/^gold-bronze version 1, applied /) }]));
    const dir = await tempDir();
    await writeCsvTables(model, dir);
    const classes = readCsv(await readFile(path.join(dir, 'sla-period-incident-classes.csv'), 'utf8'));
    const gold = classes.find((r) => r.class === 'gold')!;
    expect(gold).toMatchObject({ points: 10, target_percentile: 'p99', target_ms: 20, worst_latency_ms: 45, median_latency_ms: 0.5, intervals_over_target: 3, share_over_target: 0.3, mean_iops: 82 });
    expect(classes.find((r) => r.class === 'bronze')).toMatchObject({ points: 10, target_ms: '', intervals_over_target: '' });
    const actions = readCsv(await readFile(path.join(dir, 'sla-period-incident-actions.csv'), 'utf8'));
    expect(actions).toEqual([expect.objectContaining({ time_iso8601: new Date(T0 + 4000).toISOString(), host: 'bronze', kind: 'throttle', iops_limit_iops: 30, acknowledged: 'yes' })]);
    expect(readCsv(await readFile(path.join(dir, 'sla-period-incident-violations.csv'), 'utf8'))).toHaveLength(3);
    expect(readCsv(await readFile(path.join(dir, 'sla-period-incident-alerts.csv'), 'utf8'))).toEqual([expect.objectContaining({ severity: 'warning', code: 'at-risk' })]);
    expect(period.charts.map((c) => c.title)).toEqual(['Latency by class against its target', 'IOPS by class']);
    const html = renderReportHtml(model);
    expect(html).toContain('Tuesday incident');
  });

  it('says so, and creates nothing, when the database is missing', async () => {
    const missing = path.join(await tempDir(), 'nowhere.db');
    const model = await buildReport({ workspace: withPeriod(missing) }, { only: ['sla'] });
    expect(find(model, 'sla.period.incident').paragraphs.join(' ')).toMatch(/nowhere\.db could not be read/);
    expect(existsSync(missing)).toBe(false);
  });
});

describe('HTML', () => {
  it('escapes workspace text, so a note cannot add markup or scripts to the page', async () => {
    const ws = sampleWorkspace();
    const clean = renderReportHtml(await buildReport({ workspace: ws }, { only: ['notes'] }));
    ws.notes.push({ title: '<img src=x onerror=alert(1)>', body: '</script><script>alert(1)</script> & "quotes"' });
    ws.name = '</title><script>alert(2)</script>';
    const html = renderReportHtml(await buildReport({ workspace: ws }, { only: ['notes'] }));
    const count = (s: string, re: RegExp): number => s.match(re)?.length ?? 0;
    expect(count(html, /<script/gi)).toBe(count(clean, /<script/gi));
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
  });

  it('escapeHtml leaves no markup characters and loses nothing', () => {
    const unescape = (s: string): string => s.replace(/&(lt|gt|quot|#39|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' })[e]!);
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
      const e = escapeHtml(s);
      expect(e).not.toMatch(/[<>"']/);
      expect(unescape(e)).toBe(s);
    }));
  });

  it('treats a column as numeric (right-aligned in print and preview) only when it holds numbers and blanks', () => {
    expect(numericColumns({ columns: [{ id: 'a', label: 'A' }, { id: 'b', label: 'B' }, { id: 'c', label: 'C' }], rows: [[1, 'x', null], [2.5, 'y', 3]] })).toEqual([true, false, true]);
    expect(numericColumns({ columns: [{ id: 'a', label: 'A' }], rows: [[1], ['—']] })).toEqual([false]);
    expect(numericColumns({ columns: [{ id: 'a', label: 'A' }], rows: [] })).toEqual([false]);
  });

  it('lays out the page for the chosen paper and embeds every chart spec', async () => {
    const model = await buildReport({ workspace: await richWorkspace() });
    const html = renderReportHtml(model, { paper: 'Letter', tocPages: new Map([['smp', 4]]) });
    expect(html).toMatch(/@page \{ size: letter;/);
    expect(renderReportHtml(model)).toMatch(/@page \{ size: A4;/);
    const specs = JSON.parse(/<script type="application\/json" id="report-charts">(.*?)<\/script>/s.exec(html)![1]!) as unknown[];
    const chartCount = (list: readonly ReportSection[]): number => list.reduce((n, s) => n + s.charts.length + chartCount(s.children), 0);
    expect(specs).toHaveLength(chartCount(model.sections));
    expect((html.match(/data-chart="/g) ?? []).length).toBe(specs.length);
    expect(html).toMatch(/<span class="toc-title">SMP bus and AutoPilot dispatch<\/span><span class="toc-page">4<\/span>/);
  });
});

describe('CSV', () => {
  it('round-trips any text and numbers through RFC 4180', () => {
    const cell = fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((v) => !Object.is(v, -0)),
      fc.integer(),
      fc.string({ unit: 'grapheme', maxLength: 30 }).filter((s) => s !== '' && !Number.isFinite(Number(s))),
      fc.constantFrom('a,b', 'say "hi"', 'two\r\nlines', 'lf\nonly', ' padded ', '=1+2'),
    );
    fc.assert(fc.property(fc.integer({ min: 1, max: 6 }).chain((width) => fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 20 }).map((rows) => ({ width, rows }))), ({ width, rows }) => {
      const columns = Array.from({ length: width }, (_, i) => ({ id: `col_${i}_ms`, label: `c${i}` }));
      const text = tableCsv({ columns, rows });
      const back = parse(text, { columns: true, cast: (v, ctx) => (ctx.quoting || v === '' || !Number.isFinite(Number(v)) ? v : Number(v)) }) as Record<string, unknown>[];
      expect(back).toHaveLength(rows.length);
      back.forEach((r, i) => expect(columns.map((c) => r[c.id])).toEqual(rows[i]));
    }), { numRuns: 200 });
  });

  it('names files after table ids, safe on every file system', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (id) => {
      expect(csvFileName(id)).toMatch(/^[A-Za-z0-9_-]+\.csv$/);
    }));
    expect(csvFileName('smp.scenario.figure-7.metrics')).toBe('smp-scenario-figure-7-metrics.csv');
  });
});

describe('page numbers from a PDF', () => {
  const minimalPdf = [
    '%PDF-1.4',
    '1 0 obj <</Type /Catalog /Pages 2 0 R /Dests 9 0 R>> endobj',
    '2 0 obj <</Type /Pages /Count 3 /Kids [3 0 R 4 0 R]>> endobj',
    '3 0 obj <</Type /Page /Parent 2 0 R>> endobj',
    '4 0 obj <</Type /Pages /Count 2 /Kids [5 0 R 6 0 R] /Parent 2 0 R>> endobj',
    '5 0 obj <</Type /Page /Parent 4 0 R>> endobj',
    '6 0 obj <</Type /Page /Parent 4 0 R /Contents 7 0 R>> endobj',
    '7 0 obj <</Length 20>> stream\n/sec-fake [3 0 R /XYZ]\nendstream endobj',
    '9 0 obj <</sec-a [3 0 R /XYZ 0 800 0]\n/sec-b [6 0 R /XYZ 0 841 0]\n/sec-c#2Dd [5 0 R /XYZ 0 1 0]>> endobj',
    '%%EOF',
  ].join('\n');

  it('finds the page of each named destination through a nested page tree', () => {
    expect(namedDestinationPages(Buffer.from(minimalPdf, 'latin1'))).toEqual(new Map([['sec-a', 1], ['sec-b', 3], ['sec-c-d', 2]]));
  });

  it('never throws and never invents pages on random or mutated input', () => {
    const base = Buffer.from(minimalPdf, 'latin1');
    fc.assert(fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 20 }).map((edits) => {
          const copy = Uint8Array.from(base);
          for (const [at, byte] of edits) copy[at] = byte;
          return copy;
        }),
        fc.tuple(fc.nat(base.length), fc.nat(base.length)).map(([a, b]) => base.subarray(Math.min(a, b), Math.max(a, b))),
      ),
      (bytes) => {
        const pages = namedDestinationPages(bytes);
        for (const p of pages.values()) expect(Number.isInteger(p) && p >= 1 && p <= 3).toBe(true);
      },
    ), { numRuns: 500 });
  });
});

describe('report items', () => {
  it('lists two sweeps of the same name so each reads differently', async () => {
    const { reportItems } = await import('./build.js');
    const { richWorkspace } = await import('./testing/fixtures.js');
    const ws = await richWorkspace();
    const sweep = ws.smp!.sweeps[0]!;
    ws.smp!.sweeps.push({ ...sweep, id: `${sweep.id}-again` });
    const titles = reportItems(ws).flatMap((k) => k.items.map((i) => i.title));
    const sweeps = titles.filter((t) => t.startsWith(`Sweep: ${sweep.name}`));
    expect(sweeps).toHaveLength(2);
    expect(new Set(sweeps).size).toBe(2);
  });
});
