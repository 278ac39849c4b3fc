import path from 'node:path';
import { classLabel, fitFromDatabase, fitStorageModel, forecastFromDatabase, lunView, thin, type LunFit, type LunForecast, type SavedStorageProbe } from '../../storage/index.js';
import { emptySection, type Cell, type ChartSeries, type ReportSection, type ReportTable } from '../model.js';
import { col, finiteOrNull, table, type SectionBuilder } from './section-builder.js';

const probeName = (id: string): string => `storage.probe.${id}`;
const HEADROOM = 'storage.headroom';
const iso = (t: number | null | undefined): string | null => (t == null ? null : new Date(t).toISOString());
const day = (t: number | null | undefined): string | null => iso(t)?.slice(0, 10) ?? null;

/**
 * Storage headroom: each saved probe with its fitted load–latency model, and, when the workspace
 * names an SLA database, each LUN's model fitted from the stored intervals (with its held-out
 * error), its demand trend and the date that demand meets its capacity. Everything is refitted
 * from the stored measurements, as the CLI's storage fit and storage forecast do.
 */
export const storageSection: SectionBuilder = {
  kind: 'storage',
  title: 'Storage headroom',
  items(workspace) {
    const items = (workspace.storageProbes ?? []).map((p) => ({ name: probeName(p.id), title: `Probe ${p.id}: ${p.result.uri}` }));
    if (workspace.sla?.dbFile) items.push({ name: HEADROOM, title: 'Capacity and forecast per LUN (SLA database)' });
    return items;
  },
  async build(ctx) {
    const probes = (ctx.workspace.storageProbes ?? []).filter((p) => ctx.wants(probeName(p.id)));
    const dbFile = ctx.workspace.sla?.dbFile;
    const withDb = dbFile !== undefined && ctx.wants(HEADROOM);
    if (probes.length === 0 && !withDb) return null;
    const section = emptySection('storage', this.title);
    section.paragraphs.push('How much more load each LUN takes before latency breaks, and when today\'s growth gets there. Probes are fitted as a closed loop past the knee (mean latency = a + D·iodepth, capacity 1/D); the SLA database\'s intervals as one queue (latency = S / (1 − IOPS/C)), whose held-out error says how well it predicts intervals it was not fitted on.');
    for (const probe of probes) {
      section.children.push(probeSection(probe));
      await ctx.step(`probe ${probe.id}`);
    }
    if (withDb) {
      section.children.push(databaseSection(dbFile));
      await ctx.step('SLA database');
    }
    return section;
  },
};

function probeSection(probe: SavedStorageProbe): ReportSection {
  const r = probe.result;
  const section = emptySection(probeName(probe.id), `Probe ${probe.id}`);
  section.parameters.push(
    { name: 'LUN', value: r.uri }, { name: 'Block size', value: r.bs }, { name: 'Pattern', value: r.rw },
    { name: 'Started', value: r.startedAt }, { name: 'Seconds per step', value: r.secondsPerStep, unit: 's' }, { name: 'Complete', value: r.complete },
  );
  section.tables.push(table(`${section.id}.steps`, 'Steps', [
    col('iodepth', 'iodepth'), col('iops', 'IOPS', { digits: 1 }), col('mbps', 'MB/s', { digits: 2 }), col('mean_ms', 'Mean', { unit: 'ms', digits: 3 }),
    col('p50_ms', 'p50', { unit: 'ms', digits: 3 }), col('p95_ms', 'p95', { unit: 'ms', digits: 3 }), col('p99_ms', 'p99', { unit: 'ms', digits: 3 }), col('ios', 'I/Os'),
  ], r.steps.map((s): Cell[] => [s.iodepth, s.iops, s.mbps, s.meanMs, s.p50Ms, s.p95Ms, s.p99Ms, s.ios]), 'As fio reported each step (nbd engine, through the gateway).'));
  const model = fitStorageModel(r.steps, r.blockBytes);
  if (!model.fitted) {
    section.paragraphs.push(`No model: ${model.reason}.`);
    return section;
  }
  // Printed with the parameters as rows, in words with units; the CSV keeps one machine-readable
  // column per parameter (unit in the name) and a row per bound.
  const fit = table(`${section.id}.model`, 'Fitted model', [
    col('bound', 'Parameter'),
    col('capacity_iops', 'Capacity', { unit: 'IOPS', digits: 1 }),
    col('service_demand_ms', 'Service demand D', { unit: 'ms', digits: 4 }),
    col('intercept_ms', 'Intercept a', { unit: 'ms', digits: 4 }),
    col('unloaded_mean_ms', 'Unloaded mean latency', { unit: 'ms', digits: 4 }),
    col('r_squared', 'R²', { digits: 4 }),
  ], [
    ['Estimate', model.capacityIops.value, model.serviceDemandMs.value, model.interceptMs.value, model.unloadedMs, model.rSquared],
    [`Low (${model.confidence * 100}%)`, finiteOrNull(model.capacityIops.low), model.serviceDemandMs.low, model.interceptMs.low, null, null],
    [`High (${model.confidence * 100}%)`, finiteOrNull(model.capacityIops.high), model.serviceDemandMs.high, model.interceptMs.high, null, null],
  ], `Mean latency = a + D·iodepth, fitted over iodepths ${model.saturatedDepths.join(', ')}; capacity 1/D; ${model.confidence * 100}% intervals.`);
  fit.transpose = true;
  section.tables.push(fit);
  const depths = r.steps.map((s) => s.iodepth);
  section.charts.push({
    id: `${section.id}.latency`, title: 'Mean latency against iodepth', kind: 'line', xLabel: 'iodepth (I/Os in flight)', yLabel: 'mean latency (ms)', xLog: true,
    series: [
      // The fit first, as a line: the measured points are drawn after it, on top.
      { name: 'fit: a + D·N', x: model.saturatedDepths, y: model.saturatedDepths.map((n) => model.interceptMs.value + model.serviceDemandMs.value * n), dash: true, linesOnly: true },
      { name: 'measured mean', x: depths, y: r.steps.map((s) => s.meanMs), markersOnly: true },
    ],
  });
  return section;
}

/** Gateway and LUN repeat in every part of a table too wide for the page. */
const keyed = (t: ReportTable): ReportTable => ({ ...t, keyColumns: 2 });

function databaseSection(dbFile: string): ReportSection {
  const section = emptySection(HEADROOM, 'Capacity and forecast per LUN');
  section.parameters.push({ name: 'Database', value: path.basename(dbFile) });
  let fits: LunFit[];
  let forecasts: LunForecast[];
  try {
    fits = fitFromDatabase(dbFile);
    forecasts = forecastFromDatabase(dbFile, { classes: false });
  } catch (err) {
    section.paragraphs.push(`The SLA database could not be read: ${err instanceof Error ? err.message : String(err)}`);
    return section;
  }
  const lunName = (f: { lun: string; gatewayId: string }): string => `LUN ${f.lun} (gateway ${f.gatewayId})`;
  for (const f of fits) {
    if (!f.model.fitted) section.paragraphs.push(`${lunName(f)}: no capacity fitted: ${f.model.reason}.`);
    else if (f.heldOut && !('trainIntervals' in f.heldOut)) section.paragraphs.push(`${lunName(f)}: no held-out check: ${f.heldOut.reason}.`);
  }
  for (const f of forecasts) {
    if (!f.demand.fitted) section.paragraphs.push(`${lunName(f)}: no demand trend: ${f.demand.reason}.`);
    else if (f.exhaustion && f.exhaustion.at === null) section.paragraphs.push(`${lunName(f)}: demand does not meet its capacity within ${f.exhaustion.horizonDays} days.`);
  }
  section.tables.push(keyed(table(`${HEADROOM}.capacity`, 'Fitted capacity', [
    col('gateway', 'Gateway'), col('lun', 'LUN'), col('intervals', 'Intervals'), col('resolution', 'Resolution'),
    col('capacity_iops', 'Capacity', { unit: 'IOPS', digits: 0 }), col('capacity_low_iops', 'Low', { unit: 'IOPS', digits: 0 }), col('capacity_high_iops', 'High', { unit: 'IOPS', digits: 0 }),
    col('unloaded_p50_ms', 'p50 unloaded', { unit: 'ms', digits: 3 }), col('peak_iops', 'Peak', { unit: 'IOPS', digits: 0 }), col('peak_utilisation', 'Peak', { unit: '% of capacity', digits: 1, scale: 100 }),
    col('held_out_median_error_pct', 'Held-out median error', { unit: '%', digits: 1 }), col('held_out_p90_error_pct', 'p90 error', { unit: '%', digits: 1 }),
  ], fits.map((f): Cell[] => {
    const m = f.model.fitted ? f.model : null;
    const h = f.heldOut && 'trainIntervals' in f.heldOut ? f.heldOut : null;
    return [f.gatewayId, f.lun, f.intervals, f.resolution, m?.capacityIops.value ?? null, m ? finiteOrNull(m.capacityIops.low) : null, m ? finiteOrNull(m.capacityIops.high) : null,
      m?.unloadedMs.value ?? null, m?.peakIops ?? null, m?.peakUtilisation ?? null, h?.medianAbsErrorPercent ?? null, h?.p90AbsErrorPercent ?? null];
  }), 'p50 latency fitted as S / (1 − IOPS/C) by weighted least squares on 1/latency; Fieller 95% intervals. Held out: fitted on the oldest 70% of the intervals, latency predicted for the rest.')));
  section.tables.push(keyed(table(`${HEADROOM}.forecast`, 'Demand growth and exhaustion', [
    col('gateway', 'Gateway'), col('lun', 'LUN'), col('trend', 'Trend'),
    col('rate', 'Rate', { digits: 3 }), col('rate_low', 'Low', { digits: 3 }), col('rate_high', 'High', { digits: 3 }), col('rate_unit', 'Unit'),
    col('current_iops', 'Now', { unit: 'IOPS', digits: 0 }), col('limit_iops', 'Capacity', { unit: 'IOPS', digits: 0 }),
    col('exhausted_iso8601', 'Runs out'), col('earliest_iso8601', 'Earliest'), col('latest_iso8601', 'Latest'),
  ], forecasts.map((f): Cell[] => {
    const g = f.demand.fitted ? f.demand : null;
    const e = f.exhaustion;
    return [f.gatewayId, f.lun, g?.kind ?? null, g?.rate.value ?? null, g?.rate.low ?? null, g?.rate.high ?? null, g?.rateUnit ?? null,
      g?.currentIops.value ?? null, 'fitted' in f.limit ? null : f.limit.iops.value, day(e?.at), day(e?.earliest), day(e?.latest)];
  }), 'Linear or exponential trend by least squares on hourly demand, whichever fits better; the band takes the fast end of the trend to the low end of the capacity, and the slow end to the high end.')));
  classTables(section, fits);
  const forecastOf = new Map(forecasts.map((f) => [`${f.gatewayId}\u0000${f.lun}`, f]));
  for (const f of fits) {
    if (!f.model.fitted) continue;
    const chart = latencyChart(dbFile, f, forecastOf.get(`${f.gatewayId}\u0000${f.lun}`));
    if (chart) section.charts.push(chart);
  }
  for (const f of forecasts) {
    if (!f.demand.fitted || f.projection.length === 0) continue;
    const p = f.projection;
    const x = p.map((q) => iso(q.t)!);
    const series = [
      { name: 'demand (stored)', x: f.history.map((h) => iso(h.t)!), y: f.history.map((h) => h.iops), markersOnly: true },
      { name: `trend (${f.demand.kind})`, x, y: p.map((q) => q.iops), dash: true },
      { name: 'band, high', x, y: p.map((q) => q.high), dash: true },
      { name: 'band, low', x, y: p.map((q) => q.low), dash: true },
    ];
    if (!('fitted' in f.limit)) series.push({ name: 'capacity', x: [iso(f.history[0]!.t)!, x.at(-1)!], y: [f.limit.iops.value, f.limit.iops.value], dash: false } as (typeof series)[number]);
    section.charts.push({ id: `${HEADROOM}.${f.gatewayId}.${f.lun}`.replace(/[^A-Za-z0-9_.-]/g, '-'), title: `Demand and forecast: ${f.lun} (gateway ${f.gatewayId})`, kind: 'line', xLabel: 'time (UTC)', yLabel: 'IOPS', series });
  }
  return section;
}

/**
 * Latency against load, as the Headroom view draws it: the LUN's stored intervals and its fitted
 * queue, and for each class with a target its own percentile, its fit and the target line, so a
 * reader sees where each class's curve crosses its target.
 */
function latencyChart(dbFile: string, fit: LunFit, forecast: LunForecast | undefined): ReportSection['charts'][number] | null {
  const v = lunView(dbFile, fit, forecast);
  if ('fitted' in v.capacity || v.measured.length === 0) return null;
  const measure = v.capacity.measure;
  // A few hundred points per cloud show its shape; thousands of SVG markers only weigh the PDF down.
  const lunPoints = thin(v.measured, 400);
  const series: ChartSeries[] = [
    { name: `LUN ${measure} measured`, x: lunPoints.map((p) => p.iops), y: lunPoints.map((p) => p.latencyMs), markersOnly: true, colorOf: 0 },
    { name: `LUN ${measure} fit: S / (1 − IOPS/C)`, x: v.curve.map((p) => p.iops), y: v.curve.map((p) => p.latencyMs), dash: true, linesOnly: true, colorOf: 0 },
  ];
  const right = Math.max(...v.curve.map((p) => p.iops), ...v.measured.map((p) => p.iops));
  let colorOf = 0;
  for (const c of v.classes) {
    if ('fitted' in c.headroom || c.curve.length === 0) continue;
    const h = c.headroom;
    const points = thin(c.measured, 200);
    colorOf++;
    series.push(
      { name: `${c.className} ${h.percentile} measured`, x: points.map((p) => p.iops), y: points.map((p) => p.latencyMs), markersOnly: true, colorOf },
      { name: `${c.className} ${h.percentile} fit`, x: c.curve.map((p) => p.iops), y: c.curve.map((p) => p.latencyMs), dash: true, linesOnly: true, colorOf },
      { name: `${c.className} target: ${h.percentile} ≤ ${h.targetMs} ms`, x: [0, right], y: [h.targetMs, h.targetMs], linesOnly: true, colorOf },
    );
  }
  return {
    id: `${HEADROOM}.latency.${fit.gatewayId}.${fit.lun}`.replace(/[^A-Za-z0-9_.-]/g, '-'), title: `Latency against load: ${fit.lun} (gateway ${fit.gatewayId})`,
    kind: 'line', xLabel: 'IOPS (LUN total)', yLabel: 'latency (ms)', series,
  };
}

/** Keyed by gateway, LUN and class when a table is too wide for the page. */
const keyedByClass = (t: ReportTable): ReportTable => ({ ...t, keyColumns: 3 });

/**
 * Headroom per class on each LUN (targets from the policy stored in the database): where its
 * target percentile breaks, when the LUN's demand trend gets there, and what the analyzer's
 * control law leaves each class at today's demands. Two tables, so each fits a page.
 */
function classTables(section: ReportSection, fits: readonly LunFit[]): void {
  const lunName = (f: { lun: string; gatewayId: string }): string => `LUN ${f.lun} (gateway ${f.gatewayId})`;
  const sources = new Set<string>();
  for (const f of fits) {
    if ('fitted' in f.classPolicy) section.paragraphs.push(`${lunName(f)}: no headroom per class: ${f.classPolicy.reason}.`);
    else sources.add(f.classPolicy.source);
    if (!('fitted' in f.classPolicy) && 'fitted' in f.protection) section.paragraphs.push(`${lunName(f)}: no protection run: ${f.protection.reason}.`);
  }
  const rows = fits.flatMap((f) => f.classes.map((c) => ({ f, c })));
  if (rows.length === 0) return;
  if (sources.size > 0) section.paragraphs.push(`Class targets, priorities and floors from ${[...sources].join('; ')}.`);
  for (const { f, c } of rows) if ('fitted' in c.headroom && !('fitted' in f.classPolicy)) section.paragraphs.push(`${lunName(f)}, class ${classLabel(c.className)}: no headroom: ${c.headroom.reason}.`);
  const key = (f: LunFit, c: LunFit['classes'][number]): Cell[] => [f.gatewayId, f.lun, classLabel(c.className)];
  const keyCols = [col('gateway', 'Gateway'), col('lun', 'LUN'), col('class', 'Class')];
  section.tables.push(keyedByClass(table(`${HEADROOM}.classes`, 'Headroom per class', [
    ...keyCols, col('target_percentile', 'Target on'), col('target_ms', 'Target', { unit: 'ms', digits: 2 }),
    col('load_at_target_iops', 'Load at target', { unit: 'IOPS', digits: 0 }), col('load_low_iops', 'Low', { unit: 'IOPS', digits: 0 }), col('load_high_iops', 'High', { unit: 'IOPS', digits: 0 }),
    col('peak_iops', 'Today\'s peak', { unit: 'IOPS', digits: 0 }), col('headroom_pct', 'Headroom', { unit: '%', digits: 1 }),
  ], rows.map(({ f, c }): Cell[] => {
    const h = 'fitted' in c.headroom ? null : c.headroom;
    return [...key(f, c), c.target?.percentile ?? null, c.target?.ms ?? null,
      h?.loadAtTargetIops.value ?? null, h ? finiteOrNull(h.loadAtTargetIops.low) : null, h ? finiteOrNull(h.loadAtTargetIops.high) : null,
      h?.peakIops ?? null, h ? finiteOrNull(h.headroomPercent.value) : null];
  }), 'Each class\'s target percentile (its worst pair\'s, as the analyzer judges it) fitted as S / (1 − IOPS/C) against the LUN\'s total IOPS; load at target (LUN total) with Fieller 95% intervals; headroom over the LUN\'s busiest interval in the last stored day.')));
  section.tables.push(keyedByClass(table(`${HEADROOM}.class-growth`, 'Growth per class and when its headroom runs out', [
    ...keyCols, col('trend', 'Trend'), col('rate', 'Rate', { digits: 3 }), col('rate_low', 'Low', { digits: 3 }), col('rate_high', 'High', { digits: 3 }), col('rate_unit', 'Unit'),
    col('runs_out_iso8601', 'Runs out'), col('earliest_iso8601', 'Earliest'), col('latest_iso8601', 'Latest'),
  ], rows.map(({ f, c }): Cell[] => {
    const g = c.growth.fitted ? c.growth : null;
    const e = c.exhaustion;
    return [...key(f, c), g?.kind ?? null, g?.rate.value ?? null, g?.rate.low ?? null, g?.rate.high ?? null, g?.rateUnit ?? null,
      e?.alreadyExceeded ? 'already' : day(e?.at), day(e?.earliest), day(e?.latest)];
  }), 'The class\'s own IOPS on the LUN, linear or exponential by fit; its headroom runs out where the LUN\'s total demand trend meets the class\'s load at target, the band from the fast trend at the low load to the slow trend at the high one.')));
  section.tables.push(keyedByClass(table(`${HEADROOM}.protection`, 'Protection per class at today\'s demand', [
    ...keyCols, col('priority', 'Priority'),
    col('demand_iops', 'Demand', { unit: 'IOPS', digits: 0 }), col('keeps_iops', 'Keeps', { unit: 'IOPS', digits: 0 }),
    col('floor_iops', 'Floor', { unit: 'IOPS', digits: 0 }), col('at_floor', 'At floor'), col('verdict', 'Verdict'),
  ], rows.map(({ f, c }): Cell[] => {
    const o = c.protection;
    return [...key(f, c), c.priority, c.demandIops, o?.gotIops ?? null, o ? o.floorIops : null, o ? (o.atFloor ? 'yes' : 'no') : null, c.verdict];
  }), 'The SLA analyzer\'s control law (the code the server runs) in closed loop against the LUN\'s fitted queue, each class offering its trend\'s IOPS today, until the caps settle.')));
}
